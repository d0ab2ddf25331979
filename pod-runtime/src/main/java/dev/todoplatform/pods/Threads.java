package dev.todoplatform.pods;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The runtime's threads: daemon threads, so a runtime never keeps a JVM alive by itself. */
final class Threads {
    /** Blocking work: engine calls, waiting for a container to exit, stream draining. */
    static final ExecutorService IO = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pods-io");
        t.setDaemon(true);
        return t;
    });
    /** Probe and controller ticks; each tick hands its blocking work to {@link #IO}. */
    static final ScheduledExecutorService TICKS = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "pods-tick");
        t.setDaemon(true);
        return t;
    });

    private Threads() {
    }
}
