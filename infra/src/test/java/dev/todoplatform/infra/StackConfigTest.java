package dev.todoplatform.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StackConfigTest {

    @Test
    void theRealStackFilesParse() {
        StackConfig dev = StackFiles.config("dev");
        assertEquals(StackConfig.Platform.EXISTING, dev.platform());
        assertEquals("minikube", dev.kubeContext());
        assertEquals(2, dev.postgresNodes());
        assertEquals(false, dev.synchronousReplication());
        StackConfig prod = StackFiles.config("prod");
        assertEquals(StackConfig.Platform.GKE, prod.platform());
        assertEquals(3, prod.postgresNodes());
        assertEquals(true, prod.synchronousReplication());
        assertEquals(new StackConfig.Resources("500m", "1Gi"), prod.resources("postgres"));
        assertEquals(new StackConfig.Resources("250m", "256Mi"), prod.resources("pgpool"), "defaults fill the rest");
    }

    @Test
    void defaultsForAnEmptyStack() {
        StackConfig empty = StackConfig.parse("x", Map.of());
        assertEquals("todo", empty.namespace());
        assertEquals(new StackConfig.Replicas(2, 2, 1, 1), empty.replicas());
        assertEquals(List.of(), empty.allowedSourceRanges());
        assertEquals("ghcr.io/todo-platform/service:1.0.0", empty.images().service());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "platform|azure|todo-platform:platform=azure is invalid: expected one of [existing, gke, eks]",
        "postgresNodes|1|todo-platform:postgresNodes=1 is invalid: expected an integer from 2 to 9",
        "postgresNodes|three|todo-platform:postgresNodes=three is invalid: expected an integer from 2 to 9",
        "replicas|{\"todo\":0}|todo-platform:replicas.todo=0 is invalid: expected an integer from 1 to 50",
        "replicas|{\"todos\":2}|todo-platform:replicas.todos is not a setting: known are [counter, pgpool, proxy, todo]",
        "replicas|3|todo-platform:replicas=3 is invalid: expected an object with keys [counter, pgpool, proxy, todo]",
        "namespace|Todo_App|todo-platform:namespace=Todo_App is invalid: expected a DNS label (a-z, 0-9, -)",
        "synchronousReplication|yes|todo-platform:synchronousReplication=yes is invalid: expected true or false",
        "postgresStorage|ten|todo-platform:postgresStorage=ten is invalid: expected a Kubernetes quantity such as 250m, 512Mi or 10Gi",
        "images|{\"service\":\"ghcr.io/x/service:latest\"}|todo-platform:images.service=ghcr.io/x/service:latest is invalid: expected an image pinned to a version tag or digest (not latest, not untagged)",
        "images|{\"redis\":\"redis\"}|todo-platform:images.redis=redis is invalid: expected an image pinned to a version tag or digest (not latest, not untagged)",
        "allowedSourceRanges|[\"10.0.0.0/33\"]|todo-platform:allowedSourceRanges=10.0.0.0/33 is invalid: expected a list of IPv4 CIDRs such as [\"203.0.113.0/24\"]",
        "podAntiAffinity|always|todo-platform:podAntiAffinity=always is invalid: expected one of [preferred, required]",
        "resources|{\"todo\":{\"memory\":\"lots\"}}|todo-platform:resources.todo.memory=lots is invalid: expected a Kubernetes quantity such as 250m, 512Mi or 10Gi"})
    void aBadSettingFailsWithOneLineNamingKeyValueAndWhatIsAllowed(String key, String value, String message) {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("dev"));
        raw.put(StackConfig.PREFIX + key, value);
        assertRefused("dev", raw, message);
    }

    /** A typo is refused, naming every key the catalog knows (the message is built from it, not copied here). */
    @Test
    void anUnknownKeyIsRefusedWithTheKnownOnes() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("dev"));
        raw.put(StackConfig.PREFIX + "replica", "2");
        ConfigError error = assertThrows(ConfigError.class, () -> StackConfig.parse("dev", raw));
        assertTrue(error.getMessage().startsWith("todo-platform:replica is not a setting of this program: known are ["),
                error.getMessage());
        for (Setting s : StackConfig.SETTINGS) {
            String top = s.key().contains(".") ? s.key().substring(0, s.key().indexOf('.')) : s.key();
            assertTrue(error.getMessage().matches(".*[\\[ ]todo-platform:" + top + "[,\\]].*"), top);
        }
    }

    /** The README's settings table is the catalog's: a new setting cannot be left undocumented. */
    @Test
    void theReadmeListsEverySettingAsDeclared() throws Exception {
        String readme = java.nio.file.Files.readString(StackFiles.ROOT.resolve("README.md"));
        assertTrue(readme.contains(StackConfig.settingsTable()), "README.md's settings table differs from the catalog;"
                + " paste:\n" + StackConfig.settingsTable());
    }

    @Test
    void theProvidersOwnCredentialSettingsAreForwardedAndAnyOtherIsRefused() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod"));
        raw.put("gcp:zone", "europe-west1-b");
        raw.put("gcp:impersonateServiceAccount", "deployer@my-gcp-project.iam.gserviceaccount.com");
        assertEquals(Map.of("zone", "europe-west1-b", "impersonateServiceAccount",
                "deployer@my-gcp-project.iam.gserviceaccount.com"), StackConfig.parse("prod", raw).cluster().access());
        raw.put("gcp:userProjectOverride", "true");
        assertRefused("prod", raw, "gcp:userProjectOverride is not forwarded to the program's gke provider, so it"
                + " would be ignored: supported are [gcp:credentials, gcp:impersonateServiceAccount, gcp:project,"
                + " gcp:region, gcp:zone]");
        Map<String, String> aws = new HashMap<>(StackFiles.raw("prod-aws"));
        aws.put("aws:sharedCredentialsFiles", "[\"/tmp/c\"]");
        assertRefused("prod-aws", aws, "aws:sharedCredentialsFiles is not forwarded to the program's eks provider,"
                + " so it would be ignored: supported are [aws:allowedAccountIds, aws:assumeRole, aws:profile, aws:region]");
        Map<String, String> dev = new HashMap<>(StackFiles.raw("dev"));
        dev.put("aws:profile", "prod");
        assertRefused("dev", dev, "aws:profile is set, but this stack's platform is existing: remove it"
                + " (pulumi config rm aws:profile)");
        dev.remove("aws:profile");
        dev.put("kubernetes:context", "kind");
        assertRefused("dev", dev, "kubernetes:context would be ignored: the program's Kubernetes provider is"
                + " explicit; name an existing cluster's context with todo-platform:kubeContext");
    }

    @Test
    void aCertificateNeedsItsKeyAndTheKeyMustBeEncryptedInTheStackFile() {
        String cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        String key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----";
        Map<String, String> raw = new HashMap<>(StackFiles.raw("dev"));
        raw.put(StackConfig.PREFIX + "tlsCertificate", cert);
        assertRefused("dev", raw, "todo-platform:tlsKey is missing: HTTPS needs both todo-platform:tlsCertificate and"
                + " todo-platform:tlsKey (PEM files: pulumi config set --secret todo-platform:tlsKey < key.pem)");
        raw.put(StackConfig.PREFIX + "tlsKey", key);
        ConfigError plain = assertThrows(ConfigError.class, () -> StackConfig.parse("dev", raw, Set.of()));
        assertEquals("todo-platform:tlsKey is stored in plain text in the stack file: set it with pulumi config set"
                + " --secret todo-platform:tlsKey < key.pem", plain.getMessage());
        raw.put(StackConfig.PREFIX + "tlsKey", "hunter2");
        assertRefused("dev", raw, "todo-platform:tlsKey is invalid: expected a PEM private key (-----BEGIN PRIVATE KEY-----)");
        raw.put(StackConfig.PREFIX + "tlsKey", key);
        StackConfig.Tls tls = StackConfig.parse("dev", raw, Set.of(StackConfig.PREFIX + "tlsKey")).tls();
        assertEquals(cert + "\n", tls.certificate());
        assertEquals("Tls[certificate, key redacted]", tls.toString(), "never printed");
    }

    @Test
    void aRequiredOnePerHostRuleMustFitTheNodesTheClusterCanHave() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod-aws"));
        raw.put(StackConfig.PREFIX + "postgresNodes", "5");
        assertRefused("prod-aws", raw, "todo-platform:postgresNodes=5 does not fit: with"
                + " todo-platform:podAntiAffinity=required every node needs its own host, and this cluster has at"
                + " most 3 (cluster.minNodesPerZone x zones): raise that or lower postgresNodes");
        assertEquals(3, StackFiles.config("prod-aws").nodeCeiling(), "no autoscaler on EKS: the desired size");
        assertEquals(9, StackFiles.config("prod").nodeCeiling(), "GKE's autoscaler: up to the ceiling");
        assertEquals(null, StackFiles.config("dev").nodeCeiling());
    }

    @Test
    void theCloudStackFilesParseThroughTheSamePath() {
        StackConfig gke = StackFiles.config("prod");
        StackConfig.Cluster g = gke.cluster();
        assertEquals(List.of("europe-west1", "my-gcp-project", List.of("europe-west1-b", "europe-west1-c",
                "europe-west1-d"), List.of("203.0.113.0/24")), List.of(g.region(), g.project(), g.zones(),
                g.apiSourceRanges()));
        assertEquals(new StackConfig.Nodes("e2-standard-4", 1, 3, 100), g.nodes());
        assertEquals(new StackConfig.Gke(false, false, StackConfig.ReleaseChannel.REGULAR), g.gke());
        assertEquals(null, g.eks());
        assertEquals("todo-platform-prod", gke.clusterName());
        StackConfig eks = StackFiles.config("prod-aws");
        assertEquals(StackConfig.Platform.EKS, eks.platform());
        StackConfig.Cluster e = eks.cluster();
        assertEquals(List.of("eu-west-1a", "eu-west-1b", "eu-west-1c"), e.zones());
        assertEquals(new StackConfig.Nodes("m6i.xlarge", 1, 3, 50), e.nodes());
        assertEquals(new StackConfig.Eks(StackConfig.NatGateways.PER_ZONE, null, 30, List.of()), e.eks());
        assertEquals(Arrays.asList(null, Map.of()), Arrays.asList(e.gke(), e.access()));
        assertEquals(null, StackFiles.config("dev").cluster());
    }

    @Test
    void cloudDefaultsAreTheSafeOnes() {
        Map<String, String> raw = new HashMap<>(Map.of("gcp:project", "p", "gcp:region", "us-central1",
                StackConfig.PREFIX + "platform", "gke",
                StackConfig.PREFIX + "cluster", "{\"zones\":[\"us-central1-a\",\"us-central1-f\"],\"apiSourceRanges\":[\"198.51.100.7/32\"]}"));
        StackConfig.Cluster c = StackConfig.parse("Team_A", raw).cluster();
        assertEquals(true, c.gke().deletionProtection(), "deletion protection is on unless turned off");
        assertEquals(false, c.gke().iapSsh(), "SSH is closed unless opened");
        assertEquals("e2-standard-4", c.nodes().machineType());
        assertEquals("todo-platform-team-a", StackConfig.parse("Team_A", raw).clusterName());
    }

    @ParameterizedTest(name = "{0}: {1}={2}")
    @CsvSource(delimiter = '|', value = {
        "prod|cluster.zones|[\"europe-west1-b\"]|todo-platform:cluster.zones=[\"europe-west1-b\"] is invalid: expected 2 to 4 distinct zones of region europe-west1 such as [\"europe-west1-a\", \"europe-west1-b\"]: nodes, PostgreSQL and the proxy spread over them",
        "prod|cluster.zones|[\"us-east1-b\",\"us-east1-c\"]|todo-platform:cluster.zones=[\"us-east1-b\",\"us-east1-c\"] is invalid: expected 2 to 4 distinct zones of region europe-west1 such as [\"europe-west1-a\", \"europe-west1-b\"]: nodes, PostgreSQL and the proxy spread over them",
        "prod|cluster.zones|[\"europe-west1-b\",\"europe-west1-b\"]|todo-platform:cluster.zones=[\"europe-west1-b\",\"europe-west1-b\"] is invalid: expected 2 to 4 distinct zones of region europe-west1 such as [\"europe-west1-a\", \"europe-west1-b\"]: nodes, PostgreSQL and the proxy spread over them",
        "prod-aws|cluster.zones|[\"eu-west-1a\"]|todo-platform:cluster.zones=[\"eu-west-1a\"] is invalid: expected 2 to 4 distinct zones of region eu-west-1 such as [\"eu-west-1a\", \"eu-west-1b\"]: nodes, PostgreSQL and the proxy spread over them",
        "prod|cluster.apiSourceRanges|[]|todo-platform:cluster.apiSourceRanges is required for platform gke: the CIDRs allowed to reach the Kubernetes API, including where `pulumi up` runs (0.0.0.0/0 opens it to everyone)",
        "prod|cluster.sshSourceRanges|[\"192.0.2.0/28\"]|todo-platform:cluster.sshSourceRanges was removed: the nodes are private (no external address), so no range could reach them; set cluster.iapSsh: true and use `gcloud compute ssh NODE --tunnel-through-iap`",
        "prod-aws|cluster.logRetentionDays|10|todo-platform:cluster.logRetentionDays=10 is invalid: expected one of [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]",
        "prod-aws|cluster.adminRoles|[\"admin\"]|todo-platform:cluster.adminRoles=admin is invalid: expected a list of IAM role ARNs such as [\"arn:aws:iam::123456789012:role/platform-admins\"]",
        "prod|cluster.releaseChannel|\"NIGHTLY\"|todo-platform:cluster.releaseChannel=NIGHTLY is invalid: expected one of [RAPID, REGULAR, STABLE]",
        "prod|cluster.natGateways|\"shared\"|todo-platform:cluster.natGateways is not a setting: known are [apiSourceRanges, deletionProtection, diskSizeGb, iapSsh, machineType, maxNodesPerZone, minNodesPerZone, releaseChannel, zones]",
        "prod-aws|cluster.natGateways|\"one\"|todo-platform:cluster.natGateways=one is invalid: expected one of [per-zone, shared]",
        "prod-aws|cluster.iapSsh|true|todo-platform:cluster.iapSsh is not a setting: known are [adminRoles, apiSourceRanges, diskSizeGb, kubernetesVersion, logRetentionDays, machineType, maxNodesPerZone, minNodesPerZone, natGateways, zones]",
        "prod-aws|cluster.maxNodesPerZone|0|todo-platform:cluster.maxNodesPerZone=0 is invalid: expected an integer from 1 to 20",
        "prod-aws|cluster.kubernetesVersion|\"latest\"|todo-platform:cluster.kubernetesVersion=latest is invalid: expected a minor version such as 1.33",
        "prod|cluster.deletionProtection|\"maybe\"|todo-platform:cluster.deletionProtection=maybe is invalid: expected true or false",
        "dev|cluster.zones|[\"a\",\"b\"]|todo-platform:cluster is only for platform gke or eks: an existing cluster is named by todo-platform:kubeContext"})
    void aBadClusterSettingFailsWithOneLine(String stack, String path, String json, String message) throws Exception {
        Map<String, String> raw = new HashMap<>(StackFiles.raw(stack));
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode cluster = raw.containsKey(StackConfig.PREFIX + "cluster")
                ? (ObjectNode) mapper.readTree(raw.get(StackConfig.PREFIX + "cluster"))
                : mapper.createObjectNode();
        cluster.set(path.substring("cluster.".length()), mapper.readTree(json));
        raw.put(StackConfig.PREFIX + "cluster", cluster.toString());
        assertRefused(stack, raw, message);
    }

    @ParameterizedTest(name = "{0} without {1}")
    @CsvSource(delimiter = '|', value = {
        "prod|gcp:region|gcp:region is required for platform gke: pulumi config set gcp:region europe-west1",
        "prod|gcp:project|gcp:project is required for platform gke: pulumi config set gcp:project my-gcp-project",
        "prod|todo-platform:cluster|todo-platform:cluster is required for platform gke: at least its zones and apiSourceRanges (see the example stack files)",
        "prod-aws|aws:region|aws:region is required for platform eks: pulumi config set aws:region eu-west-1"})
    void aCloudStackNeedsItsRegionAndCluster(String stack, String key, String message) {
        Map<String, String> raw = new HashMap<>(StackFiles.raw(stack));
        raw.remove(key);
        assertEquals(0, assertRefused(stack, raw, message).getStackTrace().length,
                "the user sees one line, not a stack trace");
    }

    @Test
    void aKubeContextOnACloudPlatformIsRefused() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod"));
        raw.put(StackConfig.PREFIX + "kubeContext", "minikube");
        assertRefused("prod", raw, "todo-platform:kubeContext is only for platform existing: on gke the program"
                + " builds the cluster's kubeconfig itself");
    }

    /** Parsing fails with exactly {@code message}. */
    private static ConfigError assertRefused(String stack, Map<String, String> raw, String message) {
        ConfigError error = assertThrows(ConfigError.class, () -> StackConfig.parse(stack, raw));
        assertEquals(message, error.getMessage());
        return error;
    }
}
