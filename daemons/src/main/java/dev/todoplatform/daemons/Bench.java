package dev.todoplatform.daemons;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The service benchmark (scripts/bench-service): PostgreSQL, Redis, one todo and one counter instance from the
 * built jar, nginx in front, and wrk on the same machine. Prints one line per figure.
 */
public final class Bench {
    private Bench() {
    }

    /** scripts/bench-service. */
    public static void main(String[] args) throws Exception {
        run(Path.of(System.getProperty("todo.repo", ".")).toAbsolutePath().normalize());
        System.exit(0);
    }

    public static void run(Path repo) throws Exception {
        int seconds = Integer.parseInt(System.getProperty("bench.seconds", "15"));
        int connections = Integer.parseInt(System.getProperty("bench.connections", "64"));
        Path dir = RunAs.tempDir("todo-bench");
        Path jar = ServiceInstance.stage(repo, dir.resolve("service"));
        String password = "bench-" + Long.toHexString(System.nanoTime());
        try (PostgresServer pg = PostgresServer.start(dir.resolve("postgres"), Ports.free(),
                "synchronous_commit=on", "fsync=on");
             RedisServer redis = RedisServer.withRepoConfig(dir.resolve("redis"), Ports.free())) {
            pg.createDatabase("todo", "todo", password);
            Map<String, String> db = Map.of("DATABASE_URL", pg.jdbcUrl("todo"), "DATABASE_USER", "todo",
                    "DATABASE_PASSWORD", password);
            try (ServiceInstance migrate = new ServiceInstance(jar, "migrate", Ports.free(), dir.resolve("migrate.log"), db)) {
                migrate.start();
                if (!migrate.process().waitForExit(Duration.ofSeconds(60)) || migrate.process().exitCode() != 0) {
                    throw new IllegalStateException("migrate failed: " + migrate.process().tail(10));
                }
            }
            try (ServiceInstance todo = new ServiceInstance(jar, "todo", Ports.free(), dir.resolve("todo.log"), db);
                 ServiceInstance counter = new ServiceInstance(jar, "counter", Ports.free(), dir.resolve("counter.log"),
                         Map.of("REDIS_HOST", "127.0.0.1", "REDIS_PORT", Integer.toString(redis.port())))) {
                Duration todoReady = todo.start().awaitReady(Duration.ofSeconds(30));
                Duration counterReady = counter.start().awaitReady(Duration.ofSeconds(30));
                System.out.printf("ready: todo %d ms, counter %d ms (process start to /readyz 200)%n",
                        todoReady.toMillis(), counterReady.toMillis());
                try (Nginx nginx = Nginx.start(dir.resolve("nginx"), Ports.free(), List.of(todo.port()),
                        List.of(counter.port()))) {
                    HttpClient http = HttpClient.newHttpClient();
                    for (int i = 1; i <= 50; i++) {
                        http.send(HttpRequest.newBuilder(URI.create(nginx.url() + "api/todos"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"benchmark item " + i + "\"}"))
                                .build(), HttpResponse.BodyHandlers.discarding());
                    }
                    Path post = dir.resolve("post.lua");
                    Files.writeString(post, "wrk.method = \"POST\"\nwrk.body = '{\"name\":\"written by wrk\"}'\n"
                            + "wrk.headers[\"Content-Type\"] = \"application/json\"\n");
                    // Warm the JIT the way a running pod is warm, then measure.
                    wrk(nginx.url() + "counter", 10, connections, null);
                    wrk(nginx.url(), 10, connections, null);
                    report("GET /counter", wrk(nginx.url() + "counter", seconds, connections, null));
                    report("GET / (50 items)", wrk(nginx.url(), seconds, connections, null));
                    report("POST /api/todos", wrk(nginx.url() + "api/todos", seconds, connections, post));
                    long[] todoMem = todo.residentKib();
                    long[] counterMem = counter.residentKib();
                    System.out.printf("memory: todo %d MiB resident (peak %d MiB), counter %d MiB (peak %d MiB)%n",
                            todoMem[0] / 1024, todoMem[1] / 1024, counterMem[0] / 1024, counterMem[1] / 1024);
                }
            }
        }
        System.out.printf("machine: %d cores, %s; wrk, nginx, the services, PostgreSQL and Redis all on it%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
    }

    private static Wrk.Result wrk(String url, int seconds, int connections, Path script) {
        return Wrk.run(url, seconds, connections, script);
    }

    private static void report(String what, Wrk.Result r) {
        System.out.printf("%s: %.0f requests/s, p99 %.2f ms%s%n", what, r.requestsPerSecond(), r.p99Millis(),
                r.errors().isEmpty() ? ", no errors" : ", " + r.errors());
    }
}
