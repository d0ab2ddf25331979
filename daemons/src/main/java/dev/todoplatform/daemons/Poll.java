package dev.todoplatform.daemons;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline: the only way tests and the stack synchronise (no fixed sleeps). */
public final class Poll {
    private Poll() {
    }

    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + what, e);
            }
        }
    }

    /** Like {@link #until} but a condition that throws counts as "not yet". */
    public static void untilNoError(Duration timeout, String what, ThrowingCheck check) {
        until(timeout, what, () -> {
            try {
                return check.ok();
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** A check that may fail with an exception while the thing it checks is not ready. */
    @FunctionalInterface
    public interface ThrowingCheck {
        boolean ok() throws Exception;
    }
}
