package dev.todoplatform.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StackConfigTest {

    @Test
    void theRealStackFilesParse() {
        StackConfig dev = StackFiles.config("dev");
        assertEquals(StackConfig.Platform.EXISTING, dev.platform());
        assertEquals("minikube", dev.kubeContext());
        assertEquals(2, dev.postgresNodes());
        assertEquals(false, dev.synchronousReplication());
        StackConfig prod = StackFiles.config("prod");
        assertEquals(StackConfig.Platform.GKE, prod.platform());
        assertEquals(3, prod.postgresNodes());
        assertEquals(true, prod.synchronousReplication());
        assertEquals(new StackConfig.Resources("500m", "1Gi"), prod.resources("postgres"));
        assertEquals(new StackConfig.Resources("100m", "256Mi"), prod.resources("pgpool"), "defaults fill the rest");
    }

    @Test
    void defaultsForAnEmptyStack() {
        StackConfig empty = StackConfig.parse("x", Map.of());
        assertEquals("todo", empty.namespace());
        assertEquals(new StackConfig.Replicas(2, 2, 1, 1), empty.replicas());
        assertEquals(List.of(), empty.allowedSourceRanges());
        assertEquals("ghcr.io/todo-platform/service:1.0.0", empty.images().service());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "platform|azure|todo-platform:platform=azure is invalid: expected one of [existing, gke, eks]",
        "postgresNodes|1|todo-platform:postgresNodes=1 is invalid: expected an integer from 2 to 9",
        "postgresNodes|three|todo-platform:postgresNodes=three is invalid: expected an integer from 2 to 9",
        "replicas|{\"todo\":0}|todo-platform:replicas.todo=0 is invalid: expected an integer from 1 to 50",
        "replicas|{\"todos\":2}|todo-platform:replicas.todos is not a setting: known are [counter, pgpool, proxy, todo]",
        "replicas|3|todo-platform:replicas=3 is invalid: expected an object with keys [counter, pgpool, proxy, todo]",
        "namespace|Todo_App|todo-platform:namespace=Todo_App is invalid: expected a DNS label (a-z, 0-9, -)",
        "synchronousReplication|yes|todo-platform:synchronousReplication=yes is invalid: expected true or false",
        "postgresStorage|ten|todo-platform:postgresStorage=ten is invalid: expected a Kubernetes quantity such as 250m, 512Mi or 10Gi",
        "images|{\"service\":\"ghcr.io/x/service:latest\"}|todo-platform:images.service=ghcr.io/x/service:latest is invalid: expected an image pinned to a version tag or digest (not latest, not untagged)",
        "images|{\"redis\":\"redis\"}|todo-platform:images.redis=redis is invalid: expected an image pinned to a version tag or digest (not latest, not untagged)",
        "allowedSourceRanges|[\"10.0.0.0/33\"]|todo-platform:allowedSourceRanges=10.0.0.0/33 is invalid: expected a list of IPv4 CIDRs such as [\"203.0.113.0/24\"]",
        "podAntiAffinity|always|todo-platform:podAntiAffinity=always is invalid: expected one of [preferred, required]",
        "resources|{\"todo\":{\"memory\":\"lots\"}}|todo-platform:resources.todo.memory=lots is invalid: expected a Kubernetes quantity such as 250m, 512Mi or 10Gi",
        "replica|2|todo-platform:replica is not a setting of this program: known are [todo-platform:allowedSourceRanges, todo-platform:images, todo-platform:kubeContext, todo-platform:namespace, todo-platform:platform, todo-platform:podAntiAffinity, todo-platform:postgresNodes, todo-platform:postgresStorage, todo-platform:redisStorage, todo-platform:replicas, todo-platform:resources, todo-platform:storageClass, todo-platform:synchronousReplication]"})
    void aBadSettingFailsWithOneLineNamingKeyValueAndWhatIsAllowed(String key, String value, String message) {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("dev"));
        raw.put(StackConfig.PREFIX + key, value);
        ConfigError error = assertThrows(ConfigError.class, () -> StackConfig.parse("dev", raw));
        assertEquals(message, error.getMessage());
    }

    @Test
    void otherNamespacesAreLeftToTheirProviders() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod"));
        raw.put("gcp:zone", "europe-west1-b");
        assertEquals("todo", StackConfig.parse("prod", raw).namespace());
    }
}
