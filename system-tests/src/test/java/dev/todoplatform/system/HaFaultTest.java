package dev.todoplatform.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.daemons.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What clusters do besides killing processes, on the prod stack's pods (synchronous replication), under writes
 * through the LoadBalancer: freezes, partitions, stalls, everything restarting at once, lost volumes, a standby
 * away too long. Each prints its `fault ...` line (Fault); RELIABILITY.md has the figures of several runs.
 */
@Order(5)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HaFaultTest {
    private static PodStack stack;
    private static Client client;

    @BeforeAll
    static void start() {
        // A fresh stack: the kill-based tests before this one leave the database containers deep in kubelet's
        // restart back-off (up to 5 minutes), which would only make every fault here wait longer to heal.
        PodStack.stop("prod");
        stack = PodStack.of("prod");
        client = new Client(stack.url);
    }

    /**
     * A frozen, cut-off or stalled old primary is replaced fast, then fences itself and rejoins. The target for
     * writes is 5 s (RELIABILITY.md reports each run against it); the build fails past 10 s, where the design
     * itself is broken (before the fixes: 28-36 s for a 30 s freeze, or never).
     */
    private static void assertReplacedOrKept(Fault.Figures f) {
        assertEquals(0, f.lost(), "acknowledged writes lost");
        assertEquals(1, f.primaries(), "primaries after");
        assertTrue(f.unavailable() < 10.0, "writes back within 10 s of the fault: " + f.unavailable());
        assertTrue(f.onePrimaryAfterEnd() < 10.0, "one primary within 10 s of the end: " + f.onePrimaryAfterEnd());
        assertTrue(f.wholeAfterEnd() < 60.0, "the old primary rejoined within 60 s of the end: " + f.wholeAfterEnd());
    }

    @Test
    @Order(1)
    void aHealthyPrimaryThatStallsThreeSecondsIsNotDroppedForGood() throws Exception {
        String primary = stack.primary();
        Fault.Figures f = Fault.run(stack, client, "stall-3s", () -> stack.cluster.pause(primary), Duration.ofSeconds(3),
                () -> stack.cluster.unpause(primary));
        assertReplacedOrKept(f);
        assertEquals(List.of(), f.errors());
    }

    @Test
    @Order(2)
    void aPrimaryFrozenFiveSecondsIsReplacedAndRejoins() throws Exception {
        frozen(Duration.ofSeconds(5));
    }

    @Test
    @Order(3)
    void aPrimaryFrozenThirtySecondsIsReplacedAndRejoins() throws Exception {
        frozen(Duration.ofSeconds(30));
    }

    private static void frozen(Duration length) throws Exception {
        String old = stack.primary();
        Fault.Figures f = Fault.run(stack, client, "freeze-" + length.toSeconds() + "s", () -> stack.cluster.pause(old),
                length, () -> stack.cluster.unpause(old));
        assertReplacedOrKept(f);
        assertNotEquals(old, stack.primary(), "a standby was promoted; the old primary is a standby now");
        assertEquals(List.of(), f.errors());
    }

    @Test
    @Order(4)
    void aPrimaryCutOffThirtySecondsIsReplacedAndRejoins() throws Exception {
        String old = stack.primary();
        Fault.Figures f = Fault.run(stack, client, "partition-30s", () -> stack.cluster.partition(old, List.of()),
                Duration.ofSeconds(30), () -> stack.cluster.heal(old));
        assertReplacedOrKept(f);
        assertNotEquals(old, stack.primary());
        assertEquals(List.of(), f.errors());
    }

    /**
     * PgPool still reaches the old primary, its standbys do not: they promote one of them, the old primary fences
     * itself (cut off from every peer), PgPool moves on. With synchronous replication nothing acknowledged is lost.
     */
    @Test
    @Order(5)
    void aOneSidedCutBetweenThePrimaryAndItsStandbysLosesNothing() throws Exception {
        String old = stack.primary();
        Fault.Figures f = Fault.run(stack, client, "one-sided-cut-30s",
                () -> stack.cluster.partition(old, stack.otherNodes(old)), Duration.ofSeconds(30),
                () -> stack.cluster.heal(old));
        assertReplacedOrKept(f);
        assertNotEquals(old, stack.primary());
    }

    /** Liveness restarts a PgPool that has no primary while a node is one; its failback container is stopped. */
    @Test
    @Order(6)
    void aPgPoolWithoutAPrimaryFailsItsLivenessAndComesBackWithIt() {
        String primary = stack.primary();
        String pgpool = stack.cluster.podsOf("Deployment", "pgpool").get(0);
        int restarts = stack.cluster.restarts(pgpool);
        long start = System.nanoTime();
        stack.cluster.pause(pgpool, "failback");
        try {
            int id = stack.postgresPods().indexOf(primary);
            var detached = stack.cluster.exec(pgpool, "pgpool", Duration.ofSeconds(30), "sh", "-c",
                    "PCPPASSFILE=$RUN_DIR/.pcppass pcp_detach_node -h $RUN_DIR -p $PCP_PORT -U $CHECK_USER -w -n " + id);
            assertTrue(detached.ok(), detached.err());
            Poll.until(Duration.ofSeconds(30), pgpool + " has no primary",
                    () -> stack.pgpoolPrimaries().get(0).equals("none"));
            // Six failed probes 5 s apart, then the stop (its grace period is 30 s): 33-48 s in most runs, but 91 s
            // once in CI, where the probes' own surveys waited on a busy PCP and the stop took 23 s.
            Poll.until(Duration.ofSeconds(150), pgpool + " restarted by its liveness probe",
                    () -> stack.cluster.restarts(pgpool) > restarts);
        } finally {
            stack.cluster.unpause(pgpool, "failback");
        }
        Poll.until(Duration.ofSeconds(60), pgpool + " ready", () -> stack.ready(pgpool));
        System.out.printf("pgpool without a primary: %s restarted by its liveness, serving again after %.1f s%n",
                pgpool, Fault.seconds(start));
        Fault.awaitWhole(stack, primary);
        assertEquals(201, client.post("/api/todos", "{\"name\":\"after the liveness restart\"}").status());
    }

    /** Power loss of every database pod at once: every postgres container killed together, restarted at once. */
    @Test
    @Order(7)
    void everyPostgresPodRestartedAtOnceComesBackWithOnePrimaryAndNothingLost() throws Exception {
        Fault.Figures f = Fault.run(stack, client, "all-postgres-restart", () -> CompletableFuture.allOf(
                stack.postgresPods().stream().map(p -> CompletableFuture.runAsync(() -> stack.cluster.kill(p, "postgres")))
                        .toArray(CompletableFuture[]::new)).join(), Duration.ZERO, () -> { });
        assertEquals(0, f.lost());
        assertEquals(1, f.primaries());
    }

    /**
     * postgres-0 (the one node that may ever initialise a cluster) comes back on an empty volume while the primary
     * is frozen: it must not initialise a second cluster, but wait and then clone the primary.
     */
    @Test
    @Order(8)
    void postgresZeroOnAnEmptyVolumeWhileThePrimaryIsFrozenWaitsAndJoins() throws Exception {
        if (stack.primary().equals("postgres-0")) {
            stack.cluster.kill("postgres-0", "postgres"); // a standby now: it is its volume that goes
            Poll.until(Duration.ofSeconds(30), "another primary", () -> !stack.primary().equals("postgres-0"));
            Fault.awaitWhole(stack, stack.primary());
        }
        String primary = stack.primary();
        String cluster = systemIdentifier(primary);
        Fault.Figures f = Fault.run(stack, client, "volume-lost-postgres-0", () -> {
            stack.cluster.pause(primary);
            stack.cluster.deleteStatefulPod("postgres", 0, true);
        }, Duration.ofSeconds(8), () -> stack.cluster.unpause(primary));
        assertEquals(0, f.lost());
        assertEquals(1, f.primaries());
        // The freeze is 8 s, and no standby may promote meanwhile (no majority without postgres-0). Before the fix
        // the deleted pod's repmgrd, blocked on the frozen primary, held the deletion (and so the freeze) for its
        // whole 60 s grace period.
        assertTrue(f.unavailable() < 20, "writes back soon after the 8 s freeze: " + f.unavailable());
        Set<String> identifiers = stack.postgresPods().stream().map(HaFaultTest::systemIdentifier).collect(Collectors.toSet());
        assertEquals(Set.of(cluster), identifiers, "one cluster: postgres-0 cloned it, it did not initialise another");
    }

    /** A standby cut off while the primary recycles the WAL it would need: it rejoins by itself, by a fresh clone. */
    @Test
    @Order(9)
    void aStandbyAwayLongerThanTheWalKeptRejoinsByAFreshClone() {
        String primary = stack.primary();
        String standby = stack.otherNodes(primary).get(0);
        long start = System.nanoTime();
        stack.cluster.partition(standby, List.of());
        try {
            stack.sql(primary, "postgres", "ALTER SYSTEM SET wal_keep_size = '32MB'");
            stack.sql(primary, "postgres", "SELECT pg_reload_conf()");
            String needed = stack.sql(standby, "postgres", "SELECT pg_last_wal_replay_lsn()");
            stack.sql(primary, "postgres", "CREATE TABLE IF NOT EXISTS wal_filler (n int)");
            Poll.until(Duration.ofSeconds(120), "the primary removed the WAL after " + needed, () -> {
                stack.sql(primary, "postgres", "INSERT INTO wal_filler VALUES (1)");
                stack.sql(primary, "postgres", "SELECT pg_switch_wal()");
                stack.sql(primary, "postgres", "CHECKPOINT");
                return stack.sql(primary, "postgres", "SELECT substr(pg_walfile_name('" + needed + "'), 9) < (SELECT min(substr(name, 9))"
                        + " FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$')").equals("t");
            });
        } finally {
            stack.cluster.heal(standby);
        }
        Fault.awaitWhole(stack, primary);
        stack.sql(primary, "postgres", "ALTER SYSTEM RESET wal_keep_size");
        stack.sql(primary, "postgres", "SELECT pg_reload_conf()");
        stack.sql(primary, "postgres", "DROP TABLE wal_filler");
        System.out.printf("fault standby-behind-wal-kept: %s streaming again %.1f s after it was cut off%n", standby,
                Fault.seconds(start));
    }

    @Test
    @Order(10)
    void redisUnreachableForAMinuteTheCounterAnswers503JsonStaysReadyAndRecovers() {
        dependencyDown("redis-down-60s", List.of("redis-0"), "/counter", "counter", "redis unavailable, retry later");
    }

    @Test
    @Order(11)
    void theDatabaseUnreachableForAMinuteTheTodoServiceAnswers503JsonStaysReadyAndRecovers() {
        dependencyDown("database-down-60s", stack.cluster.podsOf("Deployment", "pgpool"), "/api/todos", "todo",
                "database unavailable, retry later");
    }

    /**
     * A drain: the primary's pod deleted as `kubectl drain` or a node upgrade deletes it (SIGTERM, SIGKILL after the
     * 60 s grace period). It stops at once, a standby takes over, and the pod comes back as a standby. (Before: the
     * SIGTERM was postgres's smart shutdown, which waits for PgPool's pooled sessions to end, and they never do.)
     */
    @Test
    @Order(12)
    void aDeletedPrimaryPodStopsAtOnceAndAStandbyTakesOver() throws Exception {
        String old = stack.primary();
        double[] stopped = new double[1];
        Fault.Figures f = Fault.run(stack, client, "primary-pod-deleted", () -> {
            long start = System.nanoTime();
            stack.cluster.deleteStatefulPod("postgres", stack.postgresPods().indexOf(old), false);
            stopped[0] = Fault.seconds(start);
        }, Duration.ZERO, () -> { });
        System.out.printf("primary pod %s deleted: stopped in %.1f s (grace period 60 s)%n", old, stopped[0]);
        assertTrue(stopped[0] < 15, "stopped at once, not after its grace period: " + stopped[0]);
        assertReplacedOrKept(f);
        assertNotEquals(old, stack.primary());
    }

    /** A rollout of PgPool: each old pod stops at once (not after its 30 s grace period) and writes go on. */
    @Test
    @Order(13)
    void aPgPoolRolloutStopsEachOldPodAtOnceAndWritesGoOn() throws Exception {
        double[] took = new double[1];
        Fault.Figures f = Fault.run(stack, client, "pgpool-rollout", () -> {
            long start = System.nanoTime();
            stack.cluster.rolloutRestart("pgpool", Duration.ofMinutes(5));
            took[0] = Fault.seconds(start);
        }, Duration.ZERO, () -> { });
        System.out.printf("pgpool rollout: 2 pods replaced in %.1f s (grace period 30 s each)%n", took[0]);
        assertTrue(took[0] < 45, "each old pod stopped at once, not after its grace period: " + took[0]);
        assertReplacedOrKept(f);
    }

    /**
     * Both standbys promoted at once from the same WAL position (the race the promotion's veto narrows but cannot
     * close: each asked the other just before the other promoted): two primaries on the same timeline number. One
     * yields (its fence: the higher-numbered one), then rejoins; pg_rewind compares timeline histories only, finds
     * them equal and rewinds nothing, so it must be cloned afresh. Writes stop while the standbys catch up, so
     * that both hold the same WAL.
     */
    @Test
    @Order(14)
    void twoStandbysPromotedAtOnceOnOneTimelineEndWithOnePrimaryAndEveryNodeBack() throws Exception {
        String old = stack.primary();
        List<String> standbys = stack.otherNodes(old);
        List<String> pgpools = stack.cluster.podsOf("Deployment", "pgpool");
        Fault.Figures f = Fault.run(stack, client, "double-promotion", () -> {
            pgpools.forEach(stack.cluster::pause);
            try {
                Poll.until(Duration.ofSeconds(10), "both standbys at the primary's position",
                        () -> standbys.stream().allMatch(s -> stack.caughtUp(s, old)));
                stack.cluster.kill(old, "postgres");
                standbys.stream().map(s -> CompletableFuture.runAsync(() -> promote(s)))
                        .toList().forEach(CompletableFuture::join);
            } finally {
                pgpools.forEach(stack.cluster::unpause);
            }
        }, Duration.ZERO, () -> { });
        assertReplacedOrKept(f);
        // Usually the lower-numbered one (the fence's rule for one timeline number); should a node's own check have
        // promoted one a moment before the test did, the other went on to a later timeline and won instead.
        assertTrue(standbys.contains(stack.primary()), "one of the promoted standbys is the primary");
    }

    /**
     * Promotes a standby. One that its own check promoted a moment before (the primary is gone: seen in a full run,
     * the test's exec slower than the node on a busy machine) is what the test wanted too, and so is one that
     * stops under the call because the other was promoted first and it yields (its fence shuts it down at once:
     * "terminating connection due to immediate shutdown", seen in a full run). The test's assertions are on what
     * follows: one primary, every node back.
     */
    private static void promote(String standby) {
        try {
            stack.sql(standby, "postgres", "SELECT pg_promote()");
        } catch (IllegalStateException e) {
            if (!e.getMessage().contains("recovery is not in progress")
                    && !e.getMessage().contains("terminating connection due to immediate shutdown")) {
                throw e;
            }
        }
    }

    /**
     * The dependency's pods cut off for 60 s: the service's pods stay ready (in their Service), every request gets
     * either its answer or the documented 503 JSON, never the proxy's error page; afterwards it answers by itself.
     */
    private static void dependencyDown(String name, List<String> dependency, String path, String deployment, String error) {
        List<String> instances = stack.cluster.podsOf("Deployment", deployment);
        long ok = 0;
        long unavailable = 0;
        List<String> other = new ArrayList<>();
        List<String> unready = new ArrayList<>();
        long start = System.nanoTime();
        dependency.forEach(p -> stack.cluster.partition(p, List.of()));
        try {
            while (System.nanoTime() - start < Duration.ofSeconds(60).toNanos()) {
                Client.Reply reply = client.get(path);
                if (reply.status() == 200) {
                    ok++;
                } else if (reply.status() == 503 && reply.body().startsWith("{") && error.equals(reply.json().path("error").asText())) {
                    unavailable++;
                } else {
                    other.add(reply.status() + " " + reply.body());
                }
                instances.stream().filter(i -> !stack.ready(i)).forEach(unready::add);
            }
        } finally {
            dependency.forEach(stack.cluster::heal);
        }
        long healed = System.nanoTime();
        Poll.until(Duration.ofSeconds(90), path + " answers again", () -> client.get(path).status() == 200);
        double back = Fault.seconds(healed);
        Fault.awaitWhole(stack, stack.primary());
        System.out.printf("fault %s: unavailable %.2f s, acknowledged %d, lost 0, client errors %d, primaries after %d"
                + " (%d answered the 503 JSON; back %.1f s after the cut ended)%n", name, 60 + back, ok, other.size(),
                stack.primaries().size(), unavailable, back);
        assertEquals(List.of(), other.stream().distinct().limit(3).toList(), "only answers or the documented 503 JSON");
        assertEquals(List.of(), unready.stream().distinct().toList(), "the instances stayed ready");
        assertTrue(unavailable > 0, "the cut was seen");
    }

    private static String systemIdentifier(String node) {
        return stack.sql(node, "postgres", "SELECT system_identifier FROM pg_control_system()");
    }
}
