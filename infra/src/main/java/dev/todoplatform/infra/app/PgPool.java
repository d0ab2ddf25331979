package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.apps.v1.Deployment;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarArgs;
import com.pulumi.kubernetes.core.v1.inputs.ResourceRequirementsArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeMountArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.config.ConfigFile;
import dev.todoplatform.config.Topology;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Kube;
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

    public final Deployment deployment;
    public final Service service;
    public final ConfigMap config;

    public PgPool(String name, Kube kube, PostgresHa postgres, ComponentResourceOptions options) {
        super("todo-platform:app:PgPool", name, options);
        Kube k = kube.within(this);
        StackConfig config = k.config();
        this.config = k.configMap("pgpool-config", COMPONENT, files(postgres.nodes));
        k.serviceAccount(COMPONENT);
        ContainerArgs pgpool = ContainerArgs.builder()
                .name("pgpool")
                .image(config.images().pgpool())
                .command(CONFIG_DIR + "/pgpool.sh", "run")
                .ports(Kube.port("postgres", PORT))
                .env(env())
                .resources(k.resources(COMPONENT))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(mounts())
                // A PgPool that has no primary while a node is one (pgpool.sh alive) is restarted after 30 s.
                .livenessProbe(Kube.execProbe(5, 6, CONFIG_DIR + "/pgpool.sh", "alive"))
                .readinessProbe(Kube.execProbe(5, 2, CONFIG_DIR + "/pgpool.sh", "ready"))
                .build();
        // Keeps pgpool's view of the nodes true over PCP (pgpool.sh failback): what pgpool 4.3 cannot do alone.
        ContainerArgs failback = ContainerArgs.builder()
                .name("failback")
                .image(config.images().pgpool())
                .command(CONFIG_DIR + "/pgpool.sh", "failback")
                .env(env())
                .resources(ResourceRequirementsArgs.builder()
                        .requests(Map.of("cpu", "20m", "memory", "16Mi")).limits(Map.of("memory", "64Mi")).build())
                .securityContext(Kube.containerSecurity())
                .volumeMounts(mounts())
                .livenessProbe(Kube.execProbe(10, 3, CONFIG_DIR + "/pgpool.sh", "failback-alive"))
                .readinessProbe(Kube.execProbe(10, 3, CONFIG_DIR + "/pgpool.sh", "failback-alive"))
                .build();
        this.deployment = k.deployment(COMPONENT, config.replicas().pgpool(),
                k.podTemplate(COMPONENT, UID, List.of(pgpool, failback),
                        List.of(Kube.configVolume("config", this.config.metadata().applyValue(m -> m.name().orElseThrow()), 0555),
                                Kube.emptyDir("tmp", "64Mi")), 30),
                List.<Resource>of(postgres));
        this.service = k.clusterService(COMPONENT, COMPONENT, PORT, PORT);
        if (config.replicas().pgpool() > 1) {
            k.disruptionBudget(COMPONENT);
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
                "pgpool.conf", ConfigFile.load("pgpool/pgpool.conf").render(Map.of(
                        "LISTEN_ADDRESSES", "*",
                        "PORT", Integer.toString(PORT),
                        "PCP_PORT", Integer.toString(PCP_PORT),
                        "RUN_DIR", RUN_DIR,
                        "BACKENDS", Topology.pgpoolBackends(nodes),
                        "CHECK_USER", PostgresHa.CHECK_USER)),
                "pool_hba.conf", ConfigFile.load("pgpool/pool_hba.conf").render(Map.of("CLIENT_NETWORK", "0.0.0.0/0")),
                "pgpool.sh", ConfigFile.load("pgpool/pgpool.sh").text());
    }
}
