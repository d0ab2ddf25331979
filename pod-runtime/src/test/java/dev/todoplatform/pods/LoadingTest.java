package dev.todoplatform.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.infra.Render;
import dev.todoplatform.infra.StackFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The runtime takes every object of every stack, and refuses, by name, any field it does not implement. */
class LoadingTest {
    private static final Cluster.Options OPTIONS = new Cluster.Options(Path.of("target", "state"), Path.of(".."), 0, false);

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod", "prod-aws"})
    void everyObjectOfEveryStackLoads(String stack) {
        Cluster.load(stack, Render.run(StackFiles.config(stack)).objects(), OPTIONS);
    }

    @Test
    void aFieldItDoesNotImplementFailsNamingTheObjectAndTheField() {
        List<Map<String, Object>> objects = Render.run(StackFiles.config("dev")).objects();
        Map<String, Object> pgpool = deployment(objects, "pgpool");
        spec(pgpool).put("hostNetwork", true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cluster.load("dev", objects, OPTIONS));
        assertTrue(e.getMessage().contains("Deployment/pgpool: spec.template.spec.hostNetwork is not implemented by the pod runtime"),
                e.getMessage());
    }

    @Test
    void aValueItDoesNotImplementFailsToo() {
        List<Map<String, Object>> objects = Render.run(StackFiles.config("dev")).objects();
        spec(deployment(objects, "todo")).put("restartPolicy", "Sometimes");
        Map<String, Object> strategy = castMap(castMap(deployment(objects, "counter").get("spec")).get("strategy"));
        strategy.put("type", "Recreate");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cluster.load("dev", objects, OPTIONS));
        assertTrue(e.getMessage().contains("Deployment/counter: spec.strategy.type=Recreate is not implemented (only RollingUpdate)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("Deployment/todo: a Deployment's restartPolicy must be Always"), e.getMessage());
    }

    @Test
    void environmentReferencesExpandAsKubernetesDoes() {
        Map<String, String> env = new LinkedHashMap<>(Map.of("NODE_NAME", "postgres-1"));
        assertEquals("postgres-1.postgres-headless", PodContainer.expand("$(NODE_NAME).postgres-headless", env));
        assertEquals("$(UNKNOWN) and $(NODE_NAME)", PodContainer.expand("$(UNKNOWN) and $$(NODE_NAME)", env));
    }

    @Test
    void quantitiesAndRolloutBounds() {
        assertEquals(320L << 20, Quantity.bytes("320Mi"));
        assertEquals(1L << 30, Quantity.bytes("1Gi"));
        assertEquals(250, Quantity.millicores("250m"));
        assertEquals(2000, Quantity.millicores("2"));
        assertEquals(1, Rollout.surge("25%", 3));
        assertEquals(0, Rollout.unavailable("25%", 3));
        assertEquals(2, Rollout.surge("2", 3));
    }

    private static Map<String, Object> deployment(List<Map<String, Object>> objects, String name) {
        return objects.stream().filter(o -> "Deployment".equals(o.get("kind"))
                && name.equals(castMap(o.get("metadata")).get("name"))).findFirst().orElseThrow();
    }

    private static Map<String, Object> spec(Map<String, Object> deployment) {
        Map<String, Object> template = castMap(castMap(deployment.get("spec")).get("template"));
        return castMap(template.get("spec"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }
}
