package dev.todoplatform.system;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/** Mixed traffic through the front door (counter, page, API reads and writes), counting every failure. */
final class Load implements AutoCloseable {
    final AtomicLong requests = new AtomicLong();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    Load(Client client, int threadsPerKind) {
        this(threadsPerKind, List.of(
                i -> client.get("/counter"),
                i -> client.get("/"),
                i -> client.get("/api/todos?limit=20"),
                i -> client.post("/api/todos", "{\"name\":\"load " + i + "\"}")));
    }

    /** Lists only: the page and the JSON list, kept while nothing writes, so most lists share a position lookup. */
    static Load lists(Client client, int threadsPerKind) {
        return new Load(threadsPerKind, List.of(i -> client.get("/"), i -> client.get("/api/todos?limit=20")));
    }

    private Load(int threadsPerKind, List<Function<Integer, Client.Reply>> kinds) {
        for (Function<Integer, Client.Reply> kind : kinds) {
            for (int t = 0; t < threadsPerKind; t++) {
                Thread thread = new Thread(() -> {
                    for (int i = 0; running.get(); i++) {
                        Client.Reply reply = kind.apply(i);
                        requests.incrementAndGet();
                        if (reply.status() < 200 || reply.status() >= 300) {
                            failures.add(reply.status() + " " + reply.body());
                        }
                    }
                });
                thread.start();
                threads.add(thread);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(60_000);
        }
    }
}
