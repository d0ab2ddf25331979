package dev.todoplatform.pods;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A pod template as the runtime implements it: everything it reads from the rendered spec, and nothing else.
 * Parsing marks each field it takes; what it does not take makes the object fail to load (see {@link Fields}).
 */
record PodSpec(Map<String, String> labels, List<Container> containers, List<Volume> volumes, Integer runAsUser,
               Integer runAsGroup, Integer fsGroup, boolean runAsNonRoot, int terminationGraceSeconds,
               String restartPolicy, boolean shareProcessNamespace) {

    record Port(String name, int containerPort) {
    }

    /** An environment variable: a value (with $(VAR) references), a Secret key, or a field of the pod. */
    record Env(String name, String value, String secretName, String secretKey, String fieldPath) {
    }

    record Mount(String volume, String path, boolean readOnly) {
    }

    /** exec, httpGet or tcpSocket, with kubelet's timing fields. */
    record Probe(List<String> exec, String httpPath, String port, int initialDelaySeconds, int periodSeconds,
                 int timeoutSeconds, int failureThreshold, int successThreshold) {
    }

    record Container(String name, String image, List<String> command, List<String> args, List<Env> env,
                     List<Port> ports, List<Mount> mounts, String memoryLimit, String cpuRequest, String cpuLimit,
                     Integer runAsUser, Integer runAsGroup, Boolean runAsNonRoot, boolean readOnlyRootFilesystem,
                     boolean allowPrivilegeEscalation, List<String> dropCapabilities, List<String> addCapabilities,
                     Probe startup, Probe liveness, Probe readiness) {
        /** A named or numbered container port, as probes and Services give it. */
        Integer port(String nameOrNumber) {
            if (nameOrNumber.chars().allMatch(Character::isDigit)) {
                return Integer.parseInt(nameOrNumber);
            }
            return ports.stream().filter(p -> nameOrNumber.equals(p.name())).map(Port::containerPort).findFirst().orElse(null);
        }
    }

    /** emptyDir, configMap, secret, or a claim (from a StatefulSet's volumeClaimTemplates). */
    record Volume(String name, String kind, String source, Integer defaultMode) {
    }

    static PodSpec parse(Fields template, List<String> claims) {
        Fields meta = template.obj("metadata");
        Map<String, String> labels = meta.stringMap("labels");
        meta.accept("annotations", "recorded by the controller; no annotation changes behaviour here");
        Fields spec = template.obj("spec");
        spec.accept("serviceAccountName", "no API server here, so an identity grants nothing");
        spec.expect("automountServiceAccountToken", false);
        spec.expect("enableServiceLinks", false);
        spec.accept("affinity", "one machine: every pod lands on the same node; anti-affinity needs several (README)");
        spec.accept("topologySpreadConstraints", "one machine, one zone (README)");
        spec.expect("dnsPolicy", "ClusterFirst");
        Fields security = spec.obj("securityContext");
        Fields seccomp = security.obj("seccompProfile");
        seccomp.expect("type", "RuntimeDefault"); // the engine's default seccomp profile
        PodSpec pod = new PodSpec(labels,
                spec.list("containers").stream().map(PodSpec::container).toList(),
                volumes(spec, claims),
                security.optionalInt("runAsUser"), security.optionalInt("runAsGroup"), security.optionalInt("fsGroup"),
                security.bool("runAsNonRoot", false),
                spec.integer("terminationGracePeriodSeconds", 30),
                spec.str("restartPolicy", "Always"),
                spec.bool("shareProcessNamespace", false));
        if (spec.has("initContainers")) {
            throw new IllegalArgumentException(spec.where("initContainers") + " is not implemented");
        }
        return pod;
    }

    private static List<Volume> volumes(Fields spec, List<String> claims) {
        List<Volume> out = new ArrayList<>();
        for (Fields v : spec.list("volumes")) {
            String name = v.required("name");
            if (v.has("emptyDir")) {
                Fields e = v.obj("emptyDir");
                e.accept("sizeLimit", "not enforced: the engine's volumes have no size limit (README)");
                e.expect("medium", "");
                out.add(new Volume(name, "emptyDir", null, null));
            } else if (v.has("configMap")) {
                Fields c = v.obj("configMap");
                out.add(new Volume(name, "configMap", c.required("name"), c.integer("defaultMode", 0644)));
            } else if (v.has("secret")) {
                Fields s = v.obj("secret");
                out.add(new Volume(name, "secret", s.required("secretName"), s.integer("defaultMode", 0644)));
            } else {
                throw new IllegalArgumentException(v.where("name") + "=" + name + ": only emptyDir, configMap and secret volumes are implemented");
            }
        }
        claims.forEach(c -> out.add(new Volume(c, "claim", c, null)));
        return out;
    }

    private static Container container(Fields c) {
        c.expect("imagePullPolicy", "IfNotPresent");
        c.accept("terminationMessagePolicy", "the runtime keeps each container's log instead");
        List<Env> env = new ArrayList<>();
        for (Fields e : c.list("env")) {
            String name = e.required("name");
            if (e.has("valueFrom")) {
                Fields from = e.obj("valueFrom");
                if (from.has("secretKeyRef")) {
                    Fields ref = from.obj("secretKeyRef");
                    env.add(new Env(name, null, ref.required("name"), ref.required("key"), null));
                } else {
                    Fields field = from.obj("fieldRef");
                    field.accept("apiVersion", "v1 only");
                    env.add(new Env(name, null, null, null, field.required("fieldPath")));
                }
            } else {
                env.add(new Env(name, e.str("value", ""), null, null, null));
            }
        }
        List<Port> ports = new ArrayList<>();
        for (Fields p : c.list("ports")) {
            p.expect("protocol", "TCP");
            ports.add(new Port(p.str("name"), p.integer("containerPort", 0)));
        }
        List<Mount> mounts = new ArrayList<>();
        for (Fields m : c.list("volumeMounts")) {
            mounts.add(new Mount(m.required("name"), m.required("mountPath"), m.bool("readOnly", false)));
        }
        Fields resources = c.obj("resources");
        Map<String, String> requests = resources.stringMap("requests");
        Map<String, String> limits = resources.stringMap("limits");
        Fields sc = c.obj("securityContext");
        sc.expect("privileged", false);
        sc.obj("seccompProfile").expect("type", "RuntimeDefault");
        Fields caps = sc.obj("capabilities");
        return new Container(c.required("name"), c.required("image"), c.strings("command"), c.strings("args"), env,
                ports, mounts, limits.get("memory"), requests.get("cpu"), limits.get("cpu"),
                sc.optionalInt("runAsUser"), sc.optionalInt("runAsGroup"), (Boolean) sc.raw("runAsNonRoot"),
                sc.bool("readOnlyRootFilesystem", false), sc.bool("allowPrivilegeEscalation", true),
                caps.strings("drop"), caps.strings("add"),
                probe(c, "startupProbe"), probe(c, "livenessProbe"), probe(c, "readinessProbe"));
    }

    private static Probe probe(Fields c, String key) {
        if (!c.has(key)) {
            return null;
        }
        Fields p = c.obj(key);
        List<String> exec = null;
        String path = null;
        String port = null;
        if (p.has("exec")) {
            exec = p.obj("exec").strings("command");
        } else if (p.has("httpGet")) {
            Fields h = p.obj("httpGet");
            path = h.str("path", "/");
            port = h.required("port");
            h.expect("scheme", "HTTP");
        } else if (p.has("tcpSocket")) {
            port = p.obj("tcpSocket").required("port");
        } else {
            throw new IllegalArgumentException(c.where(key) + ": only exec, httpGet and tcpSocket probes are implemented");
        }
        return new Probe(exec, path, port, p.integer("initialDelaySeconds", 0), p.integer("periodSeconds", 10),
                p.integer("timeoutSeconds", 1), p.integer("failureThreshold", 3), p.integer("successThreshold", 1));
    }

    /** The labels a Service's selector must all match. */
    boolean matches(Map<String, String> selector) {
        return !selector.isEmpty() && selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
}
