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
        ServiceType serviceType,
        Tls tls,
        AntiAffinity podAntiAffinity,
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

    /** One replica per host: a rule (required) or a preference; see {@code Kube} for what each workload gets. */
    public enum AntiAffinity { PREFERRED, REQUIRED }

    /**
     * How the proxy is reached: a cloud load balancer, or a port on every node (minikube without `minikube tunnel`,
     * where a LoadBalancer never gets an address and `pulumi up` would wait for one until it times out).
     */
    public enum ServiceType { LOAD_BALANCER, NODE_PORT }

    /**
     * The proxy's certificate (PEM, the chain after the leaf) and its private key, from {@code pulumi config set
     * --secret}: HTTPS on, HTTP redirected to it. Null: plain HTTP only.
     */
    public record Tls(String certificate, String key) {
        @Override
        public String toString() {
            return "Tls[certificate, key redacted]";
        }
    }

    /** CloudWatch's allowed retention periods, in days. */
    public static final List<Integer> LOG_RETENTION_DAYS = List.of(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365,
            400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653);
    /** IAP TCP forwarding's source range: `gcloud compute ssh --tunnel-through-iap` reaches private nodes from it. */
    public static final String IAP_RANGE = "35.235.240.0/20";

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
     * @param iapSsh            gke: SSH to the (private) nodes through IAP TCP forwarding; off: SSH closed
     * @param deletionProtection gke: the cluster refuses deletion (on by default; the examples turn it off)
     * @param releaseChannel    gke: RAPID, REGULAR or STABLE
     * @param natGatewayPerZone eks: one NAT gateway per zone (a zone outage keeps egress) or one shared
     * @param kubernetesVersion eks: e.g. 1.33; null means EKS's default
     * @param logRetentionDays  eks: how long the control plane's logs are kept
     * @param adminRoles        eks: IAM principals (role ARNs) that administer the cluster besides its creator
     * @param access            the provider's own credential settings, forwarded to the program's explicit provider
     */
    public record Cluster(String region, String project, List<String> zones, String machineType,
                          int minNodesPerZone, int maxNodesPerZone, int diskSizeGb, List<String> apiSourceRanges,
                          boolean iapSsh, boolean deletionProtection, String releaseChannel,
                          boolean natGatewayPerZone, String kubernetesVersion, int logRetentionDays,
                          List<String> adminRoles, Map<String, String> access) {
    }

    /**
     * The provider settings the program forwards to its explicit cloud provider (an explicit provider reads none
     * of the stack's {@code aws:}/{@code gcp:} settings by itself; a credential setting left behind would let a
     * deploy land in whatever account the ambient credentials point to). Any other key of the namespace is refused.
     */
    public static final List<String> ASSUME_ROLE_FIELDS = List.of("roleArn", "sessionName", "externalId", "duration");
    public static final Map<Platform, Set<String>> PROVIDER_KEYS = Map.of(
            Platform.GKE, Set.of("project", "region", "zone", "credentials", "impersonateServiceAccount"),
            Platform.EKS, Set.of("region", "profile", "assumeRole", "allowedAccountIds"));

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
            "allowedSourceRanges", "serviceType", "tlsCertificate", "tlsKey", "podAntiAffinity", "resources", "cluster");
    private static final Set<String> CLUSTER_KEYS = Set.of("zones", "machineType", "minNodesPerZone",
            "maxNodesPerZone", "diskSizeGb", "apiSourceRanges");
    private static final Map<Platform, Set<String>> PLATFORM_CLUSTER_KEYS = Map.of(
            Platform.GKE, Set.of("iapSsh", "deletionProtection", "releaseChannel"),
            Platform.EKS, Set.of("natGateways", "kubernetesVersion", "logRetentionDays", "adminRoles"));
    private static final Pattern ROLE_ARN = Pattern.compile("arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+");

    /** Parses raw settings: keys with their namespace, values as Pulumi hands them over (objects as JSON text). */
    public static StackConfig parse(String stack, Map<String, String> raw) {
        return parse(stack, raw, null);
    }

    /**
     * The same, knowing which keys the stack file holds encrypted ({@code secretKeys}; null when unknown, as under
     * the mocks): a private key set in plain text is refused, since the stack file goes to git.
     */
    public static StackConfig parse(String stack, Map<String, String> raw, Set<String> secretKeys) {
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
        providerKeys(raw, platform);
        StackConfig config = new StackConfig(
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
                r.choice("serviceType", "LoadBalancer", List.of("LoadBalancer", "NodePort")).equals("NodePort")
                        ? ServiceType.NODE_PORT : ServiceType.LOAD_BALANCER,
                tls(r, secretKeys),
                AntiAffinity.valueOf(r.choice("podAntiAffinity", "preferred", List.of("preferred", "required"))
                        .toUpperCase()),
                Map.copyOf(resources),
                cluster(r, platform));
        config.checkFitsTheNodes();
        return config;
    }

    /**
     * The most nodes pods can be scheduled on: GKE's autoscaler adds nodes up to the pool's ceiling; an EKS node
     * group stays at its desired size (this program installs no autoscaler there); unknown for an existing cluster.
     */
    public Integer nodeCeiling() {
        if (cluster == null) {
            return null;
        }
        int perZone = platform == Platform.GKE ? cluster.maxNodesPerZone() : cluster.minNodesPerZone();
        return perZone * cluster.zones().size();
    }

    /** A required one-per-host rule that cannot fit would leave a database pod Pending forever. */
    private void checkFitsTheNodes() {
        Integer nodes = nodeCeiling();
        if (podAntiAffinity == AntiAffinity.REQUIRED && nodes != null && postgresNodes > nodes) {
            throw new ConfigError(PREFIX + "postgresNodes=" + postgresNodes + " does not fit: with " + PREFIX
                    + "podAntiAffinity=required every node needs its own host, and this cluster has at most " + nodes
                    + " (" + (platform == Platform.GKE ? "cluster.maxNodesPerZone" : "cluster.minNodesPerZone")
                    + " x zones): raise that or lower postgresNodes");
        }
    }

    /** The cloud provider's own settings: only those forwarded to the explicit provider, only on its platform. */
    private static void providerKeys(Map<String, String> raw, Platform platform) {
        for (String key : new TreeSet<>(raw.keySet())) {
            for (Platform p : List.of(Platform.GKE, Platform.EKS)) {
                String ns = p == Platform.GKE ? "gcp:" : "aws:";
                if (!key.startsWith(ns)) {
                    continue;
                }
                String name = key.substring(ns.length());
                if (p != platform) {
                    throw new ConfigError(key + " is set, but this stack's platform is " + platform.name().toLowerCase()
                            + ": remove it (pulumi config rm " + key + ")");
                }
                if (!PROVIDER_KEYS.get(p).contains(name)) {
                    throw new ConfigError(key + " is not forwarded to the program's " + p.name().toLowerCase()
                            + " provider, so it would be ignored: supported are " + new TreeSet<>(PROVIDER_KEYS.get(p))
                            .stream().map(k -> ns + k).toList());
                }
            }
            if (key.startsWith("kubernetes:")) {
                throw new ConfigError(key + " would be ignored: the program's Kubernetes provider is explicit; name an"
                        + " existing cluster's context with " + PREFIX + "kubeContext");
            }
        }
    }

    private static Tls tls(Reader r, Set<String> secretKeys) {
        String certificate = r.string("tlsCertificate", null);
        String key = r.string("tlsKey", null);
        if (certificate == null && key == null) {
            return null;
        }
        if (certificate == null || key == null) {
            throw new ConfigError(PREFIX + (certificate == null ? "tlsCertificate" : "tlsKey") + " is missing: HTTPS"
                    + " needs both " + PREFIX + "tlsCertificate and " + PREFIX + "tlsKey (PEM files: pulumi config set"
                    + " --secret " + PREFIX + "tlsKey < key.pem)");
        }
        if (!certificate.startsWith("-----BEGIN CERTIFICATE-----")) {
            throw new ConfigError(PREFIX + "tlsCertificate is invalid: expected a PEM certificate (-----BEGIN"
                    + " CERTIFICATE-----), the server's first, then its chain");
        }
        if (!key.matches("(?s)-----BEGIN (RSA |EC )?PRIVATE KEY-----.*")) {
            throw new ConfigError(PREFIX + "tlsKey is invalid: expected a PEM private key (-----BEGIN PRIVATE KEY-----)");
        }
        if (secretKeys != null && !secretKeys.contains(PREFIX + "tlsKey")) {
            throw new ConfigError(PREFIX + "tlsKey is stored in plain text in the stack file: set it with pulumi config"
                    + " set --secret " + PREFIX + "tlsKey < key.pem");
        }
        return new Tls(certificate + "\n", key + "\n");
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
        if (r.node("cluster").has("sshSourceRanges")) {
            throw new ConfigError(PREFIX + "cluster.sshSourceRanges was removed: the nodes are private (no external"
                    + " address), so no range could reach them; set cluster.iapSsh: true and use"
                    + " `gcloud compute ssh NODE --tunnel-through-iap`");
        }
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
                r.bool("cluster.iapSsh", c.path("iapSsh"), false),
                r.bool("cluster.deletionProtection", c.path("deletionProtection"), true),
                r.oneOf("cluster.releaseChannel", c.path("releaseChannel").asText("REGULAR"),
                        List.of("RAPID", "REGULAR", "STABLE")),
                r.oneOf("cluster.natGateways", c.path("natGateways").asText("per-zone"),
                        List.of("per-zone", "shared")).equals("per-zone"),
                c.has("kubernetesVersion") ? r.matching("cluster.kubernetesVersion",
                        c.path("kubernetesVersion").asText(), K8S_VERSION, "a minor version such as 1.33") : null,
                r.oneOfNumbers("cluster.logRetentionDays", c.path("logRetentionDays"), 30, LOG_RETENTION_DAYS),
                r.list("cluster.adminRoles", c.path("adminRoles"), ROLE_ARN,
                        "a list of IAM role ARNs such as [\"arn:aws:iam::123456789012:role/platform-admins\"]"),
                access(r, platform));
    }

    /** The forwarded provider settings, by their key without namespace (objects as JSON). */
    private static Map<String, String> access(Reader r, Platform platform) {
        String ns = platform == Platform.GKE ? "gcp:" : "aws:";
        Map<String, String> access = new java.util.TreeMap<>();
        for (String key : PROVIDER_KEYS.get(platform)) {
            String value = r.raw.get(ns + key);
            if (value != null && !value.isBlank() && !key.equals("region") && !key.equals("project")) {
                access.put(key, value.trim());
            }
        }
        if (access.containsKey("assumeRole")) {
            Json.fields("aws:assumeRole", access.get("assumeRole"), ASSUME_ROLE_FIELDS);
        }
        return Map.copyOf(access);
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

        int oneOfNumbers(String key, JsonNode node, int fallback, List<Integer> allowed) {
            if (node.isMissingNode()) {
                return fallback;
            }
            if (!node.isIntegralNumber() || !allowed.contains(node.asInt())) {
                throw error(key, node.asText(), "one of " + allowed);
            }
            return node.asInt();
        }

        List<String> list(String key, JsonNode node, Pattern pattern, String expected) {
            if (node.isMissingNode()) {
                return List.of();
            }
            if (!node.isArray()) {
                throw error(key, node.toString(), expected);
            }
            List<String> values = new ArrayList<>();
            for (JsonNode v : node) {
                values.add(matching(key, v.asText(), pattern, expected));
            }
            return List.copyOf(values);
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
