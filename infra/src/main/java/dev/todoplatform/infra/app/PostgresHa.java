package dev.todoplatform.infra.app;

import com.pulumi.core.Output;
import com.pulumi.kubernetes.apps.v1.StatefulSet;
import com.pulumi.kubernetes.apps.v1.inputs.StatefulSetSpecArgs;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.kubernetes.core.v1.ServiceArgs;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.ObjectFieldSelectorArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodTemplateSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.ServicePortArgs;
import com.pulumi.kubernetes.core.v1.inputs.ServiceSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeMountArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import dev.todoplatform.config.Daemon;
import dev.todoplatform.config.Topology;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Kube;
import dev.todoplatform.infra.kube.Placement;
import dev.todoplatform.infra.kube.Probe;
import dev.todoplatform.infra.kube.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * PostgreSQL in HA: a StatefulSet of N nodes running config/postgres/node.sh. Node 0 bootstraps as primary,
 * the others clone and follow; repmgrd (a second container in every pod) promotes a standby when the primary
 * dies, and a returning old primary rewinds and rejoins as a standby. Pods spread over hosts and zones.
 */
public final class PostgresHa extends ComponentResource {
    public static final String COMPONENT = "postgres";
    public static final String HEADLESS = "postgres-headless";
    public static final int PORT = 5432;
    public static final int UID = 999;
    public static final String APP_USER = "todo";
    public static final String APP_DATABASE = "todo";
    public static final String CHECK_USER = "pgpool";
    static final String CONFIG_DIR = "/etc/todo-platform/postgres";
    static final String RUN_DIR = "/var/run/postgresql";
    static final String DATA_MOUNT = "/var/lib/postgresql/data";

    /**
     * What the database is made of.
     *
     * @param nodes        PostgreSQL nodes (one primary, the rest standbys)
     * @param synchronous  each commit confirmed by one other node before it is acknowledged
     * @param storage      each node's volume size
     * @param storageClass null: the cluster's default
     */
    public record Args(int nodes, boolean synchronous, String image, StackConfig.Resources resources, String storage,
                       String storageClass, Placement placement) {
    }

    // Probes: what kubelet asks of each container, how often (s), after how many failures it acts.
    private static final String[] PG_ISREADY = {"pg_isready", "-q", "-h", RUN_DIR, "-p", Integer.toString(PORT)};
    /** A fresh standby clones the primary before it listens: up to 30 minutes (10 s x 180). */
    static final Probe STARTUP = Probe.exec(10, 180, PG_ISREADY);
    static final Probe LIVENESS = Probe.exec(10, 6, PG_ISREADY);
    /** Ready = a primary, or a standby that is streaming from one (prints which). */
    static final Probe READINESS = Probe.exec(5, 2, CONFIG_DIR + "/node.sh", "ready");
    /** repmgrd's supervisor: passes while postgres is down or cloning, fails only when the loop itself is stuck. */
    static final Probe REPMGRD = Probe.exec(10, 6, CONFIG_DIR + "/node.sh", "repmgrd-alive");
    static final Probe REPMGRD_READINESS = Probe.exec(10, 3, CONFIG_DIR + "/node.sh", "repmgrd-alive");

    public final StatefulSet statefulSet;
    public final Service headless;
    public final ConfigMap config;
    /** host:port of every node, in node order: what PgPool's backends and the nodes' PEERS list. */
    public final List<String> nodes;

    public PostgresHa(String name, Scope scope, Args args, ComponentResourceOptions options) {
        super("todo-platform:app:PostgresHa", name, options);
        Scope k = scope.within(this);
        this.nodes = IntStream.range(0, args.nodes())
                .mapToObj(i -> Topology.nodeName(i) + "." + HEADLESS + "." + k.namespace() + ".svc.cluster.local:" + PORT)
                .toList();
        this.config = Kube.configMap(k, "postgres-config", COMPONENT, Daemon.POSTGRES.files().stream()
                .collect(Collectors.toMap(f -> f, f -> Daemon.POSTGRES.load(f).text())));
        Kube.serviceAccount(k, COMPONENT);
        // Peers must find each other before they are ready (a standby clones a primary that is starting).
        this.headless = new Service(HEADLESS, ServiceArgs.builder()
                .metadata(k.meta(HEADLESS, COMPONENT))
                .spec(ServiceSpecArgs.builder()
                        .clusterIP("None")
                        .publishNotReadyAddresses(true)
                        .selector(k.selector(COMPONENT))
                        .ports(ServicePortArgs.builder().name("postgres").port(PORT).targetPort(PORT).build())
                        .build())
                .build(), k.options());

        List<EnvVarArgs> env = env(k, args);
        PodTemplateSpecArgs template = Kube.statefulPodTemplate(k, COMPONENT, UID,
                List.of(postgres(args, env), repmgrd(args, env)),
                List.of(Kube.configVolume("config", this.config, 0555),
                        Kube.emptyDir("run", "64Mi"),
                        Kube.emptyDir("tmp", "64Mi")),
                60, args.placement());
        this.statefulSet = Kube.statefulSet(k, COMPONENT, StatefulSetSpecArgs.builder()
                .serviceName(HEADLESS)
                .replicas(args.nodes())
                // Nodes start together: a surviving standby must not wait for node 0 to be Ready.
                .podManagementPolicy("Parallel")
                .selector(k.selectorArgs(COMPONENT))
                .template(template)
                .volumeClaimTemplates(Kube.volumeClaim(k, "data", COMPONENT, args.storage(), args.storageClass())),
                // The startup probe allows a clone 30 minutes.
                35, List.of(headless));
        Kube.claimSizes(k, "data", COMPONENT, args.nodes(), args.storage(), statefulSet);
        Kube.disruptionBudget(k, COMPONENT);
        registerOutputs(Map.of("primaryCandidates", Output.of(String.join(",", nodes))));
    }

