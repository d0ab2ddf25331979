package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.apps.v1.StatefulSet;
import com.pulumi.kubernetes.apps.v1.inputs.StatefulSetSpecArgs;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import dev.todoplatform.config.Daemon;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Kube;
import dev.todoplatform.infra.kube.Placement;
import dev.todoplatform.infra.kube.Probe;
import dev.todoplatform.infra.kube.Scope;
import java.util.List;
import java.util.Map;

/**
 * Redis for the hit counter: one instance, append-only file on a volume (config/redis/redis.conf:
 * appendfsync everysec), password from the generated Secret. While it restarts the counter answers 503.
 */
public final class Redis extends ComponentResource {
    public static final String COMPONENT = "redis";
    public static final int PORT = 6379;
    static final int UID = 999;
    static final String CONFIG_DIR = "/etc/todo-platform/redis";

    public final StatefulSet statefulSet;
    public final Service service;
    public final ConfigMap config;

    /** What the counter's store is made of: one instance, its volume ({@code storageClass} null: the default). */
    public record Args(String image, StackConfig.Resources resources, String storage, String storageClass,
                       Placement placement) {
    }

    // Probes: what kubelet asks, how often (s), after how many failures it acts.
    private static final String PING = "REDISCLI_AUTH=\"$REDIS_PASSWORD\" redis-cli -p " + PORT + " ping | grep -q PONG";
    static final Probe LIVENESS = Probe.exec(10, 3, "sh", "-c", PING);
    static final Probe READINESS = Probe.exec(5, 2, "sh", "-c", PING);

    public Redis(String name, Scope scope, Args args, ComponentResourceOptions options) {
        super("todo-platform:app:Redis", name, options);
        Scope k = scope.within(this);
        this.config = Kube.configMap(k, "redis-config", COMPONENT, Map.of("redis.conf",
                Daemon.REDIS.load("redis.conf").text()));
        Kube.serviceAccount(k, COMPONENT);
        ContainerArgs container = ContainerArgs.builder()
                .name("redis")
                .image(args.image())
                .command("sh", "-c", "exec redis-server " + CONFIG_DIR + "/redis.conf --port " + PORT
                        + " --bind 0.0.0.0 --dir /data --requirepass \"$REDIS_PASSWORD\"")
                .ports(Kube.port("redis", PORT))
                .env(Kube.secretEnv("REDIS_PASSWORD", Secrets.REDIS, Secrets.REDIS_PASSWORD))
                .resources(Kube.resources(args.resources()))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(Kube.mount("config", CONFIG_DIR, true), Kube.mount("data", "/data", false))
                .livenessProbe(LIVENESS.args())
                .readinessProbe(READINESS.args())
                .build();
        this.service = Kube.clusterService(k, COMPONENT, COMPONENT, PORT, PORT);
        this.statefulSet = Kube.statefulSet(k, COMPONENT, StatefulSetSpecArgs.builder()
                .serviceName(COMPONENT)
                .replicas(1)
                .selector(k.selectorArgs(COMPONENT))
                .template(Kube.statefulPodTemplate(k, COMPONENT, UID, List.of(container),
                        List.of(Kube.configVolume("config", this.config, 0444)), 30, args.placement()))
                .volumeClaimTemplates(Kube.volumeClaim(k, "data", COMPONENT, args.storage(), args.storageClass())),
                10, List.of());
        Kube.claimSizes(k, "data", COMPONENT, 1, args.storage(), statefulSet);
        registerOutputs(Map.of());
    }
}
