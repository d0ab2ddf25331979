package dev.todoplatform.infra;

import com.pulumi.test.TestResult;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The resource graph the program creates for a stack, under Pulumi's own mocks ({@link Render}: the cloud is the
 * only thing replaced). Every Kubernetes object is also written to infra/target/manifests/&lt;stack&gt;/ as plain
 * YAML, generated passwords redacted.
 */
final class Graph {
    static final String LOAD_BALANCER_IP = Render.LOAD_BALANCER_IP;

    /** One resource as the engine would receive it. */
    record Res(String type, String name, Map<String, Object> inputs, String provider) {
        boolean isKubernetes() {
            return type.startsWith("kubernetes:");
        }

        String kind() {
            return (String) inputs.get("kind");
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> metadata() {
            return (Map<String, Object>) inputs.getOrDefault("metadata", Map.of());
        }

        String objectName() {
            return (String) metadata().get("name");
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> spec() {
            return (Map<String, Object>) inputs.getOrDefault("spec", Map.of());
        }
    }

    final TestResult result;
    final List<Res> resources;
    final Map<String, Object> outputs;
    final Set<String> secretOutputs;
    final Set<String> generatedSecrets;
    private final Map<String, Render.Options> options;

    private Graph(Render.Result rendered) {
        this.result = rendered.test();
        this.resources = rendered.resources().stream().map(r -> new Res(r.type(), r.name(), r.inputs(), r.provider())).toList();
        this.outputs = rendered.outputs();
        this.secretOutputs = rendered.secretOutputs();
        this.generatedSecrets = rendered.generatedSecrets();
        this.options = rendered.options();
    }

    /** Runs the program for {@code config} and records every resource; throws if the program failed. */
    static Graph of(StackConfig config) {
        Render.Result rendered = Render.run(config);
        rendered.write(Path.of("target", "manifests", config.stack()), false);
        return new Graph(rendered);
    }

    /** The same without writing the manifests: for a variant of a real stack under the same stack name. */
    static Graph variant(StackConfig config) {
        return new Graph(Render.run(config));
    }

    /** The options the engine received with {@code r}: what it waits for, ignores, how long it may take. */
    Render.Options options(Res r) {
        Render.Options o = options.get(r.type() + "::" + r.name());
        if (o == null) {
            throw new AssertionError("no options recorded for " + r.type() + "::" + r.name());
        }
        return o;
    }

    /** Whether {@code r} waits for {@code other} (directly: dependsOn, or an input taken from it). */
    boolean waitsFor(Res r, Res other) {
        return options(r).dependsOn().contains(other.type() + "::" + other.name());
    }

    /** Whether {@code r} waits for {@code other}, directly or through what it waits for. */
    boolean waitsForTransitively(Res r, Res other) {
        String target = other.type() + "::" + other.name();
        Deque<String> todo = new ArrayDeque<>(options(r).dependsOn());
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String next = todo.pop();
            if (next.equals(target)) {
                return true;
            }
            if (seen.add(next) && options.containsKey(next)) {
                todo.addAll(options.get(next).dependsOn());
            }
        }
        return false;
    }

    /** Resources of one cloud type, e.g. "gcp:compute/firewall:Firewall". */
    List<Res> ofType(String type) {
        return resources.stream().filter(r -> r.type().equals(type)).toList();
    }

    Res one(String type) {
        List<Res> all = ofType(type);
        if (all.size() != 1) {
            throw new AssertionError("expected one " + type + ", found " + all.size());
        }
        return all.get(0);
    }

    List<Res> kubernetes() {
        return resources.stream().filter(Res::isKubernetes).filter(r -> r.kind() != null).toList();
    }

    List<Res> ofKind(String kind) {
        return kubernetes().stream().filter(r -> kind.equals(r.kind())).toList();
    }

    Res named(String kind, String name) {
        return ofKind(kind).stream().filter(r -> name.equals(r.objectName())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    /** Workloads with their pod spec: Deployments, StatefulSets and Jobs. */
    List<Res> workloads() {
        return kubernetes().stream().filter(r -> List.of("Deployment", "StatefulSet", "Job").contains(r.kind())).toList();
    }

    /** The storage class a StatefulSet's (first) volume claim asks for. */
    @SuppressWarnings("unchecked")
    static Object claimStorageClass(Res statefulSet) {
        Map<String, Object> claim = ((List<Map<String, Object>>) statefulSet.spec().get("volumeClaimTemplates")).get(0);
        return ((Map<String, Object>) claim.get("spec")).get("storageClassName");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> podTemplate(Res workload) {
        return (Map<String, Object>) workload.spec().get("template");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> podSpec(Res workload) {
        return (Map<String, Object>) podTemplate(workload).get("spec");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> containers(Res workload) {
        return (List<Map<String, Object>>) podSpec(workload).get("containers");
    }
}