    private List<EnvVarArgs> env(Scope k, Args args) {
        List<EnvVarArgs> env = new ArrayList<>(List.of(
                EnvVarArgs.builder().name("NODE_NAME").valueFrom(EnvVarSourceArgs.builder()
                        .fieldRef(ObjectFieldSelectorArgs.builder().fieldPath("metadata.name").build()).build()).build(),
                Kube.env("NODE_HOST", "$(NODE_NAME)." + HEADLESS + "." + k.namespace() + ".svc.cluster.local"),
                Kube.env("PG_PORT", Integer.toString(PORT)),
                Kube.env("PGDATA", DATA_MOUNT + "/pgdata"),
                Kube.env("CONFIG_DIR", CONFIG_DIR),
                Kube.env("RUN_DIR", RUN_DIR),
                Kube.env("PEERS", String.join(" ", nodes)),
                Kube.env("LISTEN_ADDRESSES", "*"),
                Kube.env("CLIENT_NETWORK", "0.0.0.0/0"),
                Kube.env("SYNCHRONOUS_STANDBY_NAMES", Topology.synchronousStandbyNames(args.nodes(), args.synchronous())),
                Kube.env("PG_BINDIR", "/usr/lib/postgresql/15/bin"),
                Kube.env("APP_USER", APP_USER),
                Kube.env("APP_DATABASE", APP_DATABASE),
                Kube.env("PGPOOL_USER", CHECK_USER),
                Kube.env("HOME", "/tmp"),
                Kube.secretEnv("POSTGRES_PASSWORD", Secrets.DATABASE, Secrets.POSTGRES_PASSWORD),
                Kube.secretEnv("REPMGR_PASSWORD", Secrets.DATABASE, Secrets.REPMGR_PASSWORD),
                Kube.secretEnv("APP_PASSWORD", Secrets.DATABASE, Secrets.APP_PASSWORD),
                Kube.secretEnv("PGPOOL_PASSWORD", Secrets.DATABASE, Secrets.CHECK_PASSWORD)));
        return env;
    }

    private static List<VolumeMountArgs> mounts(boolean data) {
        List<VolumeMountArgs> mounts = new ArrayList<>(List.of(
                Kube.mount("config", CONFIG_DIR, true), Kube.mount("run", RUN_DIR, false), Kube.mount("tmp", "/tmp", false)));
        if (data) {
            mounts.add(Kube.mount("data", DATA_MOUNT, false));
        }
        return mounts;
    }

    private static ContainerArgs postgres(Args args, List<EnvVarArgs> env) {
        return ContainerArgs.builder()
                .name("postgres")
                .image(args.image())
                .command(CONFIG_DIR + "/node.sh", "postgres")
                .ports(Kube.port("postgres", PORT))
                .env(env)
                .resources(Kube.resources(args.resources()))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(mounts(true))
                .startupProbe(STARTUP.args())
                .livenessProbe(LIVENESS.args())
                .readinessProbe(READINESS.args())
                .build();
    }

    private static ContainerArgs repmgrd(Args args, List<EnvVarArgs> env) {
        return ContainerArgs.builder()
                .name("repmgrd")
                .image(args.image())
                .command(CONFIG_DIR + "/node.sh", "repmgrd")
                .env(env)
                // The HA checks run here every second, each within 1 s: with a token request (20m, its CPU share
                // under contention) they timed out on a busy node, and a healthy primary looked silent and was
                // replaced (seen at stack start, seven JVMs on two cores).
                .resources(Kube.sidecar("200m", "32Mi", "64Mi"))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(mounts(false))
                .livenessProbe(REPMGRD.args())
                .readinessProbe(REPMGRD_READINESS.args())
                .build();
    }
}
