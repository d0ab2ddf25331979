package dev.todoplatform.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every Kubernetes object of every stack follows the rules; and breaking a rule on purpose is caught. */
class PolicyTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod", "prod-aws"})
    void everyObjectFollowsThePolicy(String stack) {
        Graph graph = Stacks.graph(stack);
        assertTrue(graph.workloads().size() >= 7, "workloads found: " + graph.workloads().size());
        assertEquals(List.of(), Policy.violations(graph.kubernetes(), StackFiles.config(stack).nodeCeiling()));
    }

    /** 4 counter pods (and a surge pod) one per host on EKS's 3 nodes: Pending forever, `pulumi up` times out. */
    @Test
    void aRequiredOnePerHostRuleThatCannotFitTheNodesIsCaught() throws Exception {
        List<Graph.Res> objects = new ArrayList<>();
        for (Graph.Res r : Stacks.graph("prod-aws").kubernetes()) {
            if (r.kind().equals("Deployment") && r.objectName().equals("counter")) {
                Map<String, Object> copy = deepCopy(r.inputs());
                Graph.Res broken = new Graph.Res(r.type(), r.name(), copy, r.provider());
                Map<String, Object> spec = Graph.podSpec(broken);
                spec.put("affinity", Map.of("podAntiAffinity", Map.of("requiredDuringSchedulingIgnoredDuringExecution",
                        List.of(Map.of("topologyKey", "kubernetes.io/hostname")))));
                objects.add(broken);
            } else {
                objects.add(r);
            }
        }
        assertEquals(List.of("Deployment/counter: requires one pod per host for 5 pods (4 replicas + 1 surge), but the"
                + " cluster has at most 3 nodes: it never converges"), Policy.violations(objects, 3));
    }

    static Stream<Arguments> mutations() {
        return Stream.of(
                Arguments.of("no memory limit", "Deployment", "todo",
                        (Consumer<Map<String, Object>>) c -> Policy.map(Policy.map(c.get("resources")).get("limits")).clear(),
                        "lacks a memory limit"),
                Arguments.of("writable root filesystem", "StatefulSet", "postgres",
                        (Consumer<Map<String, Object>>) c -> Policy.map(c.get("securityContext")).put("readOnlyRootFilesystem", false),
                        "root filesystem is writable"),
                Arguments.of("privilege escalation", "Deployment", "proxy",
                        (Consumer<Map<String, Object>>) c -> Policy.map(c.get("securityContext")).remove("allowPrivilegeEscalation"),
                        "allows privilege escalation"),
                Arguments.of("capabilities kept", "Deployment", "pgpool",
                        (Consumer<Map<String, Object>>) c -> Policy.map(c.get("securityContext")).remove("capabilities"),
                        "does not drop all capabilities"),
                Arguments.of("latest tag", "Deployment", "counter",
                        (Consumer<Map<String, Object>>) c -> c.put("image", "ghcr.io/todo-platform/service:latest"),
                        "image is not pinned"),
                Arguments.of("no readiness probe", "Deployment", "todo",
                        (Consumer<Map<String, Object>>) c -> c.remove("readinessProbe"),
                        "has no readinessProbe"),
                Arguments.of("probe on a closed port", "Deployment", "counter",
                        (Consumer<Map<String, Object>>) c -> Policy.map(Policy.map(c.get("livenessProbe")).get("httpGet")).put("port", 9999.0),
                        "does not expose"),
                Arguments.of("password as a plain value", "Deployment", "todo",
                        (Consumer<Map<String, Object>>) c -> addEnv(c, "DATABASE_PASSWORD", "hunter2"),
                        "is a plain value"),
                Arguments.of("missing secret key", "StatefulSet", "redis",
                        (Consumer<Map<String, Object>>) c -> addSecretEnv(c, "redis-credentials", "no-such-key"),
                        "missing secret key"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mutations")
    void breakingARuleOnPurposeIsCaught(String what, String kind, String name, Consumer<Map<String, Object>> breakIt,
                                        String expected) throws Exception {
        List<Graph.Res> objects = new ArrayList<>();
        for (Graph.Res r : Stacks.graph("dev").kubernetes()) {
            if (r.kind().equals(kind) && r.objectName().equals(name)) {
                Map<String, Object> copy = deepCopy(r.inputs());
                breakIt.accept(Graph.containers(new Graph.Res(r.type(), r.name(), copy, r.provider())).get(0));
                objects.add(new Graph.Res(r.type(), r.name(), copy, r.provider()));
            } else {
                objects.add(r);
            }
        }
        List<String> violations = Policy.violations(objects);
        assertEquals(1, violations.size(), violations.toString());
        assertTrue(violations.get(0).contains(expected) && violations.get(0).contains(name), violations.toString());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> inputs) throws Exception {
        ObjectMapper json = new ObjectMapper();
        return json.readValue(json.writeValueAsBytes(inputs), Map.class);
    }

    @SuppressWarnings("unchecked")
    private static void addEnv(Map<String, Object> container, String name, String value) {
        ((List<Object>) container.get("env")).add(new HashMap<>(Map.of("name", name, "value", value)));
    }

    @SuppressWarnings("unchecked")
    private static void addSecretEnv(Map<String, Object> container, String secret, String key) {
        ((List<Object>) container.get("env")).add(new HashMap<>(Map.of("name", "EXTRA",
                "valueFrom", Map.of("secretKeyRef", Map.of("name", secret, "key", key)))));
    }
}
