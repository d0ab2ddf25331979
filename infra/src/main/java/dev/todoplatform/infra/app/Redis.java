package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.apps.v1.StatefulSet;
import com.pulumi.kubernetes.apps.v1.inputs.StatefulSetSpecArgs;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import dev.todoplatform.config.ConfigFile;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Kube;
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

    public Redis(String name, Kube kube, String storageClass, ComponentResourceOptions options) {
        super("todo-platform:app:Redis", name, options);
        Kube k = kube.within(this);
        StackConfig config = k.config();
        this.config = k.configMap("redis-config", COMPONENT, Map.of("redis.conf", ConfigFile.load("redis/redis.conf").text()));
        k.serviceAccount(COMPONENT);
        String ping = "REDISCLI_AUTH=\"$REDIS_PASSWORD\" redis-cli -p " + PORT + " ping | grep -q PONG";
        ContainerArgs container = ContainerArgs.builder()
                .name("redis")
                .image(config.images().redis())
                .command("sh", "-c", "exec redis-server " + CONFIG_DIR + "/redis.conf --port " + PORT
                        + " --bind 0.0.0.0 --dir /data --requirepass \"$REDIS_PASSWORD\"")
                .ports(Kube.port("redis", PORT))
                .env(Kube.secretEnv("REDIS_PASSWORD", Secrets.REDIS, Secrets.REDIS_PASSWORD))
                .resources(k.resources(COMPONENT))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(Kube.mount("config", CONFIG_DIR, true), Kube.mount("data", "/data", false))
                .livenessProbe(Kube.execProbe(10, 3, "sh", "-c", ping))
                .readinessProbe(Kube.execProbe(5, 2, "sh", "-c", ping))
                .build();
        this.service = k.clusterService(COMPONENT, COMPONENT, PORT, PORT);
        this.statefulSet = k.statefulSet(COMPONENT, StatefulSetSpecArgs.builder()
                .serviceName(COMPONENT)
                .replicas(1)
                .selector(k.selectorArgs(COMPONENT))
                .template(k.statefulPodTemplate(COMPONENT, UID, List.of(container),
                        List.of(Kube.configVolume("config", this.config.metadata().applyValue(m -> m.name().orElseThrow()), 0444)),
                        30, false))
                .volumeClaimTemplates(k.volumeClaim("data", COMPONENT, config.redisStorage(), storageClass)),
                10, List.of());
        k.claimSizes("data", COMPONENT, 1, config.redisStorage(), statefulSet);
        registerOutputs(Map.of());
    }
}
