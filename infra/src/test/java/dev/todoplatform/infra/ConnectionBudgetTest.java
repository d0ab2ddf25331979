package dev.todoplatform.infra;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PostgreSQL's connections suffice for everything a stack can open at once, read from the objects it renders:
 * every PgPool pod during a rollout (replicas + maxSurge) with all its children pooling (num_init_children x
 * max_pool), its checks, repmgr's and node.sh's connections (kept and one-off), and the superuser reserve; and one PgPool
 * has a child for every connection the todo pods (replicas + surge, each with its pool) may open to it.
 */
@SuppressWarnings("unchecked")
class ConnectionBudgetTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod", "prod-aws"})
    void pgpoolAndEveryClientFitUnderMaxConnections(String stack) {
        Graph g = Stacks.graph(stack);
        String pgpoolConf = file(g, "pgpool-config", "pgpool.conf");
        String postgresConf = file(g, "postgres-config", "postgresql.conf");
        int children = setting(pgpoolConf, "num_init_children");
        int maxPool = setting(pgpoolConf, "max_pool");
        int maxConnections = setting(postgresConf, "max_connections");
        int reserved = setting(postgresConf, "superuser_reserved_connections");
        int nodes = Policy.number(g.named("StatefulSet", "postgres").spec().get("replicas"), 1);
        int pgpools = pods(g, "pgpool");
        // Per node: each PgPool pod's health check, failover search, failback session and liveness probe (one
        // each); from every node, repmgrd's own and its upstream's, node.sh's kept session (sessions.sh) and its
        // one-off checks (WAL, promotion survey).
        int perNode = pgpools * maxPool * children + pgpools * 4 + nodes * 4 + reserved;
        assertTrue(perNode <= maxConnections, stack + ": a node may be asked for " + perNode
                + " connections (" + pgpools + " PgPools x " + children + " children x " + maxPool + " + checks + repmgr + "
                + reserved + " reserved), max_connections is " + maxConnections);

        int clients = pods(g, "todo") * databasePool(g) + 1; // + the migration Job
        assertTrue(clients <= children, stack + ": " + clients + " client connections may all reach one PgPool, which has "
                + children + " children");
    }

    /** The todo pods' DATABASE_POOL_SIZE (their env; the service's default when unset). */
    private static int databasePool(Graph g) {
        return Graph.containers(g.named("Deployment", "todo")).stream()
                .flatMap(c -> ((List<Map<String, Object>>) c.getOrDefault("env", List.of())).stream())
                .filter(e -> "DATABASE_POOL_SIZE".equals(e.get("name")))
                .map(e -> Integer.parseInt((String) e.get("value"))).findFirst().orElse(10);
    }

    /** Pods of a Deployment during a rollout: replicas + maxSurge. */
    private static int pods(Graph g, String deployment) {
        Map<String, Object> spec = g.named("Deployment", deployment).spec();
        Map<String, Object> rolling = Policy.map(Policy.map(spec.get("strategy")).get("rollingUpdate"));
        return Policy.number(spec.get("replicas"), 1) + Policy.number(rolling.get("maxSurge"), 1);
    }

    private static String file(Graph g, String configMapPrefix, String key) {
        List<Graph.Res> maps = g.ofKind("ConfigMap").stream().filter(r -> r.objectName().startsWith(configMapPrefix + "-")).toList();
        return (String) Policy.map(maps.get(0).inputs().get("data")).get(key);
    }

    private static int setting(String conf, String name) {
        Matcher m = Pattern.compile("(?m)^\\s*" + name + "\\s*=\\s*(\\d+)").matcher(conf);
        if (!m.find()) {
            throw new AssertionError(name + " is not set");
        }
        return Integer.parseInt(m.group(1));
    }
}
