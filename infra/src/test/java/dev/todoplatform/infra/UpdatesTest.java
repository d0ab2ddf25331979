package dev.todoplatform.infra;

import static dev.todoplatform.infra.Policy.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a later `pulumi up` (or `pulumi destroy`) does with the graph, judged by the engine's own rules: the resource
 * options it receives and the fields pulumi-kubernetes 4.0.0 replaces a StatefulSet for (its diff.go forceNew
 * table: podManagementPolicy, revisionHistoryLimit, selector, serviceName, volumeClaimTemplates).
 */
class UpdatesTest {
    private static final List<String> STATEFUL_SET_REPLACED_FOR = List.of("podManagementPolicy",
            "revisionHistoryLimit", "selector", "serviceName", "volumeClaimTemplates");

    /** Every StatefulSet: claims resized in place, deleted with it and when it scales down, awaited long enough. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod", "prod-aws"})
    void statefulSetsResizeTheirClaimsInPlaceAndLeaveNoDiskBehind(String stack) {
        Graph g = Stacks.graph(stack);
        StackConfig config = StackFiles.config(stack);
        for (Graph.Res set : g.ofKind("StatefulSet")) {
            Render.Options options = g.options(set);
            assertEquals(List.of("spec.volumeClaimTemplates"), options.ignoreChanges(), set.objectName());
            assertEquals(Map.of("whenDeleted", "Delete", "whenScaled", "Delete"),
                    set.spec().get("persistentVolumeClaimRetentionPolicy"), set.objectName());
            int replicas = ((Number) set.spec().get("replicas")).intValue();
            String size = set.objectName().equals("postgres") ? config.postgresStorage() : config.redisStorage();
            for (int i = 0; i < replicas; i++) {
                String claim = "data-" + set.objectName() + "-" + i;
                Graph.Res patch = g.ofType("kubernetes:core/v1:PersistentVolumeClaimPatch").stream()
                        .filter(p -> p.name().equals(claim)).findFirst().orElseThrow(() -> new AssertionError(claim));
                assertEquals(Map.of("storage", size), map(map(patch.spec().get("resources")).get("requests")), claim);
                assertEquals("true", map(patch.metadata().get("annotations")).get("pulumi.com/patchForce"),
                        "the StatefulSet controller owns the field: the patch must take it over");
                assertTrue(g.options(patch).retainOnDelete(), "dropping the patch must not touch the claim");
                assertTrue(g.waitsFor(patch, set), "the claims exist once the StatefulSet is ready");
            }
        }
        // A clone may take the startup probe's 30 minutes; Pulumi's default await is 10.
        Render.Options postgres = g.options(g.named("StatefulSet", "postgres"));
        assertEquals(List.of("35m", "35m", "15m"), postgres.customTimeouts());
    }

    /** A second `pulumi up` after changing a setting never replaces a StatefulSet (all its pods at once). */
    @ParameterizedTest(name = "{0}: {1}={2}")
    @CsvSource(delimiter = '|', value = {
        "prod|postgresStorage|40Gi",
        "prod|redisStorage|8Gi",
        "prod-aws|postgresNodes|2",
        "prod|synchronousReplication|false",
        "prod|images|{\"postgres\":\"ghcr.io/todo-platform/postgres-repmgr:15.21-5.3.3\"}",
        "prod|resources|{\"postgres\":{\"cpu\":\"1\",\"memory\":\"2Gi\"}}",
        "dev|storageClass|fast"})
    void changingASettingNeverReplacesAStatefulSet(String stack, String key, String value) {
        Graph before = Stacks.graph(stack);
        Map<String, String> raw = new HashMap<>(StackFiles.raw(stack));
        raw.put(StackConfig.PREFIX + key, value);
        Graph after = Graph.variant(StackConfig.parse(stack, raw));
        for (Graph.Res set : before.ofKind("StatefulSet")) {
            Graph.Res changed = after.named("StatefulSet", set.objectName());
            for (String field : STATEFUL_SET_REPLACED_FOR) {
                boolean ignored = after.options(changed).ignoreChanges().contains("spec." + field);
                assertTrue(ignored || String.valueOf(set.spec().get(field)).equals(String.valueOf(changed.spec().get(field))),
                        set.objectName() + " spec." + field + " changes, so the StatefulSet would be replaced");
            }
        }
        if (key.endsWith("Storage")) {
            String set = key.startsWith("postgres") ? "postgres" : "redis";
            assertEquals(Map.of("storage", value), map(map(after.ofType("kubernetes:core/v1:PersistentVolumeClaimPatch")
                    .stream().filter(p -> p.name().equals("data-" + set + "-0")).findFirst().orElseThrow()
                    .spec().get("resources")).get("requests")), "the live claim is resized instead");
        }
    }

