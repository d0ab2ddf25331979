package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.apps.v1.Deployment;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.ProbeArgs;
import com.pulumi.kubernetes.core.v1.inputs.TCPSocketActionArgs;
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
 * the primary, reads are spread over the nodes, connections are pooled. repmgr decides failovers; PgPool's
 * one-second checks find the new primary by themselves (no failover_command, no second brain).
 */
public final class PgPool extends ComponentResource {
    public static final String COMPONENT = "pgpool";
    public static final int PORT = 5432;
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
        ContainerArgs container = ContainerArgs.builder()
                .name("pgpool")
                .image(config.images().pgpool())
                .command(CONFIG_DIR + "/pgpool.sh", "run")
                .ports(Kube.port("postgres", PORT))
                .env(Kube.env("CONFIG_DIR", CONFIG_DIR),
                        Kube.env("RUN_DIR", RUN_DIR),
                        Kube.env("PORT", Integer.toString(PORT)),
                        Kube.env("APP_USER", PostgresHa.APP_USER),
                        Kube.env("CHECK_USER", PostgresHa.CHECK_USER),
                        Kube.secretEnv("APP_PASSWORD", Secrets.DATABASE, Secrets.APP_PASSWORD),
                        Kube.secretEnv("CHECK_PASSWORD", Secrets.DATABASE, Secrets.CHECK_PASSWORD))
                .resources(k.resources(COMPONENT))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(Kube.mount("config", CONFIG_DIR, true), Kube.mount("tmp", "/tmp", false))
                .livenessProbe(ProbeArgs.builder().tcpSocket(TCPSocketActionArgs.builder().port(PORT).build())
                        .periodSeconds(10).timeoutSeconds(2).failureThreshold(3).build())
                .readinessProbe(Kube.execProbe(5, 2, CONFIG_DIR + "/pgpool.sh", "ready"))
                .build();
        this.deployment = k.deployment(COMPONENT, config.replicas().pgpool(),
                k.podTemplate(COMPONENT, UID, List.of(container),
                        List.of(Kube.configVolume("config", this.config.metadata().applyValue(m -> m.name().orElseThrow()), 0555),
                                Kube.emptyDir("tmp", "64Mi")), 30),
                List.<Resource>of(postgres));
        this.service = k.clusterService(COMPONENT, COMPONENT, PORT, PORT);
        if (config.replicas().pgpool() > 1) {
            k.disruptionBudget(COMPONENT);
        }
        registerOutputs(Map.of());
    }

    /** pgpool.conf with one backend per node, pool_hba.conf and the start script. */
    static Map<String, String> files(List<String> nodes) {
        return Map.of(
                "pgpool.conf", ConfigFile.load("pgpool/pgpool.conf").render(Map.of(
                        "LISTEN_ADDRESSES", "*",
                        "PORT", Integer.toString(PORT),
                        "PCP_PORT", "9898",
                        "RUN_DIR", RUN_DIR,
                        "BACKENDS", Topology.pgpoolBackends(nodes),
                        "CHECK_USER", PostgresHa.CHECK_USER)),
                "pool_hba.conf", ConfigFile.load("pgpool/pool_hba.conf").render(Map.of("CLIENT_NETWORK", "0.0.0.0/0")),
                "pgpool.sh", ConfigFile.load("pgpool/pgpool.sh").text());
    }
}
