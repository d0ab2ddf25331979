package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.apps.v1.Deployment;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.infra.kube.Kube;
import dev.todoplatform.infra.kube.Scope;
import java.util.List;
import java.util.Map;

/** The hit counter: the service image in mode `counter`, a Deployment and its ClusterIP Service. */
public final class CounterService extends ComponentResource {
    public static final String COMPONENT = "counter";

    public final Deployment deployment;
    public final Service service;

    CounterService(String name, Scope scope, ServiceApp.Args args, Redis redis, ComponentResourceOptions options) {
        // The type token predates the class name: changing it would change every child URN of existing stacks.
        super("todo-platform:app:HitCounter", name, options);
        Scope k = scope.within(this);
        Kube.serviceAccount(k, COMPONENT);
        this.deployment = Kube.deployment(k, COMPONENT, args.replicas(),
                ServiceApp.servingPod(k, args, COMPONENT, "counter", List.of(
                        Kube.env("REDIS_HOST", Redis.COMPONENT),
                        Kube.env("REDIS_PORT", Integer.toString(Redis.PORT)),
                        Kube.secretEnv("REDIS_PASSWORD", Secrets.REDIS, Secrets.REDIS_PASSWORD))),
                List.<Resource>of(redis));
        this.service = Kube.clusterService(k, COMPONENT, COMPONENT, ServiceApp.SERVICE_PORT, ServiceApp.PORT);
        Kube.disruptionBudget(k, COMPONENT);
        registerOutputs(Map.of());
    }
}
