package dev.todoplatform.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.local.LocalStack;
import dev.todoplatform.local.Poll;
import dev.todoplatform.local.PostgresNode;
import dev.todoplatform.local.RunAs;
import dev.todoplatform.local.ServiceInstance;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Faults other than a dead primary, each on the running local stack, each with its figures on one line. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RecoveryTest {
    private static final Pattern HITS = Pattern.compile("Holla! we have hit (\\d+) times");
    private static LocalStack stack;
    private static Client client;

    @BeforeAll
    static void start() {
        stack = LocalStack.start(Path.of(".."), RunAs.tempDir("recovery"), LocalStack.Options.PROD);
        client = new Client(stack.url());
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static PostgresNode aStandby() {
        PostgresNode primary = stack.primary();
        return stack.nodes().stream().filter(n -> n != primary).findFirst().orElseThrow();
    }

    @Test
    @Order(1)
    void readYourWritesAcrossRequestsInstancesAndConnections() throws Exception {
        int misses = readYourWrites(1000);
        System.out.printf("read-your-writes: 1000 cycles, misses %d (all standbys up)%n", misses);
        assertEquals(0, misses);

        PostgresNode standby = aStandby();
        standby.crash();
        int missesDegraded = readYourWrites(1000);
        System.out.printf("read-your-writes: 1000 cycles, misses %d (%s down)%n", missesDegraded, standby.name());
        assertEquals(0, missesDegraded);
        standby.start();
        standby.awaitReady(Duration.ofMinutes(2));
        Poll.until(Duration.ofSeconds(30), "pgpool attached " + standby.name(), () -> stack.attached(standby));
    }

    /** POST, then a separate GET (a new request: maybe another instance, another connection, another node). */
    private static int readYourWrites(int cycles) {
        int misses = 0;
        for (int i = 0; i < cycles; i++) {
            Client.Reply created = client.post("/api/todos", "{\"name\":\"ryw " + i + "\"}");
            assertEquals(201, created.status(), created.body());
            long id = created.json().get("id").asLong();
            Client.Reply listed = client.get("/api/todos?after=" + (id - 1) + "&limit=1");
            assertEquals(200, listed.status(), listed.body());
            if (listed.json().size() != 1 || listed.json().get(0).get("id").asLong() != id) {
                misses++;
            }
        }
        return misses;
    }

    @Test
    @Order(2)
    void aStandbyDiesAndClientsSeeNoError() throws Exception {
        PostgresNode standby = aStandby();
        long requests;
        List<String> failures;
        try (Load load = new Load(client, 2)) {
            Poll.until(Duration.ofSeconds(20), "load flowing", () -> load.requests.get() > 500);
            standby.crash();
            long after = load.requests.get();
            Poll.until(Duration.ofSeconds(60), "load continues", () -> load.requests.get() > after + 2000);
            standby.start();
            standby.awaitReady(Duration.ofMinutes(2));
            long back = load.requests.get();
            Poll.until(Duration.ofSeconds(60), "load continues", () -> load.requests.get() > back + 1000);
            load.close();
            requests = load.requests.get();
            failures = new ArrayList<>(load.failures);
        }
        System.out.printf("standby killed: %s, requests %d, failed %d%n", standby.name(), requests, failures.size());
        assertEquals(List.of(), failures.stream().distinct().limit(5).toList());
        Poll.until(Duration.ofSeconds(30), "pgpool attached " + standby.name(), () -> stack.attached(standby));
    }

    @Test
    @Order(3)
    void redisCrashesAndTheCounterContinuesFromThePersistedValue() throws Exception {
        AtomicLong highestAcknowledged = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> hitters = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                while (running.get()) {
                    Client.Reply reply = client.get("/counter");
                    if (reply.status() == 200) {
                        highestAcknowledged.accumulateAndGet(hits(reply.body()), Math::max);
                    }
                }
            });
            thread.start();
            hitters.add(thread);
        }
        Poll.until(Duration.ofSeconds(20), "hits flowing", () -> highestAcknowledged.get() > 1000);
        stack.redis().process().kill();
        long acknowledgedBeforeCrash = highestAcknowledged.get();
        running.set(false);
        for (Thread t : hitters) {
            t.join(30_000);
        }
        stack.redis().start();
        Client.Reply next = client.get("/counter");
        assertEquals(200, next.status(), next.body());
        long resumed = hits(next.body());
        long lost = Math.max(0, highestAcknowledged.get() + 1 - resumed);
        System.out.printf("redis restarted: acknowledged %d before the crash, resumed at %d, increments lost %d "
                + "(appendfsync everysec, process crash)%n", highestAcknowledged.get(), resumed, lost);
        assertTrue(acknowledgedBeforeCrash > 1000);
        assertEquals(0, lost);
    }

    @Test
    @Order(4)
    void rollingRestartOfEveryServiceInstanceUnderLoadFailsNoRequest() throws Exception {
        List<ServiceInstance> instances = new ArrayList<>(stack.todos());
        instances.addAll(stack.counters());
        long requests;
        List<String> failures;
        try (Load load = new Load(client, 2)) {
            Poll.until(Duration.ofSeconds(20), "load flowing", () -> load.requests.get() > 500);
            for (ServiceInstance instance : instances) {
                instance.close();                       // SIGTERM: readiness off, drain, exit
                instance.start().awaitReady(Duration.ofSeconds(60));
                long now = load.requests.get();
                Poll.until(Duration.ofSeconds(30), "load continues", () -> load.requests.get() > now + 200);
            }
            load.close();
            requests = load.requests.get();
            failures = new ArrayList<>(load.failures);
        }
        System.out.printf("rolling restart: %d instances, requests %d, failed %d%n", instances.size(), requests,
                failures.size());
        assertEquals(List.of(), failures.stream().distinct().limit(5).toList());
    }

    @Test
    @Order(5)
    void hostileInputThroughTheFrontDoorGets4xxAndChangesNothing() throws Exception {
        String before = client.get("/api/todos?limit=1000").body();
        List<HostileRequests.Result> results = HostileRequests.sendAll(stack.url());
        long rejected = results.stream().filter(r -> r.status() >= 400 && r.status() < 500).count();
        System.out.printf("front door: %d hostile requests, %d answered 4xx%n", results.size(), rejected);
        assertTrue(results.size() >= 50, "at least 50 cases");
        assertEquals(List.of(), results.stream().filter(r -> r.status() < 400 || r.status() >= 500)
                .map(r -> r.name() + " answered " + r.status()).toList());
        assertEquals(before, client.get("/api/todos?limit=1000").body(), "data unchanged");
        for (ServiceInstance instance : stack.todos()) {
            assertEquals(200, instance.status("/readyz"));
        }
        for (ServiceInstance instance : stack.counters()) {
            assertEquals(200, instance.status("/readyz"));
        }
    }

    private static long hits(String body) {
        Matcher m = HITS.matcher(body);
        assertTrue(m.matches(), body);
        return Long.parseLong(m.group(1));
    }
}
