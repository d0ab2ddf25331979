package dev.todoplatform.infra;

import com.pulumi.test.Mocks;
import com.pulumi.test.PulumiTest;
import com.pulumi.test.TestOptions;
import com.pulumi.test.TestResult;
import dev.todoplatform.infra.random.RandomPassword;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The resource graph the program creates for a stack, under Pulumi's own mocks (the cloud is the only thing
 * replaced). Every Kubernetes object is also written to infra/target/manifests/&lt;stack&gt;/ as plain YAML.
 */
final class Graph {
    static final String LOAD_BALANCER_IP = "203.0.113.10";

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

    private Graph(TestResult result, List<Res> resources, Map<String, Object> outputs, Set<String> secretOutputs) {
        this.result = result;
        this.resources = resources;
        this.outputs = outputs;
        this.secretOutputs = secretOutputs;
    }

    /** Runs the program for {@code config} and records every resource; throws if the program failed. */
    static Graph of(StackConfig config) {
        ConcurrentLinkedQueue<Res> seen = new ConcurrentLinkedQueue<>();
        Mocks mocks = args -> {
            Map<String, Object> inputs = new LinkedHashMap<>(args.inputs);
            seen.add(new Res(args.type, args.name, inputs, args.provider));
            Map<String, Object> state = new LinkedHashMap<>(inputs);
            if (args.type.equals(RandomPassword.TYPE)) {
                state.put("result", "mock-" + args.name);
            }
            state.putAll(CloudOutputs.of(args.type, args.name, inputs));
            if (args.type.equals("kubernetes:core/v1:Service")
                    && "LoadBalancer".equals(((Map<?, ?>) inputs.getOrDefault("spec", Map.of())).get("type"))) {
                state.put("status", Map.of("loadBalancer", Map.of("ingress", List.of(Map.of("ip", LOAD_BALANCER_IP)))));
            }
            return CompletableFuture.completedFuture(Mocks.ResourceResult.of(Optional.of(args.name + "-id"), state));
        };
        TestResult result = PulumiTest.withMocks(mocks)
                .withOptions(TestOptions.builder().projectName("todo-platform").stackName(config.stack()).build())
                .runTest(ctx -> App.deploy(ctx, config));
        try {
            if (!result.exceptions().isEmpty()) {
                throw new IllegalStateException("program failed", result.exceptions().get(0));
            }
            Map<String, Object> outputs = new LinkedHashMap<>();
            Set<String> secret = new TreeSet<>();
            result.outputs().forEach((k, v) -> {
                outputs.put(k, PulumiTest.extractValue(v));
                if (com.pulumi.core.internal.Internal.of(v).isSecret().join()) {
                    secret.add(k);
                }
            });
            Graph graph = new Graph(result, List.copyOf(seen), outputs, secret);
            graph.writeManifests(Path.of("target", "manifests", config.stack()));
            return graph;
        } finally {
            PulumiTest.cleanup();
        }
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

    private void writeManifests(Path dir) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        Yaml yaml = new Yaml(options);
        try {
            if (Files.exists(dir)) {
                try (var files = Files.list(dir)) {
                    for (Path f : files.toList()) {
                        Files.delete(f);
                    }
                }
            }
            Files.createDirectories(dir);
            for (Res r : kubernetes()) {
                Object plain = plain(r.inputs());
                if ("Secret".equals(r.kind())) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> secret = new LinkedHashMap<>((Map<String, Object>) plain);
                    Map<String, Object> redacted = new LinkedHashMap<>();
                    ((Map<?, ?>) secret.getOrDefault("stringData", Map.of())).keySet()
                            .forEach(k -> redacted.put((String) k, "<generated by pulumi-random, secret>"));
                    secret.put("stringData", redacted);
                    plain = secret;
                }
                String file = (r.kind() + "-" + r.objectName()).toLowerCase() + ".yaml";
                Files.writeString(dir.resolve(file), yaml.dump(plain));
            }
            // What the platform creates outside the cluster (network, firewall, IAM, the cluster), for review.
            List<Object> cloud = new ArrayList<>();
            for (Res r : resources) {
                if (r.type().startsWith("gcp:") || r.type().startsWith("aws:")) {
                    Map<String, Object> entry = new LinkedHashMap<>();
                    entry.put("type", r.type());
                    entry.put("name", r.name());
                    entry.put("inputs", plain(r.inputs()));
                    cloud.add(entry);
                }
            }
            if (!cloud.isEmpty()) {
                Files.writeString(dir.resolve("_cloud-resources.yaml"), yaml.dump(cloud));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Numbers reach the mocks as Double: integral ones go back to integers for readable YAML. */
    private static Object plain(Object value) {
        if (value instanceof Double d && d == Math.rint(d)) {
            return d.longValue();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(v -> out.add(plain(v)));
            return out;
        }
        return value;
    }
}
