package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.meta.v1.inputs.LabelSelectorArgs;
import com.pulumi.kubernetes.networking.v1.NetworkPolicy;
import com.pulumi.kubernetes.networking.v1.NetworkPolicyArgs;
import com.pulumi.kubernetes.networking.v1.inputs.NetworkPolicyEgressRuleArgs;
import com.pulumi.kubernetes.networking.v1.inputs.NetworkPolicyIngressRuleArgs;
import com.pulumi.kubernetes.networking.v1.inputs.NetworkPolicyPeerArgs;
import com.pulumi.kubernetes.networking.v1.inputs.NetworkPolicyPortArgs;
import com.pulumi.kubernetes.networking.v1.inputs.NetworkPolicySpecArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import dev.todoplatform.infra.kube.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Default deny, then exactly the paths of the diagram: anyone -> proxy -> todo -> pgpool -> postgres
 * (postgres <-> postgres for replication), proxy -> counter -> redis, the migrate Job -> pgpool; DNS for all.
 */
public final class NetworkPolicies extends ComponentResource {
    /** Who may talk to whom on which port: (from, to, port); from null means anyone, outside included. */
    public record Path(String from, String to, int port) {
    }

    public static final List<Path> PATHS = List.of(
            new Path(null, Proxy.COMPONENT, Proxy.PORT),
            new Path(Proxy.COMPONENT, TodoService.COMPONENT, ServiceApp.PORT),
            new Path(Proxy.COMPONENT, CounterService.COMPONENT, ServiceApp.PORT),
            new Path(TodoService.COMPONENT, PgPool.COMPONENT, PgPool.PORT),
            new Path(TodoService.MIGRATE, PgPool.COMPONENT, PgPool.PORT),
            new Path(PgPool.COMPONENT, PostgresHa.COMPONENT, PostgresHa.PORT),
            new Path(PostgresHa.COMPONENT, PostgresHa.COMPONENT, PostgresHa.PORT),
            new Path(CounterService.COMPONENT, Redis.COMPONENT, Redis.PORT));
    /** Where the stack has a certificate: HTTPS to the proxy. */
    public static final Path HTTPS = new Path(null, Proxy.COMPONENT, Proxy.TLS_PORT);

    /** @param https whether the proxy serves HTTPS (the stack has a certificate) */
    public NetworkPolicies(String name, Scope scope, boolean https, ComponentResourceOptions options) {
        super("todo-platform:app:NetworkPolicies", name, options);
        Scope k = scope.within(this);
        policy(k, "default-deny", "network-policy", LabelSelectorArgs.builder().build(), List.of(), List.of(
                NetworkPolicyEgressRuleArgs.builder()
                        .ports(NetworkPolicyPortArgs.builder().protocol("UDP").port(53).build(),
                                NetworkPolicyPortArgs.builder().protocol("TCP").port(53).build())
                        .build()));
        for (String component : List.of(Proxy.COMPONENT, TodoService.COMPONENT, TodoService.MIGRATE,
                CounterService.COMPONENT, PgPool.COMPONENT, PostgresHa.COMPONENT, Redis.COMPONENT)) {
            List<NetworkPolicyIngressRuleArgs> ingress = new ArrayList<>();
            List<NetworkPolicyEgressRuleArgs> egress = new ArrayList<>();
            List<Path> paths = new ArrayList<>(PATHS);
            if (https) {
                paths.add(HTTPS);
            }
            for (Path path : paths) {
                if (path.to().equals(component)) {
                    NetworkPolicyIngressRuleArgs.Builder rule = NetworkPolicyIngressRuleArgs.builder()
                            .ports(NetworkPolicyPortArgs.builder().protocol("TCP").port(path.port()).build());
                    if (path.from() != null) {
                        rule.from(NetworkPolicyPeerArgs.builder().podSelector(k.selectorArgs(path.from())).build());
                    }
                    ingress.add(rule.build());
                }
                if (component.equals(path.from())) {
                    egress.add(NetworkPolicyEgressRuleArgs.builder()
                            .to(NetworkPolicyPeerArgs.builder().podSelector(k.selectorArgs(path.to())).build())
                            .ports(NetworkPolicyPortArgs.builder().protocol("TCP").port(path.port()).build())
                            .build());
                }
            }
            policy(k, component, component, k.selectorArgs(component), ingress, egress);
        }
        registerOutputs(Map.of());
    }

    private static void policy(Scope k, String name, String component, LabelSelectorArgs pods,
                               List<NetworkPolicyIngressRuleArgs> ingress, List<NetworkPolicyEgressRuleArgs> egress) {
        new NetworkPolicy(name, NetworkPolicyArgs.builder()
                .metadata(k.meta(name, component))
                .spec(NetworkPolicySpecArgs.builder()
                        .podSelector(pods)
                        .policyTypes("Ingress", "Egress")
                        .ingress(ingress)
                        .egress(egress)
                        .build())
                .build(), k.options());
    }
}
