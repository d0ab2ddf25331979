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
import dev.todoplatform.infra.kube.Placement;
import dev.todoplatform.infra.kube.Scope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything that runs inside the cluster, in one namespace, through the target's provider. The same on every
 * platform: only the provider, storage class and load-balancer annotations differ. This is the one page that says
 * which stack setting feeds which component.
 */
public final class AppStack extends ComponentResource {
    public final Namespace namespace;
    public final Proxy proxy;

    public AppStack(String name, StackConfig config, ClusterTarget target) {
        super("todo-platform:app:AppStack", name, ComponentResourceOptions.builder()
                .dependsOn(target.dependsOn()).build());
        Scope scope = new Scope(target.provider(), config.namespace(), config.stack());
        Map<String, String> nsLabels = new LinkedHashMap<>(scope.labels("namespace"));
        // Pod Security Admission: the namespace itself refuses pods that are not "restricted".
        nsLabels.put("pod-security.kubernetes.io/enforce", "restricted");
        nsLabels.put("pod-security.kubernetes.io/warn", "restricted");
        this.namespace = new Namespace("namespace", NamespaceArgs.builder()
                .metadata(ObjectMetaArgs.builder().name(config.namespace()).labels(nsLabels).build())
                .build(), CustomResourceOptions.builder().provider(target.provider()).parent(this).build());
        ComponentResourceOptions inNamespace = ComponentResourceOptions.builder().parent(this)
                .dependsOn(List.<Resource>of(namespace)).build();

        boolean onePerHost = config.podAntiAffinity() == StackConfig.AntiAffinity.REQUIRED;
        // Placement: the database's zone spread is a rule where the program made a multi-zone cluster.
        Placement spread = new Placement(onePerHost, false);
        Placement database = new Placement(onePerHost, config.cluster() != null);
        StackConfig.Images images = config.images();
        StackConfig.Replicas replicas = config.replicas();

        Secrets secrets = new Secrets("secrets", scope, inNamespace);
        new NetworkPolicies("network-policies", scope, config.tls() != null, inNamespace);
        ComponentResourceOptions afterSecrets = ComponentResourceOptions.builder().parent(this)
                .dependsOn(List.<Resource>of(namespace, secrets)).build();
        PostgresHa postgres = new PostgresHa("postgres", scope, new PostgresHa.Args(config.postgresNodes(),
                config.synchronousReplication(), images.postgres(), config.resources("postgres"),
                config.postgresStorage(), target.storageClass(), database), afterSecrets);
        PgPool pgpool = new PgPool("pgpool", scope, new PgPool.Args(replicas.pgpool(), images.pgpool(),
                config.resources("pgpool"), spread), postgres, afterSecrets);
        Redis redis = new Redis("redis", scope, new Redis.Args(images.redis(), config.resources("redis"),
                config.redisStorage(), target.storageClass(), spread), afterSecrets);
        TodoService todo = new TodoService("todo", scope, new ServiceApp.Args(replicas.todo(), images.service(),
                config.resources("todo"), spread), pgpool, afterSecrets);
        CounterService counter = new CounterService("counter", scope, new ServiceApp.Args(replicas.counter(),
                images.service(), config.resources("counter"), spread), redis, afterSecrets);
        this.proxy = new Proxy("proxy", scope, new Proxy.Args(replicas.proxy(), images.nginx(),
                config.resources("proxy"), config.serviceType(), config.allowedSourceRanges(), config.tls(),
                target.loadBalancerAnnotations(), spread), List.of(todo, counter), inNamespace);
        registerOutputs(Map.of("serviceIp", proxy.address, "namespace", Output.of(config.namespace())));
    }
}
