package dev.todoplatform.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The dev stack replicates asynchronously: a one-sided cut (PgPool still reaches the primary, its one standby
 * does not) has a window in which the old primary acknowledges writes the promoted standby never receives.
 * Measured here and documented (README, "HA guarantees"); the cluster still ends with one primary.
 */
@Order(1)
class DevFaultTest {
    private static PodStack stack;

    @BeforeAll
    static void start() {
        stack = PodStack.of("dev");
    }

    @AfterAll
    static void stop() {
        PodStack.stop("dev");
    }

    @Test
    void aOneSidedCutInTheAsynchronousDevStackLosesOnlyItsMeasuredWindow() throws Exception {
        Client client = new Client(stack.url);
        String old = stack.primary();
        Fault.Figures f = Fault.run(stack, client, "one-sided-cut-dev-30s",
                () -> stack.cluster.partition(old, stack.otherNodes(old)), Duration.ofSeconds(30),
                () -> stack.cluster.heal(old));
        System.out.printf("fault one-sided-cut-dev-30s: loss window %.2f s after the cut (asynchronous replication)%n",
                f.lossWindow());
        assertEquals(1, f.primaries());
        assertNotEquals(old, stack.primary(), "the standby was promoted; the old primary rejoined it");
        assertTrue(f.lossWindow() < 10, "writes stop landing on the cut-off primary within 10 s: " + f.lossWindow());
        assertTrue(f.unavailable() < 10, "writes move to the new primary within 10 s: " + f.unavailable());
    }
}
