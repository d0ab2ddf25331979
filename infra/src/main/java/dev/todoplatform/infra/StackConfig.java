package dev.todoplatform.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Every setting of a stack (Pulumi.&lt;stack&gt;.yaml, namespace {@code todo-platform:}), typed, defaulted and
 * validated. `pulumi up` and the tests build it through {@link #parse} from the same raw key/value map.
 */
public record StackConfig(
        String stack,
        Platform platform,
        String kubeContext,
        String namespace,
        Images images,
        Replicas replicas,
        int postgresNodes,
        boolean synchronousReplication,
        String storageClass,
        String postgresStorage,
        String redisStorage,
        List<String> allowedSourceRanges,
        boolean requiredAntiAffinity,
        Map<String, Resources> resources) {

    public static final String PREFIX = "todo-platform:";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern QUANTITY = Pattern.compile("[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?");
    private static final Pattern IMAGE = Pattern.compile("[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?");
    private static final Pattern CIDR = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)/(3[0-2]|[12]?\\d)");
    public static final List<String> COMPONENTS = List.of("todo", "counter", "proxy", "pgpool", "postgres", "redis");

    /** Where the cluster comes from. */
    public enum Platform { EXISTING, GKE, EKS }

    /** Container images; every one pinned to a tag or digest. */
    public record Images(String service, String postgres, String pgpool, String redis, String nginx) {
    }

    /** Replica counts of the stateless parts. */
    public record Replicas(int todo, int counter, int proxy, int pgpool) {
    }

    /** CPU and memory request, and the memory limit (= request: no overcommit, predictable OOM). */
    public record Resources(String cpu, String memory) {
    }

    private static final Map<String, Resources> DEFAULT_RESOURCES = Map.of(
            "todo", new Resources("250m", "320Mi"),
            "counter", new Resources("250m", "320Mi"),
            "proxy", new Resources("100m", "64Mi"),
            "pgpool", new Resources("100m", "256Mi"),
            "postgres", new Resources("250m", "512Mi"),
            "redis", new Resources("100m", "128Mi"));

    private static final Set<String> KEYS = Set.of("platform", "kubeContext", "namespace", "images", "replicas",
            "postgresNodes", "synchronousReplication", "storageClass", "postgresStorage", "redisStorage",
            "allowedSourceRanges", "podAntiAffinity", "resources");

    /** Parses raw settings: keys with their namespace, values as Pulumi hands them over (objects as JSON text). */
    public static StackConfig parse(String stack, Map<String, String> raw) {
        Reader r = new Reader(raw);
        r.rejectUnknown();
        Platform platform = Platform.valueOf(r.choice("platform", "existing", List.of("existing", "gke", "eks"))
                .toUpperCase());
        JsonNode images = r.object("images", Set.of("service", "postgres", "pgpool", "redis", "nginx"));
        JsonNode replicas = r.object("replicas", Set.of("todo", "counter", "proxy", "pgpool"));
        Map<String, Resources> resources = new LinkedHashMap<>(DEFAULT_RESOURCES);
        JsonNode sizes = r.object("resources", Set.copyOf(COMPONENTS));
        for (String component : COMPONENTS) {
            if (sizes.has(component)) {
                String key = "resources." + component;
                JsonNode size = sizes.get(component);
                r.onlyFields(key, size, Set.of("cpu", "memory"));
                Resources base = DEFAULT_RESOURCES.get(component);
                resources.put(component, new Resources(
                        r.quantity(key + ".cpu", size.path("cpu").asText(base.cpu())),
                        r.quantity(key + ".memory", size.path("memory").asText(base.memory()))));
            }
        }
        return new StackConfig(
                stack,
                platform,
                r.string("kubeContext", null),
                r.matching("namespace", r.string("namespace", "todo"), DNS_LABEL, "a DNS label (a-z, 0-9, -)"),
                new Images(
                        r.image("images.service", images.path("service").asText("ghcr.io/todo-platform/service:1.0.0")),
                        r.image("images.postgres", images.path("postgres").asText("ghcr.io/todo-platform/postgres-repmgr:15.10-5.3.3")),
                        r.image("images.pgpool", images.path("pgpool").asText("ghcr.io/todo-platform/pgpool:4.3.5")),
                        r.image("images.redis", images.path("redis").asText("redis:7.0.15-bookworm")),
                        r.image("images.nginx", images.path("nginx").asText("nginxinc/nginx-unprivileged:1.27.3-bookworm"))),
                new Replicas(
                        r.integer("replicas.todo", replicas.path("todo"), 2, 1, 50),
                        r.integer("replicas.counter", replicas.path("counter"), 2, 1, 50),
                        r.integer("replicas.proxy", replicas.path("proxy"), 1, 1, 20),
                        r.integer("replicas.pgpool", replicas.path("pgpool"), 1, 1, 10)),
                r.integer("postgresNodes", r.node("postgresNodes"), 2, 2, 9),
                r.bool("synchronousReplication", false),
                r.string("storageClass", null),
                r.quantity("postgresStorage", r.string("postgresStorage", "10Gi")),
                r.quantity("redisStorage", r.string("redisStorage", "1Gi")),
                r.cidrs("allowedSourceRanges"),
                r.choice("podAntiAffinity", "preferred", List.of("preferred", "required")).equals("required"),
                Map.copyOf(resources));
    }

    public Resources resources(String component) {
        return resources.get(component);
    }

    /** Reads one key at a time and turns every problem into a {@link ConfigError} naming it. */
    private static final class Reader {
        private final Map<String, String> raw;

        Reader(Map<String, String> raw) {
            this.raw = raw;
        }

        void rejectUnknown() {
            for (String key : raw.keySet()) {
                if (key.startsWith(PREFIX) && !KEYS.contains(key.substring(PREFIX.length()))) {
                    throw new ConfigError(key + " is not a setting of this program: known are "
                            + new TreeSet<>(KEYS).stream().map(k -> PREFIX + k).toList());
                }
            }
        }

        String string(String key, String fallback) {
            String value = raw.get(PREFIX + key);
            return value == null || value.isBlank() ? fallback : value.trim();
        }

        JsonNode node(String key) {
            String value = raw.get(PREFIX + key);
            if (value == null) {
                return JSON.missingNode();
            }
            try {
                return JSON.readTree(value);
            } catch (Exception e) {
                return JSON.getNodeFactory().textNode(value);
            }
        }

        JsonNode object(String key, Set<String> fields) {
            JsonNode node = node(key);
            if (node.isMissingNode()) {
                return node;
            }
            if (!node.isObject()) {
                throw error(key, raw.get(PREFIX + key), "an object with keys " + new TreeSet<>(fields));
            }
            onlyFields(key, node, fields);
            return node;
        }

        void onlyFields(String key, JsonNode node, Set<String> fields) {
            if (!node.isObject()) {
                throw error(key, node.toString(), "an object with keys " + new TreeSet<>(fields));
            }
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!fields.contains(name)) {
                    throw new ConfigError(PREFIX + key + "." + name + " is not a setting: known are "
                            + new TreeSet<>(fields));
                }
            }
        }

        String choice(String key, String fallback, List<String> allowed) {
            String value = string(key, fallback);
            if (!allowed.contains(value)) {
                throw error(key, value, "one of " + allowed);
            }
            return value;
        }

        int integer(String key, JsonNode node, int fallback, int min, int max) {
            if (node.isMissingNode()) {
                return fallback;
            }
            String text = node.asText();
            if (!(node.isIntegralNumber() || text.matches("-?\\d{1,9}")) || node.asInt() < min || node.asInt() > max) {
                throw error(key, text, "an integer from " + min + " to " + max);
            }
            return Integer.parseInt(text);
        }

        boolean bool(String key, boolean fallback) {
            String value = string(key, Boolean.toString(fallback));
            if (!value.equals("true") && !value.equals("false")) {
                throw error(key, value, "true or false");
            }
            return Boolean.parseBoolean(value);
        }

        String quantity(String key, String value) {
            return matching(key, value, QUANTITY, "a Kubernetes quantity such as 250m, 512Mi or 10Gi");
        }

        String image(String key, String value) {
            matching(key, value, IMAGE, "an image reference with a tag or digest");
            String tag = value.contains("@") ? "digest" : value.substring(value.lastIndexOf('/') + 1);
            if (!tag.contains(":") && !tag.equals("digest") || value.endsWith(":latest")) {
                throw error(key, value, "an image pinned to a version tag or digest (not latest, not untagged)");
            }
            return value;
        }

        String matching(String key, String value, Pattern pattern, String expected) {
            if (value == null || !pattern.matcher(value).matches()) {
                throw error(key, value, expected);
            }
            return value;
        }

        List<String> cidrs(String key) {
            JsonNode node = node(key);
            if (node.isMissingNode()) {
                return List.of();
            }
            if (!node.isArray()) {
                throw error(key, node.toString(), "a list of IPv4 CIDRs such as [\"203.0.113.0/24\"]");
            }
            List<String> cidrs = new ArrayList<>();
            for (JsonNode cidr : node) {
                cidrs.add(matching(key, cidr.asText(), CIDR, "a list of IPv4 CIDRs such as [\"203.0.113.0/24\"]"));
            }
            return List.copyOf(cidrs);
        }

        private static ConfigError error(String key, String value, String expected) {
            return new ConfigError(PREFIX + key + "=" + value + " is invalid: expected " + expected);
        }
    }
}
