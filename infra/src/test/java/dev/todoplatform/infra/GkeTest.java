package dev.todoplatform.infra;

import static dev.todoplatform.infra.Policy.list;
import static dev.todoplatform.infra.Policy.map;
import static dev.todoplatform.infra.Policy.maps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.todoplatform.infra.gke.GkeCluster;
import dev.todoplatform.infra.gke.GkeNetwork;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** platform=gke, from the real prod stack file: what is created outside the cluster, and how it is locked down. */
class GkeTest {
    private static final String NODE_TAG = "todo-platform-prod-node";
    private final Graph prod = Stacks.graph("prod");

    @Test
    void aCustomVpcWithOneVpcNativeSubnetAndCloudNat() {
        assertEquals(false, prod.one("gcp:compute/network:Network").inputs().get("autoCreateSubnetworks"));
        Map<String, Object> subnet = prod.one("gcp:compute/subnetwork:Subnetwork").inputs();
        assertEquals("europe-west1", subnet.get("region"));
        assertEquals(GkeNetwork.NODES_CIDR, subnet.get("ipCidrRange"));
        assertEquals(true, subnet.get("privateIpGoogleAccess"));
        assertEquals(Map.of("pods", GkeNetwork.PODS_CIDR, "services", GkeNetwork.SERVICES_CIDR),
                maps(subnet.get("secondaryIpRanges")).stream().collect(Collectors.toMap(
                        r -> (String) r.get("rangeName"), r -> (String) r.get("ipCidrRange"))));
        Map<String, Object> nat = prod.one("gcp:compute/routerNat:RouterNat").inputs();
        assertEquals("ALL_SUBNETWORKS_ALL_IP_RANGES", nat.get("sourceSubnetworkIpRangesToNat"));
        assertEquals(CloudOutputs.autoName("router"), nat.get("router"));
        assertEquals("europe-west1", nat.get("region"));
    }

    @Test
    void theFirewallOpensOnlyInternalTrafficAndHealthChecks() {
        assertEquals(Map.of(
                "allow-internal", "allow [tcp:*, udp:*, icmp:*] from [10.10.0.0/20, 10.16.0.0/14] to every instance",
                "allow-health-checks", "allow [tcp:10256,30000-32767] from " + GkeNetwork.HEALTH_CHECK_RANGES + " to " + NODE_TAG,
                "deny-all-ingress", "deny [all:*] from [0.0.0.0/0] to every instance"), rules(prod));
        for (Graph.Res rule : prod.ofType("gcp:compute/firewall:Firewall")) {
            assertEquals("INGRESS", rule.inputs().get("direction"));
            assertEquals("vpc-id", rule.inputs().get("network"));
            if (rule.inputs().containsKey("allows")) {
                assertFalse(list(rule.inputs().get("sourceRanges")).contains("0.0.0.0/0"), rule.name() + " is open to all");
            }
        }
        assertEquals(65534.0, prod.ofType("gcp:compute/firewall:Firewall").stream()
                .filter(r -> r.name().equals("deny-all-ingress")).findFirst().orElseThrow().inputs().get("priority"));
    }

