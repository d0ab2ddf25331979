package dev.todoplatform.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.daemons.Ports;
import dev.todoplatform.daemons.RedisServer;
import dev.todoplatform.daemons.RunAs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(Backends.class)
class CounterTest {
    private static final Pattern HIT = Pattern.compile("Holla! we have hit (\\d+) times");

    @Test
    void concurrentHitsAcrossTwoInstancesAddUpExactly() throws Exception {
        try (ServiceProcess a = ServiceProcess.ready("counter", ServiceProcess.counterEnv());
             ServiceProcess b = ServiceProcess.ready("counter", ServiceProcess.counterEnv())) {
            Http first = new Http(a.uri("/"));
            Http second = new Http(b.uri("/"));
            Http.Reply hello = first.get("/counter");
            assertEquals(200, hello.status());
            assertEquals("text/plain; charset=utf-8", hello.header("Content-Type"));
            long before = hits(hello.body());

            int clients = 16;
            int perClient = 125;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<Integer>> done = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                Http target = i % 2 == 0 ? first : second;
                done.add(pool.submit(() -> {
                    int ok = 0;
                    for (int j = 0; j < perClient; j++) {
                        ok += target.get("/counter").status() == 200 ? 1 : 0;
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> f : done) {
                ok += f.get();
            }
            pool.shutdown();
            assertEquals(clients * perClient, ok);
            long after = hits(second.get("/counter").body());
            assertEquals(before + clients * perClient + 1, after, "every hit counted exactly once");
        }
    }

    @Test
    void healthFollowsRedisAndTheCounterSurvivesARestart() throws Exception {
        try (RedisServer redis = RedisServer.start(RunAs.tempDir("redis"), Ports.free(), null,
                "--appendonly", "yes", "--appendfsync", "always");
             ServiceProcess counter = ServiceProcess.ready("counter", Map.of(
                     "REDIS_HOST", "127.0.0.1", "REDIS_PORT", Integer.toString(redis.port())))) {
            Http http = new Http(counter.uri("/"));
            assertEquals("{\"status\":\"UP\"}", http.get("/counter/health").body());
            for (int i = 0; i < 10; i++) {
                http.get("/counter");
            }
            assertEquals(11, hits(http.get("/counter").body()));

            redis.process().kill();
            Http.Reply down = http.get("/counter");
            assertEquals(503, down.status());
            assertEquals("redis unavailable, retry later", down.json().get("error").asText());
            assertEquals(503, http.get("/counter/health").status());
            assertEquals(200, counter.status("/readyz"), "ready while Redis is down: it answers the 503 itself");

            redis.start();
            assertEquals(12, hits(http.get("/counter").body()), "continues from the persisted value");
            assertEquals("{\"status\":\"UP\"}", http.get("/counter/health").body());
        }
    }

    @Test
    void aFrozenRedisIsA503WithinSecondsAndTheInstanceAnswersMeanwhile() throws Exception {
        try (RedisServer redis = RedisServer.start(RunAs.tempDir("redis"), Ports.free(), null);
             ServiceProcess counter = ServiceProcess.ready("counter", Map.of(
                     "REDIS_HOST", "127.0.0.1", "REDIS_PORT", Integer.toString(redis.port())))) {
            Http http = new Http(counter.uri("/"));
            long before = hits(http.get("/counter").body());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            redis.process().signal("STOP");
            try {
                long start = System.nanoTime();
                List<Future<Http.Reply>> waiting = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    waiting.add(pool.submit(() -> http.get("/counter")));
                }
                // The hits wait on one connection and no thread waits with them: the instance answers the rest.
                for (int i = 0; i < 5; i++) {
                    long asked = System.nanoTime();
                    assertEquals(200, http.get("/healthz").status());
                    assertTrue(System.nanoTime() - asked < 1_000_000_000L, "/healthz answered within 1 s");
                }
                for (Future<Http.Reply> hit : waiting) {
                    Http.Reply reply = hit.get();
                    assertEquals(503, reply.status(), reply.body());
                    assertEquals("redis unavailable, retry later", reply.json().get("error").asText());
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                // Three tries: no reply within the 2 s read timeout (seen within a quarter of it), then two connects
                // that Redis's kernel accepts and whose handshake gets no reply within the 1 s connect timeout.
                assertTrue(seconds < 6, "the hits failed after " + seconds + " s");
            } finally {
                redis.process().signal("CONT");
                pool.shutdown();
            }
            long after = hits(http.get("/counter").body());
            // The frozen tries may have run once Redis went on (their bytes were in its socket): at least once.
            assertTrue(after > before, before + " then " + after);
        }
    }

    static long hits(String body) {
        Matcher m = HIT.matcher(body);
        assertTrue(m.matches(), body);
        return Long.parseLong(m.group(1));
    }
}
