package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.apps.v1.Deployment;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.infra.kube.Kube;
import java.util.List;
import java.util.Map;

/** The hit counter: the service image in mode `counter`, a Deployment and its ClusterIP Service. */
public final class HitCounter extends ComponentResource {
    public static final String COMPONENT = "counter";

    public final Deployment deployment;
    public final Service service;

    public HitCounter(String name, Kube kube, Redis redis, ComponentResourceOptions options) {
        super("todo-platform:app:HitCounter", name, options);
        Kube k = kube.within(this);
        k.serviceAccount(COMPONENT);
        this.deployment = k.deployment(COMPONENT, k.config().replicas().counter(),
                ServiceApp.servingPod(k, COMPONENT, "counter", List.of(
                        Kube.env("REDIS_HOST", Redis.COMPONENT),
                        Kube.env("REDIS_PORT", Integer.toString(Redis.PORT)),
                        Kube.secretEnv("REDIS_PASSWORD", Secrets.REDIS, Secrets.REDIS_PASSWORD))),
                List.<Resource>of(redis));
        this.service = k.clusterService(COMPONENT, COMPONENT, ServiceApp.SERVICE_PORT, ServiceApp.PORT);
        k.disruptionBudget(COMPONENT);
        registerOutputs(Map.of());
    }
}
