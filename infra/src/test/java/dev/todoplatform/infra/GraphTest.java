package dev.todoplatform.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.config.ConfigFile;
import dev.todoplatform.config.Daemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The resource graph of the real stack files, under Pulumi's mocks. */
class GraphTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod", "prod-aws"})
    void everyComponentIsThereOnce(String stack) {
        Graph graph = Stacks.graph(stack);
        Set<String> components = graph.result.resources().stream().map(r -> r.getClass().getSimpleName())
                .collect(Collectors.toSet());
        for (String component : List.of("AppStack", "Secrets", "PostgresHa", "PgPool", "Redis", "TodoService",
                "CounterService", "Proxy", "NetworkPolicies")) {
            assertTrue(components.contains(component), component + " missing from " + components);
        }
        assertEquals(5, graph.resources.stream().filter(r -> r.type().equals("random:index/randomPassword:RandomPassword")).count());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"dev,2,2,1,1,2", "prod,3,4,2,2,3", "prod-aws,3,4,2,2,3"})
    void countsPerStack(String stack, int todo, int counter, int proxy, int pgpool, int postgres) {
        Graph g = Stacks.graph(stack);
        assertEquals(todo, replicas(g.named("Deployment", "todo")));
        assertEquals(counter, replicas(g.named("Deployment", "counter")));
        assertEquals(proxy, replicas(g.named("Deployment", "proxy")));
        assertEquals(pgpool, replicas(g.named("Deployment", "pgpool")));
        assertEquals(postgres, replicas(g.named("StatefulSet", "postgres")));
        assertEquals(1, replicas(g.named("StatefulSet", "redis")));
        String pgpoolConf = (String) Policy.map(configMap(g, "pgpool-config").inputs().get("data")).get("pgpool.conf");
        for (int i = 0; i < postgres; i++) {
            assertTrue(pgpoolConf.contains("backend_hostname" + i + " = 'postgres-" + i + ".postgres-headless.todo.svc.cluster.local'"));
        }
        assertFalse(pgpoolConf.contains("backend_hostname" + postgres + " "), "one backend per node");
    }

    @Test
    void prodReplicatesSynchronouslyAndSpreadsStrictly() {
        Graph prod = Stacks.graph("prod");
        assertEquals("ANY 1 (\"postgres-0\",\"postgres-1\",\"postgres-2\")", env(prod.named("StatefulSet", "postgres"), "SYNCHRONOUS_STANDBY_NAMES"));
        assertEquals("", env(Stacks.graph("dev").named("StatefulSet", "postgres"), "SYNCHRONOUS_STANDBY_NAMES"));
        Map<String, Object> affinity = Policy.map(Policy.map(Graph.podSpec(prod.named("StatefulSet", "postgres")).get("affinity")).get("podAntiAffinity"));
        assertTrue(affinity.containsKey("requiredDuringSchedulingIgnoredDuringExecution"), affinity.toString());
    }

    /** PostgreSQL's zone spread is a rule where the stack's cluster spans zones, a preference on an existing one. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"dev,ScheduleAnyway", "prod,DoNotSchedule", "prod-aws,DoNotSchedule"})
    void theDatabaseSpreadsOverZones(String stack, String whenUnsatisfiable) {
        Graph g = Stacks.graph(stack);
        List<Map<String, Object>> spread = Policy.maps(Graph.podSpec(g.named("StatefulSet", "postgres")).get("topologySpreadConstraints"));
        assertEquals(List.of(whenUnsatisfiable), spread.stream().map(c -> c.get("whenUnsatisfiable")).toList());
        assertEquals("topology.kubernetes.io/zone", spread.get(0).get("topologyKey"));
        List<Map<String, Object>> others = Policy.maps(Graph.podSpec(g.named("Deployment", "todo")).get("topologySpreadConstraints"));
        assertEquals("ScheduleAnyway", others.get(0).get("whenUnsatisfiable"));
    }

    /**
     * With podAntiAffinity required, a StatefulSet gets the one-per-host rule (it rolls without surge and never has
     * more pods than nodes, checked at load), a Deployment a hostname spread that is a rule too but always fits:
     * prod-aws runs 4 counter pods and a surge pod on 3 nodes with no autoscaler.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"dev,false", "prod,true", "prod-aws,true"})
    void deploymentsSpreadOverHostsAndOnlyStatefulSetsRequireOnePerHost(String stack, boolean required) {
        Graph g = Stacks.graph(stack);
        for (Graph.Res w : g.workloads()) {
            Map<String, Object> anti = Policy.map(Policy.map(Graph.podSpec(w).get("affinity")).get("podAntiAffinity"));
            boolean ruled = anti.containsKey("requiredDuringSchedulingIgnoredDuringExecution");
            assertEquals(required && w.kind().equals("StatefulSet"), ruled, w.kind() + "/" + w.objectName());
            List<Map<String, Object>> hostSpread = Policy.maps(Graph.podSpec(w).get("topologySpreadConstraints")).stream()
                    .filter(c -> c.get("topologyKey").equals("kubernetes.io/hostname")).toList();
            if (required && !w.kind().equals("StatefulSet")) {
                assertEquals(1, hostSpread.size(), w.objectName());
                Map<String, Object> spread = hostSpread.get(0);
                assertEquals(List.of(1.0, "DoNotSchedule", "Honor"), List.of(spread.get("maxSkew"),
                        spread.get("whenUnsatisfiable"), spread.get("nodeTaintsPolicy")), "cordoned nodes do not count");
                Map<String, Object> podLabels = Policy.map(Policy.map(Graph.podTemplate(w).get("metadata")).get("labels"));
                Map<String, Object> selected = Policy.map(Policy.map(spread.get("labelSelector")).get("matchLabels"));
                assertTrue(!selected.isEmpty() && Policy.subset(selected, podLabels), w.objectName());
            } else {
                assertEquals(List.of(), hostSpread, w.objectName());
            }
        }
    }

    /** With a certificate: a TLS Secret (secret in the state), port 443 on the load balancer, HTTPS allowed in. */
    @Test
    void aCertificateTurnsOnHttpsAtTheProxy() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod"));
        raw.put(StackConfig.PREFIX + "tlsCertificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
        raw.put(StackConfig.PREFIX + "tlsKey", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----");
        Graph g = Graph.variant(StackConfig.parse("prod", raw, Set.of(StackConfig.PREFIX + "tlsKey")));
        Graph.Res secret = g.named("Secret", "proxy-tls");
        assertEquals("kubernetes.io/tls", secret.inputs().get("type"));
        assertEquals(Set.of("tls.crt", "tls.key"), Policy.map(secret.inputs().get("data")).keySet());
        assertEquals(List.of(80.0, 443.0), Policy.maps(g.named("Service", "proxy").spec().get("ports")).stream()
                .map(p -> p.get("port")).toList());
        Map<String, Object> nginx = Graph.containers(g.named("Deployment", "proxy")).get(0);
        assertTrue(Policy.maps(nginx.get("volumeMounts")).stream().anyMatch(m -> m.get("name").equals("tls")));
        Map<String, Object> files = Policy.map(configMap(g, "nginx-config").inputs().get("data"));
        assertTrue(files.containsKey("https.conf") && ((String) files.get("nginx.conf")).contains("redirect.conf"));
        List<Object> ports = Policy.maps(g.named("NetworkPolicy", "proxy").spec().get("ingress")).stream()
                .flatMap(r -> Policy.maps(r.get("ports")).stream()).map(p -> p.get("port")).toList();
        assertEquals(List.of(8080.0, 8443.0), ports);
        assertEquals(List.of("Ingress", "Egress"), g.named("NetworkPolicy", "proxy").spec().get("policyTypes"));
        assertEquals(List.of(), Policy.violations(g.kubernetes(), 9));
        assertFalse(Policy.map(configMap(Stacks.graph("prod"), "nginx-config").inputs().get("data")).containsKey("https.conf"),
                "plain HTTP without a certificate");
    }

    /** minikube without `minikube tunnel`: a NodePort, and the outputs say how to reach it instead of waiting. */
    @Test
    void theProxyCanBeANodePortWhereNoLoadBalancerComes() {
        Map<String, String> raw = new HashMap<>(StackFiles.raw("dev"));
        raw.put(StackConfig.PREFIX + "serviceType", "NodePort");
        Graph g = Graph.of(StackConfig.parse("dev-nodeport", raw));
        assertEquals("NodePort", g.named("Service", "proxy").spec().get("type"));
        assertEquals("", g.outputs.get("serviceIp"));
        assertTrue(((String) g.outputs.get("reach")).startsWith("the proxy is a NodePort: minikube service -n todo proxy --url"));
        assertEquals("LoadBalancer", Stacks.graph("dev").named("Service", "proxy").spec().get("type"));
    }

    @Test
    void theLoadBalancerIsLimitedToTheAllowedRangesInProd() {
        Map<String, Object> prod = Stacks.graph("prod").named("Service", "proxy").spec();
        assertEquals("LoadBalancer", prod.get("type"));
        assertEquals(List.of("203.0.113.0/24", "198.51.100.0/24"), prod.get("loadBalancerSourceRanges"));
        assertEquals("Local", prod.get("externalTrafficPolicy"));
        assertFalse(Stacks.graph("dev").named("Service", "proxy").spec().containsKey("loadBalancerSourceRanges"));
        for (Graph.Res service : Stacks.graph("prod").ofKind("Service")) {
            if (!service.objectName().equals("proxy")) {
                assertFalse("LoadBalancer".equals(service.spec().get("type")), service.objectName() + " is exposed");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"dev,existing-cluster,minikube", "prod,gke,todo-platform-prod", "prod-aws,eks,todo-platform-prod-aws"})
    void outputsAndThePlatformsProvider(String stack, String provider, String clusterName) {
        Graph g = Stacks.graph(stack);
        assertEquals(Graph.LOAD_BALANCER_IP, g.outputs.get("serviceIp"));
        assertEquals("http://" + Graph.LOAD_BALANCER_IP + "/", g.outputs.get("url"));
        assertEquals("todo", g.outputs.get("namespace"));
        assertEquals(clusterName, g.outputs.get("clusterName"));
        assertTrue(g.secretOutputs.contains("kubeconfig"), "kubeconfig is a secret output: " + g.secretOutputs);
        List<Graph.Res> kubernetes = g.resources.stream().filter(r -> r.type().startsWith("kubernetes:")).toList();
        assertTrue(kubernetes.size() > 30, "resources: " + kubernetes.size());
        for (Graph.Res r : kubernetes) {
            assertNotNull(r.provider(), r.type() + " " + r.name() + " falls back to the ambient kubeconfig");
            assertTrue(r.provider().contains("pulumi:providers:kubernetes::" + provider + "::"),
                    r.type() + " " + r.name() + " does not use the platform's provider: " + r.provider());
        }
        assertEquals(1, g.ofType("pulumi:providers:kubernetes").size(), "one Kubernetes provider");
    }

    @Test
    void configMapsHoldTheRepoFilesAndAreNamedByTheirContent() {
        Graph g = Stacks.graph("dev");
        Map<String, Object> postgres = Policy.map(configMap(g, "postgres-config").inputs().get("data"));
        assertEquals(Daemon.POSTGRES.files().size(), postgres.size());
        for (String file : Daemon.POSTGRES.files()) {
            assertEquals(ConfigFile.load("postgres/" + file).text(), postgres.get(file), file + " is the repo's file");
        }
        assertEquals(ConfigFile.load("redis/redis.conf").text(),
                Policy.map(configMap(g, "redis-config").inputs().get("data")).get("redis.conf"));
        String nginx = (String) Policy.map(configMap(g, "nginx-config").inputs().get("data")).get("nginx.conf");
        assertTrue(nginx.contains("server todo.todo.svc.cluster.local:80 max_fails=0;") && nginx.contains("listen 8080;"), nginx);
        assertFalse(nginx.matches("(?s).*\\{\\{[A-Z0-9_]+}}.*"), "fully rendered");
        String name = configMap(g, "redis-config").objectName();
        assertEquals("redis-config-" + ConfigFile.hash("redis.conf", ConfigFile.load("redis/redis.conf").text()), name);
        assertEquals(name, Policy.map(Policy.maps(Graph.podSpec(g.named("StatefulSet", "redis")).get("volumes")).get(0)
                .get("configMap")).get("name"), "the pods mount the hashed name");
    }

    @Test
    void networkPoliciesDenyByDefaultAndOpenOnlyTheDiagramsPaths() {
        Graph g = Stacks.graph("prod");
        Map<String, Object> deny = g.named("NetworkPolicy", "default-deny").spec();
        assertEquals(Map.of(), Policy.map(deny.get("podSelector")), "selects every pod");
        assertEquals(List.of("Ingress", "Egress"), deny.get("policyTypes"));
        assertFalse(deny.containsKey("ingress") && !Policy.list(deny.get("ingress")).isEmpty(), "no ingress at all");
        List<Map<String, Object>> proxyIngress = Policy.maps(g.named("NetworkPolicy", "proxy").spec().get("ingress"));
        assertEquals(1, proxyIngress.size());
        assertFalse(proxyIngress.get(0).containsKey("from"), "the proxy accepts traffic from anywhere");
        for (String internal : List.of("todo", "counter", "pgpool", "postgres", "redis")) {
            for (Map<String, Object> rule : Policy.maps(g.named("NetworkPolicy", internal).spec().get("ingress"))) {
                assertFalse(Policy.list(rule.get("from")).isEmpty(), internal + " accepts traffic from anywhere");
            }
        }
        Map<String, Object> pgpoolFrom = Policy.map(Policy.maps(Policy.maps(g.named("NetworkPolicy", "pgpool").spec()
                .get("ingress")).get(0).get("from")).get(0).get("podSelector"));
        assertEquals("todo", Policy.map(pgpoolFrom.get("matchLabels")).get("app.kubernetes.io/name"));
    }

    /** As `data` (base64), as the API server returns it: `stringData` makes every later update replace them. */
    @Test
    void secretsAreWrittenAsBase64DataSoASecondUpIsANoOp() {
        Graph g = Stacks.graph("prod");
        for (String name : List.of("postgres-credentials", "redis-credentials")) {
            Graph.Res secret = g.named("Secret", name);
            assertFalse(secret.inputs().containsKey("stringData"), name);
            Map<String, Object> data = Policy.map(secret.inputs().get("data"));
            assertFalse(data.isEmpty(), name);
            for (Object value : data.values()) {
                String decoded = new String(java.util.Base64.getDecoder().decode((String) value));
                assertTrue(g.generatedSecrets.contains(decoded), name + ": each value is a generated password, base64-encoded");
            }
        }
    }

    @Test
    void manifestsAreWrittenForReview() throws Exception {
        Stacks.graph("prod");
        Path dir = Path.of("target", "manifests", "prod");
        String statefulSet = Files.readString(dir.resolve("statefulset-postgres.yaml"));
        assertTrue(statefulSet.startsWith("apiVersion: apps/v1\nkind: StatefulSet\n"), statefulSet);
        String secret = Files.readString(dir.resolve("secret-postgres-credentials.yaml"));
        assertFalse(Stacks.graph("prod").generatedSecrets.isEmpty());
        for (String password : Stacks.graph("prod").generatedSecrets) {
            assertFalse(secret.contains(password), "generated passwords are not written out");
            assertFalse(secret.contains(java.util.Base64.getEncoder().encodeToString(password.getBytes())),
                    "not even base64-encoded");
        }
        try (var files = Files.list(dir)) {
            assertEquals(Stacks.graph("prod").kubernetes().size(), files.filter(f -> !f.getFileName().toString()
                    .startsWith("_")).count());
        }
        assertTrue(Files.readString(dir.resolve("_cloud-resources.yaml")).contains("type: gcp:container/cluster:Cluster"));
    }

    @Test
    void anExistingClusterIsReachedThroughItsContextAndNothingIsCreatedOutsideIt() {
        Graph dev = Stacks.graph("dev");
        assertEquals(List.of(), dev.resources.stream().map(Graph.Res::type)
                .filter(t -> t.startsWith("gcp:") || t.startsWith("aws:") || t.startsWith("pulumi:providers:gcp")
                        || t.startsWith("pulumi:providers:aws")).toList());
        assertEquals("minikube", dev.one("pulumi:providers:kubernetes").inputs().get("context"));
        assertFalse(dev.one("pulumi:providers:kubernetes").inputs().containsKey("kubeconfig"));
    }

    @Test
    void theNamespaceEnforcesRestrictedPodSecurity() {
        Map<String, Object> labels = Policy.map(Stacks.graph("dev").named("Namespace", "todo").metadata().get("labels"));
        assertEquals("restricted", labels.get("pod-security.kubernetes.io/enforce"));
    }

    private static Graph.Res configMap(Graph g, String prefix) {
        return g.ofKind("ConfigMap").stream().filter(c -> c.objectName().startsWith(prefix + "-")).findFirst().orElseThrow();
    }

    private static int replicas(Graph.Res workload) {
        return Policy.number(workload.spec().get("replicas"), -1);
    }

    private static String env(Graph.Res workload, String name) {
        return Graph.containers(workload).get(0).get("env") instanceof List<?> list ? list.stream().map(Policy::map)
                .filter(e -> name.equals(e.get("name"))).map(e -> (String) e.get("value")).findFirst().orElse(null) : null;
    }
}
