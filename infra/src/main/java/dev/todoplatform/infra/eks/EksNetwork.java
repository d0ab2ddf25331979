package dev.todoplatform.infra.eks;

import com.pulumi.aws.Provider;
import com.pulumi.aws.ec2.Eip;
import com.pulumi.aws.ec2.EipArgs;
import com.pulumi.aws.ec2.InternetGateway;
import com.pulumi.aws.ec2.InternetGatewayArgs;
import com.pulumi.aws.ec2.NatGateway;
import com.pulumi.aws.ec2.NatGatewayArgs;
import com.pulumi.aws.ec2.RouteTable;
import com.pulumi.aws.ec2.RouteTableArgs;
import com.pulumi.aws.ec2.RouteTableAssociation;
import com.pulumi.aws.ec2.RouteTableAssociationArgs;
import com.pulumi.aws.ec2.Subnet;
import com.pulumi.aws.ec2.SubnetArgs;
import com.pulumi.aws.ec2.Vpc;
import com.pulumi.aws.ec2.VpcArgs;
import com.pulumi.aws.ec2.inputs.RouteTableRouteArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import dev.todoplatform.infra.StackConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster's VPC: per zone a public subnet (load balancers, NAT) and a private one (nodes, pods), an internet
 * gateway, NAT per zone or shared, and the subnet tags Kubernetes' AWS load-balancer integration looks for.
 */
public final class EksNetwork extends ComponentResource {
    public static final String VPC_CIDR = "10.0.0.0/16";

    public final Vpc vpc;
    public final List<Subnet> publicSubnets = new ArrayList<>();
    public final List<Subnet> privateSubnets = new ArrayList<>();
    public final List<NatGateway> natGateways = new ArrayList<>();

    public EksNetwork(String name, StackConfig config, Provider aws) {
        super("todo-platform:eks:Network", name, ComponentResourceOptions.builder().build());
        StackConfig.Cluster settings = config.cluster();
        String cluster = config.clusterName();
        CustomResourceOptions opts = CustomResourceOptions.builder().parent(this).provider(aws).build();
        this.vpc = new Vpc("vpc", VpcArgs.builder()
                .cidrBlock(VPC_CIDR)
                .enableDnsSupport(true)
                .enableDnsHostnames(true)
                .tags(Map.of("Name", cluster))
                .build(), opts);
        InternetGateway internet = new InternetGateway("internet", InternetGatewayArgs.builder()
                .vpcId(vpc.id()).tags(Map.of("Name", cluster)).build(), opts);
        RouteTable publicRoutes = new RouteTable("public", RouteTableArgs.builder()
                .vpcId(vpc.id())
                .routes(RouteTableRouteArgs.builder().cidrBlock("0.0.0.0/0").gatewayId(internet.id()).build())
                .tags(Map.of("Name", cluster + "-public"))
                .build(), opts);

        List<String> zones = settings.zones();
        for (int i = 0; i < zones.size(); i++) {
            String zone = zones.get(i);
            Subnet pub = new Subnet("public-" + zone, SubnetArgs.builder()
                    .vpcId(vpc.id())
                    .availabilityZone(zone)
                    .cidrBlock(publicCidr(i))
                    .mapPublicIpOnLaunch(false)
                    .tags(tags(cluster, cluster + "-public-" + zone, "kubernetes.io/role/elb"))
                    .build(), opts);
            publicSubnets.add(pub);
            new RouteTableAssociation("public-" + zone, RouteTableAssociationArgs.builder()
                    .subnetId(pub.id()).routeTableId(publicRoutes.id()).build(), opts);
            privateSubnets.add(new Subnet("private-" + zone, SubnetArgs.builder()
                    .vpcId(vpc.id())
                    .availabilityZone(zone)
                    .cidrBlock(privateCidr(i))
                    .tags(tags(cluster, cluster + "-private-" + zone, "kubernetes.io/role/internal-elb"))
                    .build(), opts));
        }
        boolean perZone = settings.eks().natGateways() == StackConfig.NatGateways.PER_ZONE;
        int nats = perZone ? zones.size() : 1;
        for (int i = 0; i < nats; i++) {
            String zone = zones.get(i);
            Eip ip = new Eip("nat-" + zone, EipArgs.builder().domain("vpc").tags(Map.of("Name", cluster + "-nat-" + zone))
                    .build(), CustomResourceOptions.builder().parent(this).provider(aws).dependsOn(internet).build());
            natGateways.add(new NatGateway("nat-" + zone, NatGatewayArgs.builder()
                    .allocationId(ip.id())
                    .subnetId(publicSubnets.get(i).id())
                    .tags(Map.of("Name", cluster + "-nat-" + zone))
                    .build(), opts));
        }
        for (int i = 0; i < zones.size(); i++) {
            String zone = zones.get(i);
            // Each zone leaves through its own NAT when there is one per zone: a zone outage keeps the others' egress.
            NatGateway nat = natGateways.get(perZone ? i : 0);
            RouteTable routes = new RouteTable("private-" + zone, RouteTableArgs.builder()
                    .vpcId(vpc.id())
                    .routes(RouteTableRouteArgs.builder().cidrBlock("0.0.0.0/0").natGatewayId(nat.id()).build())
                    .tags(Map.of("Name", cluster + "-private-" + zone))
                    .build(), opts);
            new RouteTableAssociation("private-" + zone, RouteTableAssociationArgs.builder()
                    .subnetId(privateSubnets.get(i).id()).routeTableId(routes.id()).build(), opts);
        }
        registerOutputs(Map.of("vpcId", vpc.id()));
    }

    /** 10.0.0.0/19, 10.0.32.0/19, ...: room for the VPC CNI's pod addresses, which come from the node subnets. */
    static String privateCidr(int zone) {
        return "10.0." + (32 * zone) + ".0/19";
    }

    /** 10.0.128.0/22, 10.0.132.0/22, ...: load balancers and NAT only. */
    static String publicCidr(int zone) {
        return "10.0." + (128 + 4 * zone) + ".0/22";
    }

    private static Map<String, String> tags(String cluster, String name, String role) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("Name", name);
        tags.put(role, "1");
        tags.put("kubernetes.io/cluster/" + cluster, "shared");
        return tags;
    }
}
