package dev.todoplatform.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Every setting of a stack (Pulumi.&lt;stack&gt;.yaml, namespace {@code todo-platform:}), typed, defaulted and
 * validated. Each is declared once in {@link #SETTINGS} (key, default, range, description); `pulumi up` and the
 * tests build the configuration through {@link #parse} from the same raw key/value map.
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
    private static final Pattern ROLE_ARN = Pattern.compile("arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+");
    private static final String CIDRS = "a list of IPv4 CIDRs such as [\"203.0.113.0/24\"]";
    public static final List<String> COMPONENTS = List.of("todo", "counter", "proxy", "pgpool", "postgres", "redis");
    /** CloudWatch's allowed retention periods, in days. */
    public static final List<String> LOG_RETENTION_DAYS = List.of("1", "3", "5", "7", "14", "30", "60", "90", "120",
            "150", "180", "365", "400", "545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653");
    /** IAP TCP forwarding's source range: `gcloud compute ssh --tunnel-through-iap` reaches private nodes from it. */
    public static final String IAP_RANGE = "35.235.240.0/20";

    /** Where the cluster comes from. */
    public enum Platform { EXISTING, GKE, EKS }

    /** One replica per host: a rule (required) or a preference; see {@code Placement} for what each workload gets. */
    public enum AntiAffinity { PREFERRED, REQUIRED }

    /**
     * How the proxy is reached: a cloud load balancer, or a port on every node (minikube without `minikube tunnel`,
     * where a LoadBalancer never gets an address and `pulumi up` would wait for one until it times out).
     */
    public enum ServiceType { LOAD_BALANCER, NODE_PORT }

    /** gke: how fast the cluster follows new Kubernetes versions. */
    public enum ReleaseChannel { RAPID, REGULAR, STABLE }

    /** eks: one NAT gateway per zone (a zone outage keeps the others' egress) or one shared (cheaper). */
    public enum NatGateways { PER_ZONE, SHARED }

    /** CPU and memory request, and the memory limit (= request: no overcommit, predictable OOM). */
    public record Resources(String cpu, String memory) {
    }

    private static final Map<String, Resources> DEFAULT_RESOURCES = Map.of(
            "todo", new Resources("250m", "320Mi"),
            "counter", new Resources("250m", "320Mi"),
            "proxy", new Resources("100m", "64Mi"),
            // Its health checks decide whether a node is dropped: with 100m, four service JVMs starting beside it
            // starved them, and both PgPools dropped a healthy primary (RELIABILITY.md).
            "pgpool", new Resources("250m", "256Mi"),
            "postgres", new Resources("250m", "512Mi"),
            "redis", new Resources("100m", "128Mi"));

    // ---- the catalog: every setting, once ----------------------------------------------------------------------

    static final Setting PLATFORM = Setting.choice("platform", "existing", List.of("existing", "gke", "eks"),
            "where the cluster comes from: one you have, or one the program creates");
    static final Setting KUBE_CONTEXT = Setting.text("kubeContext", "the current context", "a kubeconfig context",
            "the existing cluster to deploy to").on(Platform.EXISTING);
    static final Setting NAMESPACE = Setting.text("namespace", "todo", "a DNS label", "the namespace of everything");
    static final Setting IMAGE_SERVICE = Setting.image("images.service", "ghcr.io/todo-platform/service:1.0.0");
    static final Setting IMAGE_POSTGRES = Setting.image("images.postgres", "ghcr.io/todo-platform/postgres-repmgr:15.20-5.3.3");
    static final Setting IMAGE_PGPOOL = Setting.image("images.pgpool", "ghcr.io/todo-platform/pgpool:4.3.5");
    static final Setting IMAGE_REDIS = Setting.image("images.redis", "ghcr.io/todo-platform/redis:7.0.15");
    static final Setting IMAGE_NGINX = Setting.image("images.nginx", "ghcr.io/todo-platform/nginx:1.22.1");
    static final Setting REPLICAS_TODO = Setting.integer("replicas.todo", 2, 1, 50, "todo service instances");
    static final Setting REPLICAS_COUNTER = Setting.integer("replicas.counter", 2, 1, 50, "hit counter instances");
    static final Setting REPLICAS_PROXY = Setting.integer("replicas.proxy", 1, 1, 20, "nginx instances");
    static final Setting REPLICAS_PGPOOL = Setting.integer("replicas.pgpool", 1, 1, 10, "PgPool instances");
    static final Setting POSTGRES_NODES = Setting.integer("postgresNodes", 2, 2, 9,
            "PostgreSQL nodes: one primary, the others streaming standbys");
    static final Setting SYNCHRONOUS = Setting.bool("synchronousReplication", false,
            "each commit is confirmed by one other node (ANY 1) before it is acknowledged");
    static final Setting STORAGE_CLASS = Setting.text("storageClass", "the platform's (gke `standard-rwo`, eks `gp3`)"
            + " or the cluster's default", "a StorageClass name", "the class of the PostgreSQL and Redis volumes");
    static final Setting POSTGRES_STORAGE = Setting.quantity("postgresStorage", "10Gi", "each PostgreSQL node's volume");
    static final Setting REDIS_STORAGE = Setting.quantity("redisStorage", "1Gi", "Redis's volume");
    static final Setting ALLOWED_SOURCE_RANGES = Setting.list("allowedSourceRanges", "open to all", "IPv4 CIDRs",
            "who may reach the load balancer");
    static final Setting SERVICE_TYPE = Setting.choice("serviceType", "LoadBalancer", List.of("LoadBalancer", "NodePort"),
            "how the proxy is reached: NodePort for minikube without `minikube tunnel` (the `reach` output says how)");
    static final Setting TLS_CERTIFICATE = Setting.text("tlsCertificate", "none: plain HTTP",
            "a PEM certificate, the chain after it", "HTTPS at the proxy (HSTS; HTTP redirected to it)");
    static final Setting TLS_KEY = Setting.text("tlsKey", "none: plain HTTP", "a PEM private key, only with `pulumi config set"
            + " --secret`", "the certificate's key");
    static final Setting POD_ANTI_AFFINITY = Setting.choice("podAntiAffinity", "preferred",
            List.of("preferred", "required"), "one pod per host: a preference (fits one-node minikube) or a rule"
                    + " (README: Scheduling)");
    static final List<Setting> RESOURCES = COMPONENTS.stream().map(c -> Setting.object("resources." + c,
            "`{cpu, memory}`, quantities", "the " + c + " container's CPU and memory request (memory is also the limit)")
            .defaultText("cpu " + DEFAULT_RESOURCES.get(c).cpu() + ", memory " + DEFAULT_RESOURCES.get(c).memory())).toList();
    static final Setting CLUSTER = Setting.object("cluster", "the keys below", "the cluster the program creates"
            + " (its region is the provider's `gcp:region` / `aws:region`, the project `gcp:project`)")
            .defaultText("none: required").on(Platform.GKE, Platform.EKS);
    static final Setting ZONES = Setting.list("cluster.zones", "none: required", "2 to 4 distinct zones of the region",
            "where nodes, PostgreSQL and the proxy spread").on(Platform.GKE, Platform.EKS);
    static final Setting API_SOURCE_RANGES = Setting.list("cluster.apiSourceRanges", "none: required", "IPv4 CIDRs",
            "who may reach the Kubernetes API, where `pulumi up` runs included (GKE master authorized networks,"
                    + " EKS public endpoint)").on(Platform.GKE, Platform.EKS);
    static final Setting MACHINE_TYPE_SETTING = Setting.text("cluster.machineType", "`e2-standard-4` (gke), `m6i.xlarge`"
            + " (eks)", "a machine type", "the nodes' machine type").on(Platform.GKE, Platform.EKS);
    static final Setting MIN_NODES = Setting.integer("cluster.minNodesPerZone", 1, 1, 10,
            "the node floor per zone (EKS: the node group's size; no autoscaler there)").on(Platform.GKE, Platform.EKS);
    static final Setting MAX_NODES = Setting.integer("cluster.maxNodesPerZone", 3, 1, 20,
            "the node ceiling per zone (GKE's autoscaler; EKS: the node group's maximum)")
            .defaultText("3 (at least minNodesPerZone)").on(Platform.GKE, Platform.EKS);
    static final Setting DISK_SIZE = Setting.integer("cluster.diskSizeGb", 100, 20, 2000, "each node's boot disk")
            .defaultText("100 (gke), 50 (eks)").on(Platform.GKE, Platform.EKS);
    static final Setting IAP_SSH = Setting.bool("cluster.iapSsh", false, "SSH to the private nodes through IAP TCP"
            + " forwarding (`gcloud compute ssh NODE --tunnel-through-iap`); off: SSH closed").on(Platform.GKE);
    static final Setting DELETION_PROTECTION = Setting.bool("cluster.deletionProtection", true,
            "the cluster refuses deletion").on(Platform.GKE);
    static final Setting RELEASE_CHANNEL = Setting.choice("cluster.releaseChannel", "REGULAR",
            List.of("RAPID", "REGULAR", "STABLE"), "how fast the cluster follows Kubernetes releases").on(Platform.GKE);
    static final Setting NAT_GATEWAYS = Setting.choice("cluster.natGateways", "per-zone", List.of("per-zone", "shared"),
            "a NAT gateway per zone (a zone outage keeps the others' egress) or one, cheaper").on(Platform.EKS);
    static final Setting KUBERNETES_VERSION = Setting.text("cluster.kubernetesVersion", "EKS's default",
            "a minor version such as 1.33", "the control plane's version; the node group follows it").on(Platform.EKS);
    static final Setting LOG_RETENTION = Setting.choice("cluster.logRetentionDays", "30", LOG_RETENTION_DAYS,
            "how long the control plane's logs are kept (the program owns their log group)").on(Platform.EKS);
    static final Setting ADMIN_ROLES = Setting.list("cluster.adminRoles", "none (the creator only)", "IAM role ARNs",
            "who administers the cluster besides its creator (EKS access entries)").on(Platform.EKS);

    /** Every setting, in the README's order. */
    public static final List<Setting> SETTINGS = catalog();

    private static List<Setting> catalog() {
        List<Setting> all = new ArrayList<>(List.of(PLATFORM, KUBE_CONTEXT, NAMESPACE, IMAGE_SERVICE, IMAGE_POSTGRES,
                IMAGE_PGPOOL, IMAGE_REDIS, IMAGE_NGINX, REPLICAS_TODO, REPLICAS_COUNTER, REPLICAS_PROXY,
                REPLICAS_PGPOOL, POSTGRES_NODES, SYNCHRONOUS, STORAGE_CLASS, POSTGRES_STORAGE, REDIS_STORAGE,
                ALLOWED_SOURCE_RANGES, SERVICE_TYPE, TLS_CERTIFICATE, TLS_KEY, POD_ANTI_AFFINITY));
        all.addAll(RESOURCES);
        all.addAll(List.of(CLUSTER, ZONES, API_SOURCE_RANGES, MACHINE_TYPE_SETTING, MIN_NODES, MAX_NODES, DISK_SIZE,
                IAP_SSH, DELETION_PROTECTION, RELEASE_CHANNEL, NAT_GATEWAYS, KUBERNETES_VERSION, LOG_RETENTION,
                ADMIN_ROLES));
        return List.copyOf(all);
    }

    /** The top-level keys (what `todo-platform:KEY` may be). */
    static Set<String> topLevelKeys() {
        return SETTINGS.stream().map(s -> s.key().contains(".") ? s.key().substring(0, s.key().indexOf('.')) : s.key())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The fields an object setting may have, on a platform (null: any). */
    static Set<String> fieldsOf(String parent, Platform platform) {
        return SETTINGS.stream().filter(s -> s.parent().equals(parent))
                .filter(s -> platform == null || s.appliesTo(platform))
                .map(Setting::field).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The README's settings table, from the catalog (a test holds the README to it). */
    public static String settingsTable() {
        StringBuilder table = new StringBuilder("| key | default | allowed | what |\n| --- | --- | --- | --- |\n");
        for (Setting s : SETTINGS) {
            String where = s.platforms().isEmpty() ? "" : " (" + s.platforms().stream().map(p -> p.name().toLowerCase())
                    .collect(Collectors.joining(", ")) + ")";
            // A value in code, words (a default that depends on something else) as they are.
            String defaults = s.defaultValue() == null ? "" : s.defaultValue().contains(" ") ? s.defaultValue()
                    : "`" + s.defaultValue() + "`";
            table.append("| `").append(s.key()).append('`').append(where).append(" | ").append(defaults)
                    .append(" | ").append(s.allowed()).append(" | ").append(s.description()).append(" |\n");
        }
        return table.toString();
    }

    // ---- the configuration's parts -----------------------------------------------------------------------------

    /** Container images; every one pinned to a tag or digest. */
    public record Images(String service, String postgres, String pgpool, String redis, String nginx) {
    }

    /** Replica counts of the stateless parts. */
    public record Replicas(int todo, int counter, int proxy, int pgpool) {
    }

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

    /**
     * platform gke or eks: the cluster the program creates ({@code todo-platform:cluster}, plus the provider's own
     * {@code gcp:project} / {@code gcp:region} or {@code aws:region}). Null for an existing cluster.
     *
     * @param gke    the GKE-only settings, null on eks
     * @param eks    the EKS-only settings, null on gke
     * @param access the provider's own credential settings, forwarded to the program's explicit provider
     */
    public record Cluster(String region, String project, List<String> zones, Nodes nodes,
                          List<String> apiSourceRanges, Gke gke, Eks eks, Map<String, String> access) {
    }

    /** The nodes: machine type, autoscaling floor and ceiling per zone, boot disk. */
    public record Nodes(String machineType, int minNodesPerZone, int maxNodesPerZone, int diskSizeGb) {
    }

    public record Gke(boolean iapSsh, boolean deletionProtection, ReleaseChannel releaseChannel) {
    }

    /** @param kubernetesVersion null means EKS's default */
    public record Eks(NatGateways natGateways, String kubernetesVersion, int logRetentionDays, List<String> adminRoles) {
    }

    /**
     * The provider settings the program forwards to its explicit cloud provider (an explicit provider reads none
     * of the stack's {@code aws:}/{@code gcp:} settings by itself; a credential setting left behind would let a
     * deploy land in whatever account the ambient credentials point to). Any other key of the namespace is refused.
     */
    public static final Map<Platform, Set<String>> PROVIDER_KEYS = Map.of(
            Platform.GKE, Set.of("project", "region", "zone", "credentials", "impersonateServiceAccount"),
            Platform.EKS, Set.of("region", "profile", "assumeRole", "allowedAccountIds"));
    public static final List<String> ASSUME_ROLE_FIELDS = List.of("roleArn", "sessionName", "externalId", "duration");

    // ---- parsing -------------------------------------------------------------------------------------------------

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
        Platform platform = Platform.valueOf(r.choice(PLATFORM).toUpperCase());
        JsonNode images = r.object("images");
        JsonNode replicas = r.object("replicas");
        Map<String, Resources> resources = new LinkedHashMap<>(DEFAULT_RESOURCES);
        JsonNode sizes = r.object("resources");
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
        if (platform != Platform.EXISTING && raw.containsKey(PREFIX + KUBE_CONTEXT.key())) {
            throw new ConfigError(PREFIX + "kubeContext is only for platform existing: on " + platform.name()
                    .toLowerCase() + " the program builds the cluster's kubeconfig itself");
        }
        providerKeys(raw, platform);
        StackConfig config = new StackConfig(
                stack,
                platform,
                r.string(KUBE_CONTEXT.key(), null),
                r.matching(NAMESPACE.key(), r.string(NAMESPACE.key(), NAMESPACE.defaultValue()), DNS_LABEL,
                        "a DNS label (a-z, 0-9, -)"),
                new Images(r.image(IMAGE_SERVICE, images), r.image(IMAGE_POSTGRES, images), r.image(IMAGE_PGPOOL, images),
                        r.image(IMAGE_REDIS, images), r.image(IMAGE_NGINX, images)),
                new Replicas(r.integer(REPLICAS_TODO, replicas), r.integer(REPLICAS_COUNTER, replicas),
                        r.integer(REPLICAS_PROXY, replicas), r.integer(REPLICAS_PGPOOL, replicas)),
                r.integer(POSTGRES_NODES, r.node(POSTGRES_NODES.key())),
                r.bool(SYNCHRONOUS, r.node(SYNCHRONOUS.key())),
                r.string(STORAGE_CLASS.key(), null),
                r.quantity(POSTGRES_STORAGE.key(), r.string(POSTGRES_STORAGE.key(), POSTGRES_STORAGE.defaultValue())),
                r.quantity(REDIS_STORAGE.key(), r.string(REDIS_STORAGE.key(), REDIS_STORAGE.defaultValue())),
                r.cidrs(ALLOWED_SOURCE_RANGES.key(), r.node(ALLOWED_SOURCE_RANGES.key())),
                r.choice(SERVICE_TYPE).equals("NodePort") ? ServiceType.NODE_PORT : ServiceType.LOAD_BALANCER,
                tls(r, secretKeys),
                AntiAffinity.valueOf(r.choice(POD_ANTI_AFFINITY).toUpperCase()),
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
        Nodes nodes = cluster.nodes();
        int perZone = platform == Platform.GKE ? nodes.maxNodesPerZone() : nodes.minNodesPerZone();
        return perZone * cluster.zones().size();
    }

    /** A required one-per-host rule that cannot fit would leave a database pod Pending forever. */
    private void checkFitsTheNodes() {
        Integer nodes = nodeCeiling();
        if (podAntiAffinity == AntiAffinity.REQUIRED && nodes != null && postgresNodes > nodes) {
            throw new ConfigError(PREFIX + "postgresNodes=" + postgresNodes + " does not fit: with " + PREFIX
                    + "podAntiAffinity=required every node needs its own host, and this cluster has at most " + nodes
                    + " (" + (platform == Platform.GKE ? MAX_NODES.key() : MIN_NODES.key())
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
        String certificate = r.string(TLS_CERTIFICATE.key(), null);
        String key = r.string(TLS_KEY.key(), null);
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
            if (!r.node(CLUSTER.key()).isMissingNode()) {
                throw new ConfigError(PREFIX + "cluster is only for platform gke or eks: an existing cluster is"
                        + " named by " + PREFIX + "kubeContext");
            }
            return null;
        }
        boolean gke = platform == Platform.GKE;
        String name = platform.name().toLowerCase();
        if (r.node(CLUSTER.key()).has("sshSourceRanges")) {
            throw new ConfigError(PREFIX + "cluster.sshSourceRanges was removed: the nodes are private (no external"
                    + " address), so no range could reach them; set cluster.iapSsh: true and use"
                    + " `gcloud compute ssh NODE --tunnel-through-iap`");
        }
        JsonNode c = r.object(CLUSTER.key(), fieldsOf(CLUSTER.key(), platform));
        if (c.isMissingNode()) {
            throw new ConfigError(PREFIX + "cluster is required for platform " + name
                    + ": at least its zones and apiSourceRanges (see the example stack files)");
        }
        String region = r.required(gke ? "gcp:region" : "aws:region", name, gke ? "europe-west1" : "eu-west-1");
        String project = gke ? r.required("gcp:project", name, "my-gcp-project") : null;
        int min = r.integer(MIN_NODES, c);
        List<String> apiRanges = r.cidrs(API_SOURCE_RANGES.key(), c.path(API_SOURCE_RANGES.field()));
        if (apiRanges.isEmpty()) {
            throw new ConfigError(PREFIX + "cluster.apiSourceRanges is required for platform " + name
                    + ": the CIDRs allowed to reach the Kubernetes API, including where `pulumi up` runs"
                    + " (0.0.0.0/0 opens it to everyone)");
        }
        Nodes nodes = new Nodes(
                r.matching(MACHINE_TYPE_SETTING.key(), c.path("machineType").asText(gke ? "e2-standard-4" : "m6i.xlarge"),
                        MACHINE_TYPE, "a machine type such as " + (gke ? "e2-standard-4" : "m6i.xlarge")),
                min,
                r.integer(MAX_NODES.key(), c.path(MAX_NODES.field()), Math.max(3, min), min, MAX_NODES.max()),
                r.integer(DISK_SIZE.key(), c.path(DISK_SIZE.field()), gke ? 100 : 50, DISK_SIZE.min(), DISK_SIZE.max()));
        Gke gkeSettings = gke ? new Gke(r.bool(IAP_SSH, c.path(IAP_SSH.field())),
                r.bool(DELETION_PROTECTION, c.path(DELETION_PROTECTION.field())),
                ReleaseChannel.valueOf(r.oneOf(RELEASE_CHANNEL, c.path(RELEASE_CHANNEL.field())))) : null;
        Eks eksSettings = gke ? null : new Eks(
                NatGateways.valueOf(r.oneOf(NAT_GATEWAYS, c.path(NAT_GATEWAYS.field())).toUpperCase().replace('-', '_')),
                c.has(KUBERNETES_VERSION.field()) ? r.matching(KUBERNETES_VERSION.key(),
                        c.path(KUBERNETES_VERSION.field()).asText(), K8S_VERSION, KUBERNETES_VERSION.allowed()) : null,
                Integer.parseInt(r.oneOf(LOG_RETENTION, c.path(LOG_RETENTION.field()))),
                r.list(ADMIN_ROLES.key(), c.path(ADMIN_ROLES.field()), ROLE_ARN,
                        "a list of IAM role ARNs such as [\"arn:aws:iam::123456789012:role/platform-admins\"]"));
        return new Cluster(region, project,
                r.zones(ZONES.key(), c.path(ZONES.field()), region, gke ? "-[a-z]" : "[a-z]"),
                nodes, apiRanges, gkeSettings, eksSettings, access(r, platform));
    }

    /** The forwarded provider settings, by their key without namespace (objects as JSON). */
    private static Map<String, String> access(Reader r, Platform platform) {
        String ns = platform == Platform.GKE ? "gcp:" : "aws:";
        Map<String, String> access = new TreeMap<>();
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
            Set<String> keys = topLevelKeys();
            for (String key : raw.keySet()) {
                if (key.startsWith(PREFIX) && !keys.contains(key.substring(PREFIX.length()))) {
                    throw new ConfigError(key + " is not a setting of this program: known are "
                            + keys.stream().map(k -> PREFIX + k).toList());
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

        /** A top-level object whose fields are the catalog's {@code key.*} settings. */
        JsonNode object(String key) {
            return object(key, fieldsOf(key, null));
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

        /** A top-level choice. */
        String choice(Setting s) {
            return oneOf(s.key(), string(s.key(), s.defaultValue()), s.choices());
        }

        /** A choice inside an object: {@code node} is the field (missing: the default). */
        String oneOf(Setting s, JsonNode node) {
            if (!node.isMissingNode() && !node.isValueNode()) {
                throw error(s.key(), node.toString(), "one of " + s.choices());
            }
            return oneOf(s.key(), node.isMissingNode() ? s.defaultValue() : node.asText(), s.choices());
        }

        String oneOf(String key, String value, List<String> allowed) {
            if (!allowed.contains(value)) {
                throw error(key, value, "one of " + allowed);
            }
            return value;
        }

        /** An integer field of {@code parent} (a top-level setting when {@code parent} is its own node). */
        int integer(Setting s, JsonNode parent) {
            JsonNode node = s.parent().isEmpty() ? parent : parent.path(s.field());
            return integer(s.key(), node, Integer.parseInt(s.defaultValue()), s.min(), s.max());
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

        boolean bool(Setting s, JsonNode node) {
            String value = node.isMissingNode() ? s.defaultValue() : node.asText();
            if (!value.equals("true") && !value.equals("false")) {
                throw error(s.key(), value, "true or false");
            }
            return Boolean.parseBoolean(value);
        }

        String quantity(String key, String value) {
            return matching(key, value, QUANTITY, "a Kubernetes quantity such as 250m, 512Mi or 10Gi");
        }

        String image(Setting s, JsonNode images) {
            String key = s.key();
            String value = images.path(s.field()).asText(s.defaultValue());
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
            return list(key, node, CIDR, CIDRS);
        }

        private static ConfigError error(String key, String value, String expected) {
            return new ConfigError(PREFIX + key + "=" + value + " is invalid: expected " + expected);
        }
    }
}
