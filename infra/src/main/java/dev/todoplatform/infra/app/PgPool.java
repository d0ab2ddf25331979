package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.apps.v1.Deployment;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeMountArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.config.Daemon;
import dev.todoplatform.config.Topology;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Kube;
import dev.todoplatform.infra.kube.Placement;
import dev.todoplatform.infra.kube.Probe;
import dev.todoplatform.infra.kube.Scope;
import java.util.List;
import java.util.Map;

/**
 * PgPool-II in front of the PostgreSQL nodes: the only database address the application knows. Writes go to
 * the primary, reads are spread over the nodes, connections are pooled. repmgr and node.sh decide failovers
 * (no failover_command); PgPool's checks find the new primary, and the pod's failback container keeps its view
 * of the nodes true where PgPool 4.3 does not (pgpool.sh failback: re-attach, and follow the latest timeline).
 */
public final class PgPool extends ComponentResource {
    public static final String COMPONENT = "pgpool";
    public static final int PORT = 5432;
    /** PCP, on the pod's socket only (pcp_listen_addresses is empty): for the failback container and liveness. */
    static final int PCP_PORT = 9898;
    static final int UID = 1001;
    static final String CONFIG_DIR = "/etc/todo-platform/pgpool";
    static final String RUN_DIR = "/tmp/pgpool";

    /** What the pooler is made of (its backends are the PostgreSQL component's nodes). */
    public record Args(int replicas, String image, StackConfig.Resources resources, Placement placement) {
    }

    // Probes: what kubelet asks of each container, how often (s), after how many failures it acts.
    /** A PgPool that has no primary while a node is one (pgpool.sh alive) is restarted after 30 s. */
    static final Probe LIVENESS = Probe.exec(5, 6, CONFIG_DIR + "/pgpool.sh", "alive");
    static final Probe READINESS = Probe.exec(5, 2, CONFIG_DIR + "/pgpool.sh", "ready");
    /** The failback loop ran within a minute; 6 tries, as an exec probe times out on a starved node (seen). */
    static final Probe FAILBACK = Probe.exec(10, 6, CONFIG_DIR + "/pgpool.sh", "failback-alive");

    public final Deployment deployment;
    public final Service service;
    public final ConfigMap config;

    public PgPool(String name, Scope scope, Args args, PostgresHa postgres, ComponentResourceOptions options) {
        super("todo-platform:app:PgPool", name, options);
        Scope k = scope.within(this);
        this.config = Kube.configMap(k, "pgpool-config", COMPONENT, files(postgres.nodes));
        Kube.serviceAccount(k, COMPONENT);
        ContainerArgs pgpool = ContainerArgs.builder()
                .name("pgpool")
                .image(args.image())
                .command(CONFIG_DIR + "/pgpool.sh", "run")
                .ports(Kube.port("postgres", PORT))
                .env(env())
                .resources(Kube.resources(args.resources()))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(mounts())
                .livenessProbe(LIVENESS.args())
                .readinessProbe(READINESS.args())
                .build();
        // Keeps pgpool's view of the nodes true over PCP (pgpool.sh failback): what pgpool 4.3 cannot do alone.
        // 100m, not a token request: starved while service JVMs started beside it, it took 18 s to give back a
        // primary that pgpool's starved health check had dropped (measured on the pod runtime).
        ContainerArgs failback = ContainerArgs.builder()
                .name("failback")
                .image(args.image())
                .command(CONFIG_DIR + "/pgpool.sh", "failback")
                .env(env())
                .resources(Kube.sidecar("100m", "16Mi", "64Mi"))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(mounts())
                .livenessProbe(FAILBACK.args())
                .readinessProbe(FAILBACK.args())
                .build();
        this.deployment = Kube.deployment(k, COMPONENT, args.replicas(),
                Kube.podTemplate(k, COMPONENT, UID, List.of(pgpool, failback),
                        List.of(Kube.configVolume("config", this.config, 0555), Kube.emptyDir("tmp", "64Mi")), 30,
                        args.placement()),
                List.<Resource>of(postgres));
        this.service = Kube.clusterService(k, COMPONENT, COMPONENT, PORT, PORT);
        if (args.replicas() > 1) {
            Kube.disruptionBudget(k, COMPONENT);
        }
        registerOutputs(Map.of());
    }

    private static List<EnvVarArgs> env() {
        return List.of(Kube.env("CONFIG_DIR", CONFIG_DIR),
                Kube.env("RUN_DIR", RUN_DIR),
                Kube.env("PORT", Integer.toString(PORT)),
                Kube.env("PCP_PORT", Integer.toString(PCP_PORT)),
                Kube.env("APP_USER", PostgresHa.APP_USER),
                Kube.env("CHECK_USER", PostgresHa.CHECK_USER),
                Kube.secretEnv("APP_PASSWORD", Secrets.DATABASE, Secrets.APP_PASSWORD),
                Kube.secretEnv("CHECK_PASSWORD", Secrets.DATABASE, Secrets.CHECK_PASSWORD));
    }

    private static List<VolumeMountArgs> mounts() {
        return List.of(Kube.mount("config", CONFIG_DIR, true), Kube.mount("tmp", "/tmp", false));
    }

    /** pgpool.conf with one backend per node, pool_hba.conf and the start script. */
    static Map<String, String> files(List<String> nodes) {
        return Map.of(
                "pgpool.conf", Daemon.PGPOOL.load("pgpool.conf").render(Map.of(
                        "LISTEN_ADDRESSES", "*",
                        "PORT", Integer.toString(PORT),
                        "PCP_PORT", Integer.toString(PCP_PORT),
                        "RUN_DIR", RUN_DIR,
                        "BACKENDS", Topology.pgpoolBackends(nodes),
                        "CHECK_USER", PostgresHa.CHECK_USER)),
                "pool_hba.conf", Daemon.PGPOOL.load("pool_hba.conf").render(Map.of("CLIENT_NETWORK", "0.0.0.0/0")),
                "pgpool.sh", Daemon.PGPOOL.load("pgpool.sh").text(),
                // The failback loop asks the nodes through kept sessions, as node.sh does.
                "sessions.sh", Daemon.POSTGRES.load("sessions.sh").text());
    }
}