    /** The GKE pool is created with its floor; a later minNodesPerZone moves only the autoscaler's floor. */
    @org.junit.jupiter.api.Test
    void aNewNodeFloorDoesNotRecreateTheGkeNodePool() {
        Graph prod = Stacks.graph("prod");
        Graph.Res pool = prod.one("gcp:container/nodePool:NodePool");
        assertEquals(List.of("initialNodeCount"), prod.options(pool).ignoreChanges(),
                "initialNodeCount forces a new pool in pulumi-gcp");
        Map<String, String> raw = new HashMap<>(StackFiles.raw("prod"));
        raw.put(StackConfig.PREFIX + "cluster", raw.get(StackConfig.PREFIX + "cluster")
                .replace("\"minNodesPerZone\":1", "\"minNodesPerZone\":2"));
        Graph.Res changed = Graph.variant(StackConfig.parse("prod", raw)).one("gcp:container/nodePool:NodePool");
        Map<String, Object> differs = new LinkedHashMap<>();
        changed.inputs().forEach((k, v) -> {
            if (!String.valueOf(v).equals(String.valueOf(pool.inputs().get(k)))) {
                differs.put(k, v);
            }
        });
        assertEquals(Map.of("initialNodeCount", 2.0, "autoscaling", Map.of("minNodeCount", 2.0, "maxNodeCount", 3.0)),
                differs, "only the ignored count and the autoscaler's floor differ");
    }

    /**
     * JSON the program writes into an input (IAM policies, the kubeconfig) has its keys sorted: built from Map.of,
     * whose order changes from one JVM to the next, the text would differ on every `pulumi up` (a diff, or a
     * replacement, each time). One JVM cannot see that by running twice; the canonical form can.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"prod", "prod-aws"})
    void jsonInInputsIsCanonicalSoASecondUpSeesNoDifference(String stack) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new ObjectMapper()
                .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
        int checked = 0;
        for (Graph.Res r : Stacks.graph(stack).resources) {
            for (Map.Entry<String, Object> input : r.inputs().entrySet()) {
                if (input.getValue() instanceof String text && text.startsWith("{\"")) {
                    Object parsed = json.readValue(text, Object.class);
                    assertEquals(json.writeValueAsString(parsed), text, r.name() + "." + input.getKey());
                    checked++;
                }
            }
        }
        String kubeconfig = (String) Stacks.graph(stack).outputs.get("kubeconfig");
        assertEquals(json.writerWithDefaultPrettyPrinter().writeValueAsString(json.readValue(kubeconfig, Object.class)),
                kubeconfig, "the kubeconfig output");
        assertTrue(checked > 0 || stack.equals("prod"), "policies checked: " + checked);
    }

    /** A migration Job that failed (the database was down for its whole deadline) is replaced by the next up. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod", "prod-aws"})
    void aFailedMigrationJobIsReplacedNotFailedAgain(String stack) {
        Graph.Res job = Stacks.graph(stack).ofKind("Job").get(0);
        assertEquals("true", map(job.metadata().get("annotations")).get("pulumi.com/replaceUnready"), job.objectName());
    }

    /** The random provider returns a bcrypt hash of each password: as secret as the password. */
    @org.junit.jupiter.api.Test
    void generatedPasswordsAndTheirHashesAreSecretOutputs() {
        Graph prod = Stacks.graph("prod");
        List<Graph.Res> passwords = prod.ofType("random:index/randomPassword:RandomPassword");
        assertEquals(5, passwords.size());
        for (Graph.Res password : passwords) {
            assertEquals(List.of("result", "bcryptHash"), prod.options(password).additionalSecretOutputs(),
                    password.name());
        }
    }
}
