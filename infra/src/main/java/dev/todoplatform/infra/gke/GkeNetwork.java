package dev.todoplatform.infra.gke;

import com.pulumi.gcp.Provider;
import com.pulumi.gcp.compute.Firewall;
import com.pulumi.gcp.compute.FirewallArgs;
import com.pulumi.gcp.compute.Network;
import com.pulumi.gcp.compute.NetworkArgs;
import com.pulumi.gcp.compute.Router;
import com.pulumi.gcp.compute.RouterArgs;
import com.pulumi.gcp.compute.RouterNat;
import com.pulumi.gcp.compute.RouterNatArgs;
import com.pulumi.gcp.compute.Subnetwork;
import com.pulumi.gcp.compute.SubnetworkArgs;
import com.pulumi.gcp.compute.inputs.FirewallAllowArgs;
import com.pulumi.gcp.compute.inputs.FirewallDenyArgs;
import com.pulumi.gcp.compute.inputs.RouterNatLogConfigArgs;
import com.pulumi.gcp.compute.inputs.SubnetworkSecondaryIpRangeArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.infra.StackConfig;
import java.util.List;
import java.util.Map;

/**
 * The cluster's VPC: no auto subnets, one regional subnet with secondary ranges for pods and services
 * (VPC-native), Private Google Access, Cloud NAT for the private nodes, and a firewall that opens only what the
 * cluster needs. GKE adds its own rules for the control plane and for each LoadBalancer Service.
 */
public final class GkeNetwork extends ComponentResource {
    public static final String NODES_CIDR = "10.10.0.0/20";
    public static final String PODS_CIDR = "10.16.0.0/14";
    public static final String SERVICES_CIDR = "10.20.0.0/20";
    public static final String PODS_RANGE = "pods";
    public static final String SERVICES_RANGE = "services";
    /** Google's load-balancer health checkers (documented ranges; the last two serve network load balancers). */
    public static final List<String> HEALTH_CHECK_RANGES =
            List.of("35.191.0.0/16", "130.211.0.0/22", "209.85.152.0/22", "209.85.204.0/22");

    public final Network network;
    public final Subnetwork subnet;
    /** The network tag on every node: the firewall's rules for nodes target it. */
    public final String nodeTag;

    public GkeNetwork(String name, StackConfig config, Provider gcp, List<Resource> apis) {
        super("todo-platform:gke:Network", name, ComponentResourceOptions.builder().build());
        StackConfig.Cluster cluster = config.cluster();
        CustomResourceOptions opts = CustomResourceOptions.builder().parent(this).provider(gcp).dependsOn(apis).build();
        this.nodeTag = config.clusterName() + "-node";
        this.network = new Network("vpc", NetworkArgs.builder()
                .autoCreateSubnetworks(false)
                .routingMode("REGIONAL")
                .description("todo-platform " + config.stack())
                .build(), opts);
        this.subnet = new Subnetwork("nodes", SubnetworkArgs.builder()
                .network(network.id())
                .region(cluster.region())
                .ipCidrRange(NODES_CIDR)
                .secondaryIpRanges(
                        SubnetworkSecondaryIpRangeArgs.builder().rangeName(PODS_RANGE).ipCidrRange(PODS_CIDR).build(),
                        SubnetworkSecondaryIpRangeArgs.builder().rangeName(SERVICES_RANGE).ipCidrRange(SERVICES_CIDR).build())
                .privateIpGoogleAccess(true)
                .build(), opts);
        Router router = new Router("router", RouterArgs.builder()
                .network(network.id())
                .region(cluster.region())
                .build(), opts);
        new RouterNat("nat", RouterNatArgs.builder()
                .router(router.name())
                .region(cluster.region())
                .natIpAllocateOption("AUTO_ONLY")
                .sourceSubnetworkIpRangesToNat("ALL_SUBNETWORKS_ALL_IP_RANGES")
                .logConfig(RouterNatLogConfigArgs.builder().enable(true).filter("ERRORS_ONLY").build())
                .build(), opts);

        allow("allow-internal", "nodes and pods talk to each other", List.of(NODES_CIDR, PODS_CIDR), null,
                List.of(rule("tcp"), rule("udp"), rule("icmp")), opts);
        allow("allow-health-checks", "Google's load-balancer health checks reach kube-proxy and node ports",
                HEALTH_CHECK_RANGES, nodeTag, List.of(rule("tcp", "10256", "30000-32767")), opts);
        if (cluster.gke().iapSsh()) {
            // The nodes have no external address: SSH reaches them only through IAP's TCP forwarding.
            allow("allow-iap-ssh", "SSH through IAP TCP forwarding (gcloud compute ssh --tunnel-through-iap)",
                    List.of(StackConfig.IAP_RANGE), nodeTag, List.of(rule("tcp", "22")), opts);
        }
        // Explicit (the VPC denies by default too): the rule shows up in audits and firewall logs.
        new Firewall("deny-all-ingress", FirewallArgs.builder()
                .network(network.id())
                .description("everything not allowed above")
                .direction("INGRESS")
                .priority(65534)
                .sourceRanges("0.0.0.0/0")
                .denies(FirewallDenyArgs.builder().protocol("all").build())
                .build(), opts);
        registerOutputs(Map.of("network", network.id(), "subnet", subnet.id()));
    }

    private void allow(String name, String why, List<String> sources, String targetTag, List<FirewallAllowArgs> allows,
                       CustomResourceOptions opts) {
        FirewallArgs.Builder args = FirewallArgs.builder()
                .network(network.id())
                .description(why)
                .direction("INGRESS")
                .priority(1000)
                .sourceRanges(sources)
                .allows(allows);
        if (targetTag != null) {
            args.targetTags(targetTag);
        }
        new Firewall(name, args.build(), opts);
    }

    private static FirewallAllowArgs rule(String protocol, String... ports) {
        FirewallAllowArgs.Builder rule = FirewallAllowArgs.builder().protocol(protocol);
        if (ports.length > 0) {
            rule.ports(List.of(ports));
        }
        return rule.build();
    }
}
