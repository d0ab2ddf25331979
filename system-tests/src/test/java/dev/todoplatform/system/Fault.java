package dev.todoplatform.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.todoplatform.daemons.Poll;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One database fault under a steady stream of writes through the LoadBalancer: the fault is injected, held
 * for its length, ended, and then the cluster must be whole again by itself (every node ready, one primary,
 * every standby caught up and attached in every PgPool, every PgPool routing writes to that primary). Prints
 * `fault NAME: unavailable S s, acknowledged N, lost N, client errors N, primaries after N`.
 */
final class Fault {
    /** RELIABILITY.md's target for writes after a fault; past it, the run prints what PgPool's failback loop did. */
    static final double WRITES_TARGET_SECONDS = 5;
    /** What one run measured. */
    record Figures(String name, double unavailable, long acknowledged, long lost, int clientErrors, int primaries,
            List<String> errors, double onePrimaryAfterEnd, double lossWindow, double wholeAfterEnd) {
    }

    /** How the fault starts and ends; {@code end} may be a no-op (a crash ends by itself). */
    interface Step {
        void run() throws Exception;
    }

    private Fault() {
    }

    static Figures run(PodStack stack, Client client, String name, Step start, Duration length, Step end)
            throws Exception {
        long fault;
        long faultEpochMillis; // the failback loop's log lines carry the wall clock
        long ended;
        Writers writers = new Writers(client, 4, name);
        try {
            Poll.until(Duration.ofSeconds(30), "writes flowing", () -> writers.acknowledged() >= 100);
            fault = System.nanoTime();
            faultEpochMillis = System.currentTimeMillis();
            start.run();
            hold(length);
            end.run();
            ended = System.nanoTime();
            Poll.until(Duration.ofSeconds(60), "writes acknowledged after the fault",
                    () -> writers.acknowledgedAfter(ended) >= 100);
        } finally {
            writers.close();
        }
        // Exactly one node takes writes soon after the fault ends (a returning old primary fences itself).
        Poll.until(Duration.ofSeconds(30), "exactly one primary", () -> stack.primaries().size() == 1);
        double onePrimary = Math.max(0, (System.nanoTime() - ended) / 1e9);
        String primary = stack.primary();
        awaitWhole(stack, primary);
        // Every node ready, caught up and attached again (the old primary rejoined as a standby by itself).
        double whole = (System.nanoTime() - ended) / 1e9;
        Set<Long> stored = stack.ids(primary);
        List<Writers.Ack> lostAcks = writers.acks.stream().filter(a -> !stored.contains(a.id())).toList();
        long lost = lostAcks.size();
        // How long after the fault began acknowledged writes still went where they were later lost.
        double lossWindow = lostAcks.stream().mapToDouble(a -> (a.nanos() - fault) / 1e9).max().orElse(0);
        int primaries = stack.primaries().size();
        Figures f = new Figures(name, writers.unavailableSeconds(fault), writers.acknowledged(), lost,
                writers.failures.size(), primaries, writers.failures.stream().distinct().limit(3).toList(), onePrimary,
                lossWindow, whole);
        System.out.printf("fault %s: unavailable %.2f s, acknowledged %d, lost %d, client errors %d, primaries after %d%n",
                f.name(), f.unavailable(), f.acknowledged(), f.lost(), f.clientErrors(), f.primaries());
        System.out.printf("  whole again %.1f s after the fault ended%n", whole);
        f.errors().forEach(e -> System.out.println("  client error: " + e));
        if (f.clientErrors() > 0) { // what the service logged about them (its pods' logs go with the stack)
            stack.serviceErrors().forEach(e -> System.out.println("  service: " + e));
        }
        if (f.unavailable() > WRITES_TARGET_SECONDS) { // what decided when writes came back, kept in the output
            System.out.printf("  the fault began at %.3f (epoch seconds)%n", faultEpochMillis / 1e3);
            for (String pod : stack.cluster.podsOf("Deployment", "pgpool")) {
                List<String> lines = stack.cluster.logs(pod, "failback").lines().filter(l -> l.contains("pgpool.sh")).toList();
                lines.subList(Math.max(0, lines.size() - 15), lines.size())
                        .forEach(l -> System.out.println("  " + pod + "/failback " + l));
            }
        }
        return f;
    }

    /** Every node back by itself: ready (within kubelet's back-off), caught up with the primary, attached everywhere. */
    static void awaitWhole(PodStack stack, String primary) {
        for (String node : stack.otherNodes(primary)) {
            stack.awaitBack(node);
        }
        Poll.until(Duration.ofSeconds(30), "pgpool attached " + primary, () -> stack.attached(primary));
        assertEquals(List.of(primary), stack.primaries(), "one primary");
        Poll.until(Duration.ofSeconds(30), "every PgPool routes writes to " + primary,
                () -> stack.pgpoolPrimaries().stream().allMatch(primary::equals));
    }

    /**
     * Holds a fault for its length: part of the fault (a 30 s freeze), not a wait for something to happen. A loop,
     * as parkNanos may return early (seen: a 5 s freeze that lasted no time, a pending unpark).
     */
    private static void hold(Duration length) {
        long until = System.nanoTime() + length.toNanos();
        for (long left = length.toNanos(); left > 0; left = until - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    static double seconds(long fromNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fromNanos) / 1000.0;
    }
}
