package dev.todoplatform.infra;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The rules every Kubernetes object of the program must follow (kube-linter / kube-score / Polaris style).
 * Runs over whatever objects it is given, so a new workload cannot skip them.
 */
final class Policy {
    static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "StorageClass");
    static final List<String> RECOMMENDED_LABELS = List.of("app.kubernetes.io/name", "app.kubernetes.io/instance",
            "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by");

    private final List<Graph.Res> objects;
    /** The most nodes the stack's cluster can have (null: unknown, an existing cluster). */
    private final Integer nodes;
    private final List<String> violations = new ArrayList<>();

    private Policy(List<Graph.Res> objects, Integer nodes) {
        this.objects = objects;
        this.nodes = nodes;
    }

    static List<String> violations(List<Graph.Res> objects) {
        return violations(objects, null);
    }

    static List<String> violations(List<Graph.Res> objects, Integer nodes) {
        Policy policy = new Policy(objects, nodes);
        policy.check();
        return policy.violations;
    }

    private void fail(Graph.Res r, String rule) {
        violations.add(r.kind() + "/" + r.objectName() + ": " + rule);
    }

    private void check() {
        for (Graph.Res r : objects) {
            Map<String, Object> labels = map(r.metadata().get("labels"));
            for (String label : RECOMMENDED_LABELS) {
                if (!labels.containsKey(label)) {
                    fail(r, "lacks label " + label);
                }
            }
            if (!CLUSTER_SCOPED.contains(r.kind()) && r.metadata().get("namespace") == null) {
                fail(r, "has no namespace");
            }
        }
        for (Graph.Res w : objects) {
            if (List.of("Deployment", "StatefulSet", "Job").contains(w.kind())) {
                checkWorkload(w);
            }
        }
        for (Graph.Res s : ofKind("Service")) {
            checkService(s);
        }
    }

    private void checkWorkload(Graph.Res w) {
        Map<String, Object> template = map(w.spec().get("template"));
        Map<String, Object> pod = map(template.get("spec"));
        Map<String, Object> podLabels = map(map(template.get("metadata")).get("labels"));
        Map<String, Object> podSecurity = map(pod.get("securityContext"));
        boolean longRunning = !"Job".equals(w.kind());
        int replicas = number(w.spec().get("replicas"), 1);

        if (!Boolean.TRUE.equals(podSecurity.get("runAsNonRoot"))) {
            fail(w, "pod does not set runAsNonRoot");
        }
        if (!"RuntimeDefault".equals(map(podSecurity.get("seccompProfile")).get("type"))) {
            fail(w, "pod has no RuntimeDefault seccomp profile");
        }
        if (!Boolean.FALSE.equals(pod.get("automountServiceAccountToken"))) {
            fail(w, "pod mounts a service account token");
        }
        Object account = pod.get("serviceAccountName");
        if (account == null || "default".equals(account) || find("ServiceAccount", (String) account) == null) {
            fail(w, "pod has no ServiceAccount of its own");
        }
        if (!RECOMMENDED_LABELS.stream().allMatch(podLabels::containsKey)) {
            fail(w, "pod template lacks the recommended labels");
        }
        Map<String, Object> selector = map(map(w.spec().get("selector")).get("matchLabels"));
        if (longRunning && (selector.isEmpty() || !subset(selector, podLabels))) {
            fail(w, "selector does not match the pod labels");
        }
        Set<String> volumes = new HashSet<>();
        for (Map<String, Object> volume : maps(pod.get("volumes"))) {
            volumes.add((String) volume.get("name"));
            Object configMap = map(volume.get("configMap")).get("name");
            if (configMap != null && find("ConfigMap", (String) configMap) == null) {
                fail(w, "mounts a ConfigMap that does not exist: " + configMap);
            }
        }
        for (Map<String, Object> claim : maps(w.spec().get("volumeClaimTemplates"))) {
            volumes.add((String) map(claim.get("metadata")).get("name"));
        }
        List<Map<String, Object>> containers = new ArrayList<>(maps(pod.get("containers")));
        containers.addAll(maps(pod.get("initContainers")));
        if (containers.isEmpty()) {
            fail(w, "has no containers");
        }
        for (Map<String, Object> c : containers) {
            checkContainer(w, c, longRunning, volumes);
        }
        if (longRunning && replicas > 1) {
            if (map(pod.get("affinity")).get("podAntiAffinity") == null) {
                fail(w, "has " + replicas + " replicas and no pod anti-affinity");
            }
            boolean budget = ofKind("PodDisruptionBudget").stream()
                    .anyMatch(p -> subset(map(map(p.spec().get("selector")).get("matchLabels")), podLabels));
            if (!budget) {
                fail(w, "has " + replicas + " replicas and no PodDisruptionBudget");
            }
        }
        Map<String, Object> anti = map(map(pod.get("affinity")).get("podAntiAffinity"));
        if (longRunning && nodes != null && anti.containsKey("requiredDuringSchedulingIgnoredDuringExecution")) {
            // A StatefulSet rolls one pod at a time without surge; a Deployment adds maxSurge pods.
            int surge = "Deployment".equals(w.kind())
                    ? number(map(map(w.spec().get("strategy")).get("rollingUpdate")).get("maxSurge"), 1) : 0;
            if (replicas + surge > nodes) {
                fail(w, "requires one pod per host for " + (replicas + surge) + " pods (" + replicas + " replicas + "
                        + surge + " surge), but the cluster has at most " + nodes + " nodes: it never converges");
            }
        }
        if ("Deployment".equals(w.kind())) {
            Map<String, Object> rolling = map(map(w.spec().get("strategy")).get("rollingUpdate"));
            if (number(rolling.get("maxUnavailable"), -1) != 0) {
                fail(w, "rolling update may reduce capacity (maxUnavailable is not 0)");
            }
        }
        boolean isolated = ofKind("NetworkPolicy").stream().anyMatch(p -> {
            Map<String, Object> match = map(map(p.spec().get("podSelector")).get("matchLabels"));
            return !match.isEmpty() && subset(match, podLabels);
        });
        if (!isolated) {
            fail(w, "no NetworkPolicy selects its pods");
        }
    }

    private void checkContainer(Graph.Res w, Map<String, Object> c, boolean longRunning, Set<String> volumes) {
        String name = w.kind() + "/" + w.objectName() + " container " + c.get("name");
        String image = (String) c.get("image");
        String last = image == null ? "" : image.substring(image.lastIndexOf('/') + 1);
        if (image == null || !(last.contains(":") || image.contains("@sha256:")) || image.endsWith(":latest")) {
            violations.add(name + ": image is not pinned to a version: " + image);
        }
        Map<String, Object> resources = map(c.get("resources"));
        Map<String, Object> requests = map(resources.get("requests"));
        if (!requests.containsKey("cpu") || !requests.containsKey("memory")) {
            violations.add(name + ": lacks CPU and memory requests");
        }
        if (!map(resources.get("limits")).containsKey("memory")) {
            violations.add(name + ": lacks a memory limit");
        }
        Map<String, Object> security = map(c.get("securityContext"));
        if (!Boolean.FALSE.equals(security.get("allowPrivilegeEscalation"))) {
            violations.add(name + ": allows privilege escalation");
        }
        if (!Boolean.TRUE.equals(security.get("readOnlyRootFilesystem"))) {
            violations.add(name + ": root filesystem is writable");
        }
        if (Boolean.TRUE.equals(security.get("privileged"))) {
            violations.add(name + ": is privileged");
        }
        if (!list(map(security.get("capabilities")).get("drop")).contains("ALL")) {
            violations.add(name + ": does not drop all capabilities");
        }
        for (Map<String, Object> mount : maps(c.get("volumeMounts"))) {
            if (!volumes.contains((String) mount.get("name"))) {
                violations.add(name + ": mounts an undeclared volume " + mount.get("name"));
            }
        }
        for (Map<String, Object> env : maps(c.get("env"))) {
            String var = (String) env.get("name");
            if (var.matches(".*(PASSWORD|SECRET|TOKEN).*") && env.get("value") != null) {
                violations.add(name + ": " + var + " is a plain value, not a Secret reference");
            }
            Map<String, Object> ref = map(map(env.get("valueFrom")).get("secretKeyRef"));
            if (!ref.isEmpty()) {
                Graph.Res secret = find("Secret", (String) ref.get("name"));
                if (secret == null || !map(secret.inputs().get("data")).containsKey(ref.get("key"))) {
                    violations.add(name + ": refers to a missing secret key " + ref.get("name") + "/" + ref.get("key"));
                }
            }
        }
        if (longRunning) {
            Set<Object> ports = new HashSet<>();
            for (Map<String, Object> port : maps(c.get("ports"))) {
                ports.add(number(port.get("containerPort"), -1));
                ports.add(port.get("name"));
            }
            for (String probe : List.of("livenessProbe", "readinessProbe")) {
                Map<String, Object> p = map(c.get(probe));
                if (p.isEmpty()) {
                    violations.add(name + ": has no " + probe);
                    continue;
                }
                Object port = map(p.get("httpGet")).getOrDefault("port", map(p.get("tcpSocket")).get("port"));
                if (port != null && !ports.contains(port instanceof Number n ? (Object) n.intValue() : port)) {
                    violations.add(name + ": " + probe + " points at port " + port + ", which the container does not expose");
                }
            }
        }
    }

    private void checkService(Graph.Res s) {
        Map<String, Object> selector = map(s.spec().get("selector"));
        if (selector.isEmpty()) {
            fail(s, "has no selector");
            return;
        }
        List<Graph.Res> targets = objects.stream()
                .filter(w -> List.of("Deployment", "StatefulSet").contains(w.kind()))
                .filter(w -> subset(selector, map(map(map(w.spec().get("template")).get("metadata")).get("labels"))))
                .toList();
        if (targets.isEmpty()) {
            fail(s, "selects no pods");
        }
        for (Map<String, Object> port : maps(s.spec().get("ports"))) {
            int target = number(port.getOrDefault("targetPort", port.get("port")), -1);
            boolean exposed = targets.stream().flatMap(w -> maps(map(map(w.spec().get("template")).get("spec"))
                    .get("containers")).stream()).flatMap(c -> maps(c.get("ports")).stream())
                    .anyMatch(p -> number(p.get("containerPort"), -2) == target);
            if (!exposed) {
                fail(s, "targets port " + target + ", which no selected container exposes");
            }
        }
    }

    private List<Graph.Res> ofKind(String kind) {
        return objects.stream().filter(r -> kind.equals(r.kind())).toList();
    }

    private Graph.Res find(String kind, String name) {
        return ofKind(kind).stream().filter(r -> Objects.equals(name, r.objectName())).findFirst().orElse(null);
    }

    static boolean subset(Map<String, Object> small, Map<String, Object> big) {
        return small.entrySet().stream().allMatch(e -> Objects.equals(big.get(e.getKey()), e.getValue()));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map ? (Map<String, Object>) o : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return o instanceof List ? (List<Object>) o : List.of();
    }

    static List<Map<String, Object>> maps(Object o) {
        return list(o).stream().map(Policy::map).toList();
    }

    static int number(Object o, int fallback) {
        return o instanceof Number n ? n.intValue() : fallback;
    }
}