    @Test
    void sshOpensOnlyToIapBecauseThePrivateNodesHaveNoOtherWayIn() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod"));
        raw.put(StackConfig.PREFIX + "cluster", raw.get(StackConfig.PREFIX + "cluster")
                .replace("\"iapSsh\":false", "\"iapSsh\":true"));
        Map<String, String> rules = rules(Graph.of(StackConfig.parse("prod-ssh", raw)));
        assertEquals("allow [tcp:22] from [35.235.240.0/20] to todo-platform-prod-ssh-node", rules.get("allow-iap-ssh"));
        assertEquals(4, rules.size(), rules.toString());
        assertFalse(rules(prod).values().stream().anyMatch(r -> r.contains("tcp:22")), "SSH is closed in prod");
    }

    @Test
    void aRegionalPrivateClusterOverTheConfiguredZones() {
        Map<String, Object> cluster = prod.one("gcp:container/cluster:Cluster").inputs();
        assertEquals("todo-platform-prod", cluster.get("name"));
        assertEquals("europe-west1", cluster.get("location"), "regional: the control plane is replicated too");
        assertEquals(List.of("europe-west1-b", "europe-west1-c", "europe-west1-d"), cluster.get("nodeLocations"));
        assertEquals(true, cluster.get("removeDefaultNodePool"));
        assertEquals("VPC_NATIVE", cluster.get("networkingMode"));
        assertEquals(Map.of("clusterSecondaryRangeName", "pods", "servicesSecondaryRangeName", "services"),
                cluster.get("ipAllocationPolicy"));
        assertEquals(true, map(cluster.get("privateClusterConfig")).get("enablePrivateNodes"));
        assertEquals(GkeCluster.CONTROL_PLANE_CIDR, map(cluster.get("privateClusterConfig")).get("masterIpv4CidrBlock"));
        assertEquals(List.of("203.0.113.0/24"), maps(map(cluster.get("masterAuthorizedNetworksConfig")).get("cidrBlocks"))
                .stream().map(b -> b.get("cidrBlock")).toList());
        assertEquals("my-gcp-project.svc.id.goog", map(cluster.get("workloadIdentityConfig")).get("workloadPool"));
        assertEquals(true, cluster.get("enableShieldedNodes"));
        assertEquals("ADVANCED_DATAPATH", cluster.get("datapathProvider"), "Dataplane V2 enforces NetworkPolicies");
        assertEquals("REGULAR", map(cluster.get("releaseChannel")).get("channel"));
        assertEquals(false, cluster.get("deletionProtection"), "the example turns it off so destroy works");
        assertEquals("nodes-id", cluster.get("subnetwork"));
    }

    @Test
    void oneManagedAutoscaledNodePoolWithALeastPrivilegeServiceAccount() {
        Map<String, Object> pool = prod.one("gcp:container/nodePool:NodePool").inputs();
        assertEquals(List.of("europe-west1-b", "europe-west1-c", "europe-west1-d"), pool.get("nodeLocations"));
        assertEquals(Map.of("minNodeCount", 1.0, "maxNodeCount", 3.0), pool.get("autoscaling"));
        assertEquals(Map.of("autoRepair", true, "autoUpgrade", true), pool.get("management"));
        Map<String, Object> node = map(pool.get("nodeConfig"));
        assertEquals("e2-standard-4", node.get("machineType"));
        assertEquals("todo-prod-nodes@my-gcp-project.iam.gserviceaccount.com", node.get("serviceAccount"));
        assertEquals(Map.of("enableSecureBoot", true, "enableIntegrityMonitoring", true), node.get("shieldedInstanceConfig"));
        assertEquals("GKE_METADATA", map(node.get("workloadMetadataConfig")).get("mode"), "Workload Identity on nodes");
        assertEquals(List.of(NODE_TAG), node.get("tags"));
        assertEquals("true", map(node.get("metadata")).get("disable-legacy-endpoints"));

        List<Graph.Res> grants = prod.ofType("gcp:projects/iAMMember:IAMMember");
        assertEquals(Set.copyOf(GkeCluster.NODE_ROLES), grants.stream().map(g -> g.inputs().get("role")).collect(Collectors.toSet()));
        for (Graph.Res grant : grants) {
            assertEquals("serviceAccount:todo-prod-nodes@my-gcp-project.iam.gserviceaccount.com", grant.inputs().get("member"));
            assertFalse(List.of("roles/editor", "roles/owner", "roles/viewer").contains(grant.inputs().get("role")));
        }
    }

    @Test
    void theKubeconfigAuthenticatesWithTheGcloudPlugin() throws Exception {
        assertTrue(prod.secretOutputs.contains("kubeconfig"));
        JsonNode kubeconfig = new ObjectMapper().readTree((String) prod.outputs.get("kubeconfig"));
        JsonNode cluster = kubeconfig.at("/clusters/0/cluster");
        assertEquals("https://" + CloudOutputs.GKE_ENDPOINT, cluster.get("server").asText());
        assertEquals(CloudOutputs.CA_DATA, cluster.get("certificate-authority-data").asText());
        JsonNode exec = kubeconfig.at("/users/0/user/exec");
        assertEquals("gke-gcloud-auth-plugin", exec.get("command").asText());
        assertEquals("[\"--use_application_default_credentials\"]", exec.get("args").toString(),
                "Application Default Credentials, not gcloud's active account");
        assertEquals("client.authentication.k8s.io/v1beta1", exec.get("apiVersion").asText());
        assertTrue(exec.get("provideClusterInfo").asBoolean());
        assertEquals("todo-platform-prod", kubeconfig.get("current-context").asText());
        assertFalse(kubeconfig.toString().contains("token"), "no credential in the kubeconfig");
    }

    /** On a fresh project nothing can be created before its API is on: every Google resource waits for them. */
    @Test
    void everyGoogleResourceWaitsForTheApisItCalls() {
        List<Graph.Res> apis = prod.ofType("gcp:projects/service:Service");
        assertEquals(List.of("cloudresourcemanager.googleapis.com", "compute.googleapis.com", "container.googleapis.com",
                "iam.googleapis.com"), apis.stream().map(a -> (String) a.inputs().get("service")).sorted().toList());
        for (Graph.Res r : prod.resources) {
            if (r.type().startsWith("gcp:") && !r.type().equals("gcp:projects/service:Service")) {
                for (Graph.Res api : apis) {
                    assertTrue(prod.waitsForTransitively(r, api), r.type() + " " + r.name() + " races " + api.name());
                }
            }
        }
    }

    /** An explicit provider reads no gcp: setting itself: the credential ones reach it, or the deploy lands elsewhere. */
    @Test
    void theStacksGcpCredentialSettingsReachTheProvider() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod"));
        raw.put("gcp:impersonateServiceAccount", "deployer@my-gcp-project.iam.gserviceaccount.com");
        raw.put("gcp:credentials", "{\"type\":\"service_account\"}");
        Graph g = Graph.of(StackConfig.parse("prod-creds", raw));
        Map<String, Object> provider = g.one("pulumi:providers:gcp").inputs();
        assertEquals("deployer@my-gcp-project.iam.gserviceaccount.com", provider.get("impersonateServiceAccount"));
        assertEquals("{\"type\":\"service_account\"}", provider.get("credentials"));
        assertEquals(null, prod.one("pulumi:providers:gcp").inputs().get("credentials"), "ambient credentials by default");
    }

    @Test
    void everyGoogleResourceUsesTheStacksProviderAndTheVolumesUseGkesCsiClass() {
        for (Graph.Res r : prod.resources) {
            if (r.type().startsWith("gcp:")) {
                assertTrue(r.provider() != null && r.provider().contains("pulumi:providers:gcp::gcp::"), r.type() + " " + r.name());
            }
        }
        Map<String, Object> gcp = prod.one("pulumi:providers:gcp").inputs();
        assertEquals("my-gcp-project", gcp.get("project"));
        assertEquals("europe-west1", gcp.get("region"));
        for (String statefulSet : List.of("postgres", "redis")) {
            assertEquals("standard-rwo", Graph.claimStorageClass(prod.named("StatefulSet", statefulSet)));
        }
    }

    /** Firewall rules by name: "allow|deny [protocol:ports] from [sources] to target". */
    static Map<String, String> rules(Graph g) {
        Map<String, String> rules = new TreeMap<>();
        for (Graph.Res r : g.ofType("gcp:compute/firewall:Firewall")) {
            boolean allow = r.inputs().containsKey("allows");
            String what = maps(r.inputs().get(allow ? "allows" : "denies")).stream()
                    .map(a -> a.get("protocol") + ":" + (a.containsKey("ports")
                            ? String.join(",", list(a.get("ports")).stream().map(String::valueOf).toList()) : "*"))
                    .toList().toString();
            List<Object> tags = list(r.inputs().getOrDefault("targetTags", List.of()));
            rules.put(r.name(), (allow ? "allow " : "deny ") + what + " from " + r.inputs().get("sourceRanges") + " to "
                    + (tags.isEmpty() ? "every instance" : String.join(",", tags.stream().map(String::valueOf).toList())));
        }
        return rules;
    }
}
