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
import com.pulumi.kubernetes.core.v1.inputs.ResourceRequirementsArgs;
import com.pulumi.kubernetes.core.v1.inputs.ServicePortArgs;
import com.pulumi.kubernetes.core.v1.inputs.ServiceSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeMountArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import dev.todoplatform.config.ConfigFile;
import dev.todoplatform.config.Topology;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Kube;
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
    static final List<String> FILES = List.of("postgresql.conf", "pg_hba.conf", "repmgr.conf", "node.sh");

    public final StatefulSet statefulSet;
    public final Service headless;
    public final ConfigMap config;
    /** host:port of every node, in node order: what PgPool's backends and the nodes' PEERS list. */
    public final List<String> nodes;

    public PostgresHa(String name, Kube kube, String storageClass, ComponentResourceOptions options) {
        super("todo-platform:app:PostgresHa", name, options);
        Kube k = kube.within(this);
        StackConfig config = k.config();
        this.nodes = IntStream.range(0, config.postgresNodes())
                .mapToObj(i -> Topology.nodeName(i) + "." + HEADLESS + "." + k.namespace() + ".svc.cluster.local:" + PORT)
                .toList();
        this.config = k.configMap("postgres-config", COMPONENT, FILES.stream().collect(Collectors.toMap(
                f -> f, f -> ConfigFile.load("postgres/" + f).text())));
        k.serviceAccount(COMPONENT);
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

        PodTemplateSpecArgs template = k.statefulPodTemplate(COMPONENT, UID,
                List.of(postgres(k, config), repmgrd(k, config)),
                List.of(Kube.configVolume("config", this.config.metadata().applyValue(m -> m.name().orElseThrow()), 0555),
                        Kube.emptyDir("run", "64Mi"),
                        Kube.emptyDir("tmp", "64Mi")),
                60, config.cluster() != null);
        this.statefulSet = k.statefulSet(COMPONENT, StatefulSetSpecArgs.builder()
                .serviceName(HEADLESS)
                .replicas(config.postgresNodes())
                // Nodes start together: a surviving standby must not wait for node 0 to be Ready.
                .podManagementPolicy("Parallel")
                .selector(k.selectorArgs(COMPONENT))
                .template(template)
                .volumeClaimTemplates(k.volumeClaim("data", COMPONENT, config.postgresStorage(), storageClass)),
                // The startup probe allows a clone 30 minutes (10 s x 180).
                35, List.of(headless));
        k.claimSizes("data", COMPONENT, config.postgresNodes(), config.postgresStorage(), statefulSet);
        k.disruptionBudget(COMPONENT);
        registerOutputs(Map.of("primaryCandidates", Output.of(String.join(",", nodes))));
    }

    private List<EnvVarArgs> env(Kube k, StackConfig config) {
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
                Kube.env("SYNCHRONOUS_STANDBY_NAMES", Topology.synchronousStandbyNames(config.postgresNodes(), config.synchronousReplication())),
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

    private List<VolumeMountArgs> mounts(boolean data) {
        List<VolumeMountArgs> mounts = new ArrayList<>(List.of(
                Kube.mount("config", CONFIG_DIR, true), Kube.mount("run", RUN_DIR, false), Kube.mount("tmp", "/tmp", false)));
        if (data) {
            mounts.add(Kube.mount("data", DATA_MOUNT, false));
        }
        return mounts;
    }

    private ContainerArgs postgres(Kube k, StackConfig config) {
        return ContainerArgs.builder()
                .name("postgres")
                .image(config.images().postgres())
                .command(CONFIG_DIR + "/node.sh", "postgres")
                .ports(Kube.port("postgres", PORT))
                .env(env(k, config))
                .resources(k.resources(COMPONENT))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(mounts(true))
                // A fresh standby clones the primary before it listens: allow it up to 30 minutes.
                .startupProbe(Kube.execProbe(10, 180, "pg_isready", "-q", "-h", RUN_DIR, "-p", Integer.toString(PORT)))
                .livenessProbe(Kube.execProbe(10, 6, "pg_isready", "-q", "-h", RUN_DIR, "-p", Integer.toString(PORT)))
                // Ready = a primary, or a standby that is streaming from one (prints which).
                .readinessProbe(Kube.execProbe(5, 2, CONFIG_DIR + "/node.sh", "ready"))
                .build();
    }

    private ContainerArgs repmgrd(Kube k, StackConfig config) {
        return ContainerArgs.builder()
                .name("repmgrd")
                .image(config.images().postgres())
                .command(CONFIG_DIR + "/node.sh", "repmgrd")
                .env(env(k, config))
                .resources(ResourceRequirementsArgs.builder()
                        .requests(Map.of("cpu", "20m", "memory", "32Mi")).limits(Map.of("memory", "64Mi")).build())
                .securityContext(Kube.containerSecurity())
                .volumeMounts(mounts(false))
                .livenessProbe(Kube.execProbe(10, 6, CONFIG_DIR + "/node.sh", "repmgrd-alive"))
                .readinessProbe(Kube.execProbe(10, 3, CONFIG_DIR + "/node.sh", "repmgrd-alive"))
                .build();
    }
}
