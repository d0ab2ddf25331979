package dev.todoplatform.infra;

import static dev.todoplatform.infra.Policy.list;
import static dev.todoplatform.infra.Policy.map;
import static dev.todoplatform.infra.Policy.maps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.todoplatform.infra.eks.EksCluster;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** platform=eks, from the example stack file Pulumi.prod-aws.yaml: network, firewall, IAM, cluster, nodes. */
class EksTest {
    private static final List<String> ZONES = List.of("eu-west-1a", "eu-west-1b", "eu-west-1c");
    private static final String CLUSTER_TAG = "kubernetes.io/cluster/todo-platform-prod-aws";
    private final Graph aws = Stacks.graph("prod-aws");
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void aVpcWithPublicAndPrivateSubnetsInEveryZoneTaggedForLoadBalancers() {
        Map<String, Object> vpc = aws.one("aws:ec2/vpc:Vpc").inputs();
        assertEquals("10.0.0.0/16", vpc.get("cidrBlock"));
        assertEquals(true, vpc.get("enableDnsHostnames"));
        for (String zone : ZONES) {
            Map<String, Object> pub = subnet("public-" + zone);
            Map<String, Object> priv = subnet("private-" + zone);
            assertEquals(zone, pub.get("availabilityZone"));
            assertEquals(zone, priv.get("availabilityZone"));
            assertEquals("1", map(pub.get("tags")).get("kubernetes.io/role/elb"), "internet-facing LBs go here");
            assertEquals("1", map(priv.get("tags")).get("kubernetes.io/role/internal-elb"));
            assertEquals("shared", map(pub.get("tags")).get(CLUSTER_TAG));
            assertEquals("shared", map(priv.get("tags")).get(CLUSTER_TAG));
            assertEquals(false, pub.get("mapPublicIpOnLaunch"), "nothing gets a public IP by accident");
        }
        assertEquals(List.of("10.0.0.0/19", "10.0.128.0/22", "10.0.132.0/22", "10.0.136.0/22", "10.0.32.0/19",
                        "10.0.64.0/19"),
                aws.ofType("aws:ec2/subnet:Subnet").stream().map(s -> (String) s.inputs().get("cidrBlock")).sorted().toList());
    }

    @Test
    void publicSubnetsRouteToTheInternetGatewayAndEachPrivateZoneToItsOwnNat() {
        Map<String, Object> publicRoutes = routeTable("public");
        assertEquals("internet-id", maps(publicRoutes.get("routes")).get(0).get("gatewayId"));
        assertEquals(3, aws.ofType("aws:ec2/natGateway:NatGateway").size());
        for (String zone : ZONES) {
            Map<String, Object> route = maps(routeTable("private-" + zone).get("routes")).get(0);
            assertEquals("0.0.0.0/0", route.get("cidrBlock"));
            assertEquals("nat-" + zone + "-id", route.get("natGatewayId"), "per-zone NAT");
            Graph.Res nat = aws.ofType("aws:ec2/natGateway:NatGateway").stream()
                    .filter(n -> n.name().equals("nat-" + zone)).findFirst().orElseThrow();
            assertEquals("public-" + zone + "-id", nat.inputs().get("subnetId"), "NAT lives in the public subnet");
        }
        Set<String> associated = aws.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation").stream()
                .map(a -> a.inputs().get("subnetId") + "->" + a.inputs().get("routeTableId")).collect(Collectors.toSet());
        for (String zone : ZONES) {
            assertTrue(associated.contains("public-" + zone + "-id->public-id"), associated.toString());
            assertTrue(associated.contains("private-" + zone + "-id->private-" + zone + "-id"), associated.toString());
        }
    }

