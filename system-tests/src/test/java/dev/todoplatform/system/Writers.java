package dev.todoplatform.system;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A steady stream of todo creates through the front door, recording every acknowledgement and failure. */
final class Writers implements AutoCloseable {
    /** A create sent at {@code sentNanos} that the client saw acknowledged (201) at {@code nanos}. */
    record Ack(long id, String name, long sentNanos, long nanos) {
    }

    final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger sequence = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();

    Writers(Client client, int count, String prefix) {
        for (int i = 0; i < count; i++) {
            Thread t = new Thread(() -> {
                while (running.get()) {
                    String name = prefix + "-" + sequence.incrementAndGet();
                    long sent = System.nanoTime();
                    Client.Reply reply = client.post("/api/todos", "{\"name\":\"" + name + "\"}");
                    if (reply.status() == 201) {
                        acks.add(new Ack(reply.json().get("id").asLong(), name, sent, System.nanoTime()));
                    } else {
                        failures.add(reply.status() + " " + reply.body());
                    }
                }
            }, "writer-" + i);
            t.start();
            threads.add(t);
        }
    }

    int acknowledged() {
        return acks.size();
    }

    /**
     * How long writes were unavailable after {@code eventNanos}: the longest gap between consecutive
     * acknowledgements from the last one before the event on (backends of a killed postmaster may still
     * answer for a moment, so the stall can come a little after the event itself).
     */
    double unavailableSeconds(long eventNanos) {
        long[] times = acks.stream().mapToLong(Ack::nanos).sorted().toArray();
        long longest = 0;
        for (int i = 1; i < times.length; i++) {
            if (times[i] > eventNanos) {
                longest = Math.max(longest, times[i] - times[i - 1]);
            }
        }
        return longest / 1e9;
    }

    long acknowledgedAfter(long eventNanos) {
        return acks.stream().filter(a -> a.sentNanos() > eventNanos).count();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(60_000);
        }
    }
}
