package dev.todoplatform.system;

import dev.todoplatform.daemons.Poll;
import dev.todoplatform.infra.Render;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.StackFiles;
import dev.todoplatform.pods.Cluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stack of this repository (its real Pulumi.&lt;stack&gt;.yaml, rendered by the program itself) running as pods
 * on the pod runtime, with what the fault tests ask of PostgreSQL and PgPool, asked the way an operator would:
 * `kubectl exec` into the containers. One per stack per test run, removed (volumes too) when the run ends.
 */
final class PodStack {
    static final Duration READY = Duration.ofMinutes(5);
    /**
     * How long a restarted container may take to be ready again: kubelet's (and the runtime's) restart back-off
     * grows to 5 minutes for a container that exits again and again, as fenced and killed database containers do
     * over a run of fault tests.
     */
    static final Duration BACK_OFF = Duration.ofMinutes(6);
    private static final ConcurrentHashMap<String, PodStack> RUNNING = new ConcurrentHashMap<>();

    final String stack;
    final Cluster cluster;
    final String url;

    private PodStack(String stack, Cluster cluster) {
        this.stack = stack;
        this.cluster = cluster;
        this.url = cluster.url();
    }

    /** The stack, brought up on first use (and printed as `pods: STACK ready/total ready in S s`). */
    static PodStack of(String stack) {
        return RUNNING.computeIfAbsent(stack, s -> start(s, StackFiles.config(s)));
    }

    /** A variant of a stack file (settings a test adds, e.g. a certificate), under its own name. */
    static PodStack of(String name, StackConfig config) {
        return RUNNING.computeIfAbsent(name, s -> start(s, config));
    }

