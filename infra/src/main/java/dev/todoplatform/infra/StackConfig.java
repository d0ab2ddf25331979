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
        Map<String, Resources> resources,
        Cluster cluster) {

    public static final String PREFIX = "todo-platform:";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern QUANTITY = Pattern.compile("[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?");
    private static final Pattern IMAGE = Pattern.compile("[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?");
    private static final Pattern CIDR = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)/(3[0-2]|[12]?\\d)");
    private static final Pattern MACHINE_TYPE = Pattern.compile("[a-z0-9]+([.-][a-z0-9]+)*");
    private static final Pattern K8S_VERSION = Pattern.compile("1\\.[0-9]{2}");
    public static final List<String> COMPONENTS = List.of("todo", "counter", "proxy", "pgpool", "postgres", "redis");

    /** Where the cluster comes from. */
    public enum Platform { EXISTING, GKE, EKS }

    /** Container images; every one pinned to a tag or digest. */
    public record Images(String service, String postgres, String pgpool, String redis, String nginx) {
    }

    /** Replica counts of the stateless parts. */
    public record Replicas(int todo, int counter, int proxy, int pgpool) {
    }

    /**
     * platform gke or eks: the cluster the program creates ({@code todo-platform:cluster}, plus the provider's own
     * {@code gcp:project} / {@code gcp:region} or {@code aws:region}). Null for an existing cluster.
     *
     * @param zones             2 to 4 zones of the region; nodes, PostgreSQL and the proxy spread over them
     * @param minNodesPerZone   autoscaling floor, per zone
     * @param maxNodesPerZone   autoscaling ceiling, per zone
     * @param apiSourceRanges   who may reach the Kubernetes API (GKE master authorized networks, EKS public CIDRs)
     * @param sshSourceRanges   gke: who may SSH to nodes (empty: SSH closed)
     * @param deletionProtection gke: the cluster refuses deletion (on by default; the examples turn it off)
     * @param releaseChannel    gke: RAPID, REGULAR or STABLE
     * @param natGatewayPerZone eks: one NAT gateway per zone (a zone outage keeps egress) or one shared
     * @param kubernetesVersion eks: e.g. 1.33; null means EKS's default
     */
    public record Cluster(String region, String project, List<String> zones, String machineType,
                          int minNodesPerZone, int maxNodesPerZone, int diskSizeGb, List<String> apiSourceRanges,
                          List<String> sshSourceRanges, boolean deletionProtection, String releaseChannel,
                          boolean natGatewayPerZone, String kubernetesVersion) {
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
            "allowedSourceRanges", "podAntiAffinity", "resources", "cluster");
    private static final Set<String> CLUSTER_KEYS = Set.of("zones", "machineType", "minNodesPerZone",
            "maxNodesPerZone", "diskSizeGb", "apiSourceRanges");
    private static final Map<Platform, Set<String>> PLATFORM_CLUSTER_KEYS = Map.of(
            Platform.GKE, Set.of("sshSourceRanges", "deletionProtection", "releaseChannel"),
            Platform.EKS, Set.of("natGateways", "kubernetesVersion"));

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
        if (platform != Platform.EXISTING && raw.containsKey(PREFIX + "kubeContext")) {
            throw new ConfigError(PREFIX + "kubeContext is only for platform existing: on " + platform.name()
                    .toLowerCase() + " the program builds the cluster's kubeconfig itself");
        }
        return new StackConfig(
                stack,
                platform,
                r.string("kubeContext", null),
                r.matching("namespace", r.string("namespace", "todo"), DNS_LABEL, "a DNS label (a-z, 0-9, -)"),
                new Images(
                        r.image("images.service", images.path("service").asText("ghcr.io/todo-platform/service:1.0.0")),
                        r.image("images.postgres", images.path("postgres").asText("ghcr.io/todo-platform/postgres-repmgr:15.20-5.3.3")),
                        r.image("images.pgpool", images.path("pgpool").asText("ghcr.io/todo-platform/pgpool:4.3.5")),
                        r.image("images.redis", images.path("redis").asText("ghcr.io/todo-platform/redis:7.0.15")),
                        r.image("images.nginx", images.path("nginx").asText("ghcr.io/todo-platform/nginx:1.22.1"))),
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
                r.cidrs("allowedSourceRanges", r.node("allowedSourceRanges")),
                r.choice("podAntiAffinity", "preferred", List.of("preferred", "required")).equals("required"),
                Map.copyOf(resources),
                cluster(r, platform));
    }

    private static Cluster cluster(Reader r, Platform platform) {
        if (platform == Platform.EXISTING) {
            if (!r.node("cluster").isMissingNode()) {
                throw new ConfigError(PREFIX + "cluster is only for platform gke or eks: an existing cluster is"
                        + " named by " + PREFIX + "kubeContext");
            }
            return null;
        }
        boolean gke = platform == Platform.GKE;
        String name = platform.name().toLowerCase();
        Set<String> keys = new TreeSet<>(CLUSTER_KEYS);
        keys.addAll(PLATFORM_CLUSTER_KEYS.get(platform));
        JsonNode c = r.object("cluster", keys);
        if (c.isMissingNode()) {
            throw new ConfigError(PREFIX + "cluster is required for platform " + name
                    + ": at least its zones and apiSourceRanges (see the example stack files)");
        }
        String region = r.required(gke ? "gcp:region" : "aws:region", name, gke ? "europe-west1" : "eu-west-1");
        String project = gke ? r.required("gcp:project", name, "my-gcp-project") : null;
        int min = r.integer("cluster.minNodesPerZone", c.path("minNodesPerZone"), 1, 1, 10);
        List<String> apiRanges = r.cidrs("cluster.apiSourceRanges", c.path("apiSourceRanges"));
        if (apiRanges.isEmpty()) {
            throw new ConfigError(PREFIX + "cluster.apiSourceRanges is required for platform " + name
                    + ": the CIDRs allowed to reach the Kubernetes API, including where `pulumi up` runs"
                    + " (0.0.0.0/0 opens it to everyone)");
        }
        return new Cluster(
                region,
                project,
                r.zones("cluster.zones", c.path("zones"), region, gke ? "-[a-z]" : "[a-z]"),
                r.matching("cluster.machineType", c.path("machineType").asText(gke ? "e2-standard-4" : "m6i.xlarge"),
                        MACHINE_TYPE, "a machine type such as " + (gke ? "e2-standard-4" : "m6i.xlarge")),
                min,
                r.integer("cluster.maxNodesPerZone", c.path("maxNodesPerZone"), Math.max(3, min), min, 20),
                r.integer("cluster.diskSizeGb", c.path("diskSizeGb"), gke ? 100 : 50, 20, 2000),
                apiRanges,
                r.cidrs("cluster.sshSourceRanges", c.path("sshSourceRanges")),
                r.bool("cluster.deletionProtection", c.path("deletionProtection"), true),
                r.oneOf("cluster.releaseChannel", c.path("releaseChannel").asText("REGULAR"),
                        List.of("RAPID", "REGULAR", "STABLE")),
                r.oneOf("cluster.natGateways", c.path("natGateways").asText("per-zone"),
                        List.of("per-zone", "shared")).equals("per-zone"),
                c.has("kubernetesVersion") ? r.matching("cluster.kubernetesVersion",
                        c.path("kubernetesVersion").asText(), K8S_VERSION, "a minor version such as 1.33") : null);
    }

    /** The name of the cluster (and the prefix of what belongs to it): todo-platform-&lt;stack&gt;, DNS-safe. */
    public String clusterName() {
        String name = ("todo-platform-" + stack.toLowerCase()).replaceAll("[^a-z0-9-]", "-");
        name = name.length() > 40 ? name.substring(0, 40) : name;
        return name.replaceAll("-+$", "");
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
            return oneOf(key, string(key, fallback), allowed);
        }

        String oneOf(String key, String value, List<String> allowed) {
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
            return bool(key, string(key, Boolean.toString(fallback)));
        }

        boolean bool(String key, JsonNode node, boolean fallback) {
            return bool(key, node.isMissingNode() ? Boolean.toString(fallback) : node.asText());
        }

        private boolean bool(String key, String value) {
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

        /** A setting of another namespace (a provider's), required by the platform. */
        String required(String fullKey, String platform, String example) {
            String value = raw.get(fullKey);
            if (value == null || value.isBlank()) {
                throw new ConfigError(fullKey + " is required for platform " + platform + ": pulumi config set "
                        + fullKey + " " + example);
            }
            return value.trim();
        }

        List<String> zones(String key, JsonNode node, String region, String suffix) {
            Pattern zone = Pattern.compile(Pattern.quote(region) + suffix);
            List<String> zones = new ArrayList<>();
            node.forEach(z -> zones.add(z.asText()));
            boolean valid = node.isArray() && zones.size() >= 2 && zones.size() <= 4
                    && zones.stream().distinct().count() == zones.size()
                    && zones.stream().allMatch(z -> zone.matcher(z).matches());
            if (!valid) {
                throw error(key, node.isMissingNode() ? "(missing)" : node.toString(), "2 to 4 distinct zones of region "
                        + region + " such as [\"" + region + suffix.replace("[a-z]", "a") + "\", \"" + region
                        + suffix.replace("[a-z]", "b") + "\"]: nodes, PostgreSQL and the proxy spread over them");
            }
            return List.copyOf(zones);
        }

        List<String> cidrs(String key, JsonNode node) {
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