    @Test
    void aSharedNatIsOneGatewayForEveryZone() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod-aws"));
        raw.put(StackConfig.PREFIX + "cluster", raw.get(StackConfig.PREFIX + "cluster").replace("per-zone", "shared"));
        Graph shared = Graph.of(StackConfig.parse("prod-aws-shared-nat", raw));
        assertEquals(1, shared.ofType("aws:ec2/natGateway:NatGateway").size());
        assertEquals(1, shared.ofType("aws:ec2/eip:Eip").size());
        assertEquals(Set.of("nat-eu-west-1a-id"), shared.ofType("aws:ec2/routeTable:RouteTable").stream()
                .filter(t -> !t.name().equals("public"))
                .map(t -> (String) maps(t.inputs().get("routes")).get(0).get("natGatewayId")).collect(Collectors.toSet()));
    }

    @Test
    void securityGroupsOpenOnlyWhatEksNeeds() {
        Set<String> rules = new TreeSet<>();
        for (Graph.Res r : aws.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) {
            Map<String, Object> in = r.inputs();
            assertFalse(in.containsKey("cidrIpv4") || in.containsKey("cidrIpv6"), r.name() + " admits an address range");
            rules.add("in " + in.get("securityGroupId") + " <- " + in.get("referencedSecurityGroupId") + " "
                    + in.get("ipProtocol") + " " + port(in));
        }
        for (Graph.Res r : aws.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")) {
            Map<String, Object> out = r.inputs();
            rules.add("out " + out.get("securityGroupId") + " -> " + out.getOrDefault("referencedSecurityGroupId",
                    out.get("cidrIpv4")) + " " + out.get("ipProtocol") + " " + port(out));
        }
        assertEquals(new TreeSet<>(List.of(
                "in cluster-id <- nodes-id tcp 443",
                "in nodes-id <- cluster-id tcp 10250",
                "in nodes-id <- cluster-id tcp 443",
                "in nodes-id <- nodes-id tcp 53",
                "in nodes-id <- nodes-id udp 53",
                "in nodes-id <- nodes-id tcp 1025-65535",
                "out cluster-id -> nodes-id tcp 10250",
                "out cluster-id -> nodes-id tcp 443",
                "out nodes-id -> 0.0.0.0/0 -1 *")), rules);
        for (Graph.Res group : aws.ofType("aws:ec2/securityGroup:SecurityGroup")) {
            assertFalse(group.inputs().containsKey("ingress") || group.inputs().containsKey("egress"),
                    "no inline rules besides the ones above");
        }
        Graph.Res nodes = aws.ofType("aws:ec2/securityGroup:SecurityGroup").stream()
                .filter(g -> g.name().equals("nodes")).findFirst().orElseThrow();
        assertEquals("owned", map(nodes.inputs().get("tags")).get(CLUSTER_TAG), "where the LB integration adds NodePort rules");
    }

    @Test
    void iamRolesCarryOnlyTheAwsManagedPoliciesTheyNeed() throws Exception {
        Map<String, Set<String>> attached = aws.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").stream()
                .collect(Collectors.groupingBy(a -> (String) a.inputs().get("role"),
                        Collectors.mapping(a -> (String) a.inputs().get("policyArn"), Collectors.toSet())));
        assertEquals(Map.of(
                CloudOutputs.autoName("cluster"), Set.copyOf(EksCluster.CLUSTER_POLICIES),
                CloudOutputs.autoName("nodes"), Set.copyOf(EksCluster.NODE_POLICIES),
                CloudOutputs.autoName("ebs-csi"), Set.of(EksCluster.EBS_CSI_POLICY)), attached);
        assertEquals("eks.amazonaws.com", trust("cluster").at("/Statement/0/Principal/Service").asText());
        assertEquals("ec2.amazonaws.com", trust("nodes").at("/Statement/0/Principal/Service").asText());
        JsonNode csi = trust("ebs-csi").at("/Statement/0");
        assertEquals("sts:AssumeRoleWithWebIdentity", csi.get("Action").asText());
        assertTrue(csi.at("/Principal/Federated").asText().contains("oidc"), csi.toString());
        String issuer = CloudOutputs.OIDC_ISSUER.replace("https://", "");
        assertEquals(EksCluster.EBS_CSI_SERVICE_ACCOUNT, csi.at("/Condition/StringEquals").get(issuer + ":sub").asText(),
                "only the CSI controller's service account may assume it");
        Map<String, Object> oidc = aws.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs();
        assertEquals(CloudOutputs.OIDC_ISSUER, oidc.get("url"));
    }

    @Test
    void theClusterHasAPrivateEndpointAndAPublicOneLimitedToTheListedRanges() {
        Map<String, Object> cluster = aws.one("aws:eks/cluster:Cluster").inputs();
        assertEquals("todo-platform-prod-aws", cluster.get("name"));
        Map<String, Object> vpc = map(cluster.get("vpcConfig"));
        assertEquals(true, vpc.get("endpointPrivateAccess"));
        assertEquals(true, vpc.get("endpointPublicAccess"));
        assertEquals(List.of("203.0.113.0/24"), vpc.get("publicAccessCidrs"));
        assertEquals(ZONES.stream().map(z -> "private-" + z + "-id").toList(), vpc.get("subnetIds"));
        assertEquals(List.of("cluster-id"), vpc.get("securityGroupIds"));
        assertEquals(List.of("secrets"), map(cluster.get("encryptionConfig")).get("resources"), "Secrets encrypted with KMS");
        assertEquals(true, aws.one("aws:kms/key:Key").inputs().get("enableKeyRotation"));
        assertEquals(List.of("api", "audit", "authenticator"), cluster.get("enabledClusterLogTypes"));
    }

    @Test
    void aManagedNodeGroupInThePrivateSubnetsOfEveryZone() {
        Map<String, Object> group = aws.one("aws:eks/nodeGroup:NodeGroup").inputs();
        assertEquals(ZONES.stream().map(z -> "private-" + z + "-id").toList(), group.get("subnetIds"));
        assertEquals(Map.of("minSize", 3.0, "desiredSize", 3.0, "maxSize", 9.0), group.get("scalingConfig"),
                "1 to 3 nodes per zone");
        assertEquals(List.of("m6i.xlarge"), group.get("instanceTypes"));
        assertEquals(Map.of("enabled", true), group.get("nodeRepairConfig"));
        assertFalse(group.containsKey("remoteAccess"), "no SSH");
        Map<String, Object> template = aws.one("aws:ec2/launchTemplate:LaunchTemplate").inputs();
        assertEquals("required", map(template.get("metadataOptions")).get("httpTokens"), "IMDSv2 only");
        Map<String, Object> disk = map(maps(template.get("blockDeviceMappings")).get(0).get("ebs"));
        assertEquals("true", disk.get("encrypted"));
        assertEquals("gp3", disk.get("volumeType"));
        assertEquals(List.of("nodes-id"), template.get("vpcSecurityGroupIds"));
        assertEquals("1", map(group.get("launchTemplate")).get("version"));
    }

    @Test
    void theEbsCsiDriverAndAGp3ClassBindTheVolumes() {
        Map<String, Object> addon = addon("aws-ebs-csi-driver").inputs();
        assertEquals("aws-ebs-csi-driver", addon.get("addonName"));
        assertEquals("arn:aws:iam::" + CloudOutputs.ACCOUNT + ":role/" + CloudOutputs.autoName("ebs-csi"),
                addon.get("serviceAccountRoleArn"));
        Graph.Res gp3 = aws.named("StorageClass", "gp3");
        assertEquals("ebs.csi.aws.com", gp3.inputs().get("provisioner"));
        assertEquals("WaitForFirstConsumer", gp3.inputs().get("volumeBindingMode"));
        assertEquals(Map.of("type", "gp3", "encrypted", "true"), gp3.inputs().get("parameters"));
        for (String statefulSet : List.of("postgres", "redis")) {
            assertEquals("gp3", Graph.claimStorageClass(aws.named("StatefulSet", statefulSet)));
        }
    }

    @Test
    void theProxyGetsAnNlbAndTheKubeconfigUsesAwsEksGetToken() throws Exception {
        Map<String, Object> annotations = map(aws.named("Service", "proxy").metadata().get("annotations"));
        assertEquals("nlb", annotations.get("service.beta.kubernetes.io/aws-load-balancer-type"));
        JsonNode kubeconfig = json.readTree((String) aws.outputs.get("kubeconfig"));
        assertEquals(CloudOutputs.EKS_ENDPOINT, kubeconfig.at("/clusters/0/cluster/server").asText());
        JsonNode exec = kubeconfig.at("/users/0/user/exec");
        assertEquals("aws", exec.get("command").asText());
        assertEquals(List.of("--region", "eu-west-1", "eks", "get-token", "--cluster-name", "todo-platform-prod-aws",
                "--output", "json"), list(json.convertValue(exec.get("args"), List.class)));
        assertTrue(aws.secretOutputs.contains("kubeconfig"));
    }

    @Test
    void everyAwsResourceUsesTheStacksProvider() {
        for (Graph.Res r : aws.resources) {
            if (r.type().startsWith("aws:")) {
                assertTrue(r.provider() != null && r.provider().contains("pulumi:providers:aws::aws::"), r.type() + " " + r.name());
            }
        }
        assertEquals("eu-west-1", aws.one("pulumi:providers:aws").inputs().get("region"));
    }

    /** EKS's own group would have no expiry and outlive `pulumi destroy`: the program owns it, before the cluster. */
    @Test
    void theControlPlaneLogGroupIsOwnedWithARetention() {
        Graph.Res logs = aws.one("aws:cloudwatch/logGroup:LogGroup");
        assertEquals("/aws/eks/todo-platform-prod-aws/cluster", logs.inputs().get("name"));
        assertEquals(30.0, logs.inputs().get("retentionInDays"));
        assertTrue(aws.waitsFor(aws.one("aws:eks/cluster:Cluster"), logs), "created before EKS creates its own");
    }

    @Test
    void standardSupportOnlyAndNodesThatFollowTheControlPlanesVersion() {
        Graph.Res cluster = aws.one("aws:eks/cluster:Cluster");
        assertEquals(Map.of("supportType", "STANDARD"), cluster.inputs().get("upgradePolicy"),
                "extended support costs $0.60/h instead of $0.10/h");
        Graph.Res group = aws.one("aws:eks/nodeGroup:NodeGroup");
        assertEquals(CloudOutputs.EKS_VERSION, group.inputs().get("version"));
        assertTrue(aws.waitsFor(group, cluster));
    }

    /** Without the VPC CNI's network policy agent, the default-deny and per-path policies do nothing on EKS. */
    @Test
    void theVpcCniEnforcesNetworkPoliciesBeforeAnyKubernetesObjectExists() throws Exception {
        Graph.Res cni = addon("vpc-cni");
        assertEquals("true", json.readTree((String) cni.inputs().get("configurationValues")).get("enableNetworkPolicy").asText());
        Graph.Res kubernetes = aws.one("pulumi:providers:kubernetes");
        assertTrue(aws.waitsFor(kubernetes, cni), "policies are enforced from the first pod");
        // Destroy runs in reverse: every Kubernetes object (and the volumes its claims delete) goes before the
        // add-ons that enforce policies and delete EBS volumes.
        assertTrue(aws.waitsFor(kubernetes, addon("aws-ebs-csi-driver")));
        for (Graph.Res r : aws.kubernetes()) {
            assertTrue(aws.waitsForTransitively(r, addon("aws-ebs-csi-driver")) || r.provider().contains("::eks::"),
                    r.kind() + "/" + r.objectName());
        }
    }

    @Test
    void podsCannotReachTheNodesInstanceMetadata() {
        Map<String, Object> options = map(aws.one("aws:ec2/launchTemplate:LaunchTemplate").inputs().get("metadataOptions"));
        assertEquals(1.0, options.get("httpPutResponseHopLimit"), "1 hop: the node itself, not its pods");
    }

    @Test
    void adminRolesGetClusterWideAccessEntries() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod-aws"));
        raw.put(StackConfig.PREFIX + "cluster", raw.get(StackConfig.PREFIX + "cluster").replace("\"zones\"",
                "\"adminRoles\":[\"arn:aws:iam::123456789012:role/platform-admins\"],\"zones\""));
        Graph g = Graph.of(StackConfig.parse("prod-aws-admins", raw));
        Map<String, Object> entry = g.one("aws:eks/accessEntry:AccessEntry").inputs();
        assertEquals("arn:aws:iam::123456789012:role/platform-admins", entry.get("principalArn"));
        Graph.Res association = g.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
        assertEquals(EksCluster.ADMIN_POLICY, association.inputs().get("policyArn"));
        assertEquals(Map.of("type", "cluster"), association.inputs().get("accessScope"));
        assertTrue(g.waitsFor(association, g.one("aws:eks/accessEntry:AccessEntry")));
        assertEquals(0, aws.ofType("aws:eks/accessEntry:AccessEntry").size(), "only the creator by default");
    }

    /** An explicit provider reads no aws: setting itself: the credential ones reach it, or the deploy lands elsewhere. */
    @Test
    void theStacksAwsCredentialSettingsReachTheProvider() throws Exception {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod-aws"));
        raw.put("aws:profile", "platform");
        raw.put("aws:assumeRole", "{\"roleArn\":\"arn:aws:iam::123456789012:role/deployer\",\"sessionName\":\"pulumi\"}");
        raw.put("aws:allowedAccountIds", "[\"123456789012\"]");
        Map<String, Object> provider = Graph.of(StackConfig.parse("prod-aws-creds", raw)).one("pulumi:providers:aws").inputs();
        assertEquals("platform", provider.get("profile"));
        JsonNode role = json.readTree(String.valueOf(provider.get("assumeRole")));
        assertEquals("arn:aws:iam::123456789012:role/deployer", role.get("roleArn").asText());
        assertEquals("pulumi", role.get("sessionName").asText());
        assertEquals("123456789012", json.readTree(String.valueOf(provider.get("allowedAccountIds"))).get(0).asText());
        raw.put("aws:assumeRole", "{\"role\":\"deployer\"}");
        ConfigError error = org.junit.jupiter.api.Assertions.assertThrows(ConfigError.class,
                () -> StackConfig.parse("prod-aws-creds", raw));
        assertEquals("aws:assumeRole={\"role\":\"deployer\"} is invalid: expected an object with roleArn and"
                + " optionally [sessionName, externalId, duration]", error.getMessage());
    }

    private Graph.Res addon(String name) {
        return aws.ofType("aws:eks/addon:Addon").stream().filter(a -> a.inputs().get("addonName").equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no add-on " + name));
    }

    private Map<String, Object> subnet(String name) {
        return aws.ofType("aws:ec2/subnet:Subnet").stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no subnet " + name)).inputs();
    }

    private Map<String, Object> routeTable(String name) {
        return aws.ofType("aws:ec2/routeTable:RouteTable").stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no route table " + name)).inputs();
    }

    private JsonNode trust(String role) throws Exception {
        return json.readTree((String) aws.ofType("aws:iam/role:Role").stream().filter(r -> r.name().equals(role))
                .findFirst().orElseThrow().inputs().get("assumeRolePolicy"));
    }

    private static String port(Map<String, Object> rule) {
        if (!rule.containsKey("fromPort")) {
            return "*";
        }
        long from = ((Number) rule.get("fromPort")).longValue();
        long to = ((Number) rule.get("toPort")).longValue();
        return from == to ? Long.toString(from) : from + "-" + to;
    }
}
