package dev.todoplatform.infra.app;

import com.pulumi.core.Output;
import com.pulumi.kubernetes.core.v1.Namespace;
import com.pulumi.kubernetes.core.v1.NamespaceArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.infra.ClusterTarget;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Kube;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything that runs inside the cluster, in one namespace, through the target's provider. The same on every
 * platform: only the provider, storage class and load-balancer annotations differ.
 */
public final class AppStack extends ComponentResource {
    public final Namespace namespace;
    public final Proxy proxy;

    public AppStack(String name, StackConfig config, ClusterTarget target) {
        super("todo-platform:app:AppStack", name, ComponentResourceOptions.builder()
                .dependsOn(target.dependsOn()).build());
        Map<String, String> nsLabels = new LinkedHashMap<>(new Kube(target.provider(), config).labels("namespace"));
        // Pod Security Admission: the namespace itself refuses pods that are not "restricted".
        nsLabels.put("pod-security.kubernetes.io/enforce", "restricted");
        nsLabels.put("pod-security.kubernetes.io/warn", "restricted");
        this.namespace = new Namespace("namespace", NamespaceArgs.builder()
                .metadata(ObjectMetaArgs.builder().name(config.namespace()).labels(nsLabels).build())
                .build(), CustomResourceOptions.builder().provider(target.provider()).parent(this).build());
        Kube kube = new Kube(target.provider(), config);
        ComponentResourceOptions inNamespace = ComponentResourceOptions.builder().parent(this)
                .dependsOn(List.<Resource>of(namespace)).build();

        Secrets secrets = new Secrets("secrets", kube, inNamespace);
        new NetworkPolicies("network-policies", kube, inNamespace);
        ComponentResourceOptions afterSecrets = ComponentResourceOptions.builder().parent(this)
                .dependsOn(List.<Resource>of(namespace, secrets)).build();
        PostgresHa postgres = new PostgresHa("postgres", kube, target.storageClass(), afterSecrets);
        PgPool pgpool = new PgPool("pgpool", kube, postgres, afterSecrets);
        Redis redis = new Redis("redis", kube, target.storageClass(), afterSecrets);
        TodoService todo = new TodoService("todo", kube, pgpool, afterSecrets);
        HitCounter counter = new HitCounter("counter", kube, redis, afterSecrets);
        this.proxy = new Proxy("proxy", kube, target.loadBalancerAnnotations(), List.of(todo, counter), inNamespace);
        registerOutputs(Map.of("serviceIp", proxy.address, "namespace", Output.of(config.namespace())));
    }
}