    private static PodStack start(String stack, StackConfig config) {
        Cluster.down(stack, true); // whatever an interrupted earlier run left behind
        long start = System.nanoTime();
        Cluster cluster = Cluster.load(stack, Render.run(config).objects(),
                new Cluster.Options(Path.of("/var/tmp/todo-platform/test-stacks"), Path.of(".."), 0, false));
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close));
        try {
            cluster.apply();
        } catch (RuntimeException e) {
            // Stopped now, not left running: its controllers would go on restarting containers under the same
            // names as the next test's stack, and load the machine for every test after it (seen in CI: one slow
            // start failed the three tests after it).
            cluster.close();
            throw e;
        }
        System.out.printf("pods: %s %d/%d ready in %.1f s%n", stack, cluster.readyPods(), cluster.servingPods(),
                (System.nanoTime() - start) / 1e9);
        return new PodStack(stack, cluster);
    }

    /** Stops a stack now (its volumes too). */
    /** The todo service's logged errors (a 500's cause), at most five per pod. */
    List<String> serviceErrors() {
        return cluster.podsOf("Deployment", "todo").stream()
                .flatMap(pod -> cluster.logs(pod, "todo").lines().filter(l -> l.contains("\"level\":\"ERROR\""))
                        .limit(5).map(l -> pod + " " + (l.length() > 2000 ? l.substring(0, 2000) : l)))
                .toList();
    }

    static void stop(String stack) {
        PodStack s = RUNNING.remove(stack);
        if (s != null) {
            s.cluster.close();
        }
    }

    List<String> postgresPods() {
        return cluster.podsOf("StatefulSet", "postgres");
    }

    /** One value (or rows, one a line) from psql in a postgres container, over its local socket. */
    String sql(String pod, String database, String query) {
        var r = cluster.exec(pod, "postgres", Duration.ofSeconds(10), "psql", "-h", "/var/run/postgresql", "-U",
                "postgres", "-d", database, "-XAtq", "-c", query);
        if (!r.ok()) {
            throw new IllegalStateException(pod + ": " + query + ": " + r.err().strip());
        }
        return r.out().strip();
    }

    /** Every node that answers as a primary (not in recovery) right now. */
    List<String> primaries() {
        return postgresPods().stream().filter(p -> {
            try {
                return sql(p, "postgres", "SELECT pg_is_in_recovery()").equals("f");
            } catch (RuntimeException e) {
                return false;
            }
        }).toList();
    }

    /** The one primary, waiting for there to be exactly one; without one, the nodes' own account is printed. */
    String primary() {
        String[] found = new String[1];
        explained(() -> Poll.until(Duration.ofSeconds(60), "exactly one primary", () -> {
            List<String> p = primaries();
            found[0] = p.size() == 1 ? p.get(0) : null;
            return found[0] != null;
        }));
        return found[0];
    }

    /** Waits until the node is back: ready (within the restart back-off), caught up, attached to every PgPool. */
    void awaitBack(String node) {
        explained(() -> Poll.until(BACK_OFF, node + " ready", () -> ready(node)));
        String primary = primary();
        explained(() -> Poll.until(Duration.ofSeconds(60), node + " caught up", () -> caughtUp(node, primary)));
        Poll.until(Duration.ofSeconds(30), "pgpool attached " + node, () -> attached(node));
    }

    /**
     * Runs a wait on the database nodes; when it times out, prints which nodes answer as primary and each node's
     * last lines (both containers) before rethrowing: the pods, and their logs, go with the stack.
     */
    void explained(Runnable wait) {
        try {
            wait.run();
        } catch (IllegalStateException e) {
            System.out.println(e.getMessage() + "; primaries now " + primaries() + "; the nodes' last lines:");
            for (String pod : postgresPods()) {
                for (String container : List.of("postgres", "repmgrd")) {
                    List<String> lines = cluster.logs(pod, container).lines().toList();
                    lines.subList(Math.max(0, lines.size() - 25), lines.size())
                            .forEach(l -> System.out.println("  " + pod + "/" + container + " " + l));
                }
            }
            throw e;
        }
    }

    Set<Long> ids(String pod) {
        String rows = sql(pod, "todo", "SELECT id FROM todos");
        Set<Long> ids = new HashSet<>();
        Arrays.stream(rows.split("\n")).filter(s -> !s.isBlank()).forEach(s -> ids.add(Long.parseLong(s)));
        return ids;
    }

    /** The standby has replayed everything the primary has written. */
    boolean caughtUp(String standby, String primary) {
        try {
            String written = sql(primary, "postgres", "SELECT pg_current_wal_lsn()");
            return sql(standby, "postgres", "SELECT pg_last_wal_replay_lsn() >= '" + written + "'::pg_lsn").equals("t");
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Every PgPool pod has the node attached (status up), as `SHOW POOL_NODES` through it says. */
    boolean attached(String node) {
        for (String pgpool : cluster.podsOf("Deployment", "pgpool")) {
            if (poolNodes(pgpool).stream().noneMatch(l -> l.contains(node + ".") && l.contains(" up "))) {
                return false;
            }
        }
        return true;
    }

    /** The node each PgPool pod sends writes to (its primary in `SHOW POOL_NODES`), "none" when it has none. */
    List<String> pgpoolPrimaries() {
        return cluster.podsOf("Deployment", "pgpool").stream().map(pgpool -> poolNodes(pgpool).stream()
                .map(l -> l.split(" ")).filter(f -> f.length > 6 && f[6].equals("primary") && f[3].equals("up"))
                .map(f -> f[1].replaceAll("\\..*", "")).findFirst().orElse("none")).toList();
    }

    /** `SHOW POOL_NODES` through a PgPool pod, one node a line, fields separated by spaces. */
    private List<String> poolNodes(String pgpool) {
        var r = cluster.exec(pgpool, "pgpool", Duration.ofSeconds(10), "sh", "-c",
                "PGPASSWORD=\"$CHECK_PASSWORD\" psql -h 127.0.0.1 -p \"$PORT\" -U \"$CHECK_USER\" -d postgres -XAt -F ' ' -c 'SHOW POOL_NODES'");
        return r.ok() ? r.out().lines().toList() : List.of();
    }

    /** The pods of the StatefulSet other than this one. */
    List<String> otherNodes(String node) {
        return postgresPods().stream().filter(n -> !n.equals(node)).toList();
    }

    boolean ready(String pod) {
        return cluster.ready(pod);
    }
}
