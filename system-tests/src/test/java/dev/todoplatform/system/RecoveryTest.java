package dev.todoplatform.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.daemons.Poll;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Faults other than a dead primary, each on the prod stack's pods, each with its figures on one line. */
@Order(4)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RecoveryTest {
    private static final Pattern HITS = Pattern.compile("Holla! we have hit (\\d+) times");
    private static PodStack stack;
    private static Client client;

    @BeforeAll
    static void start() {
        stack = PodStack.of("prod");
        client = new Client(stack.url);
    }

    private static String aStandby() {
        String primary = stack.primary();
        return stack.postgresPods().stream().filter(n -> !n.equals(primary)).findFirst().orElseThrow();
    }

    @Test
    @Order(1)
    void readYourWritesAcrossRequestsInstancesAndConnections() throws Exception {
        int misses = readYourWrites(1000);
        System.out.printf("read-your-writes: 1000 cycles, misses %d (all standbys up)%n", misses);
        assertEquals(0, misses);

        // Lists from other clients meanwhile: each list then mostly joins a position lookup already under way, and
        // gets its page from the lists kept at that position, answered by the lookup's thread.
        int missesUnderLists;
        try (Load lists = Load.lists(client, 2)) {
            missesUnderLists = readYourWrites(1000);
            lists.close();
            assertEquals(List.of(), List.copyOf(lists.failures));
            assertTrue(lists.requests.get() > 1000, lists.requests.get() + " lists");
        }
        System.out.printf("read-your-writes: 1000 cycles, misses %d (other clients listing all the while)%n",
                missesUnderLists);
        assertEquals(0, missesUnderLists);

        // A standby crashes (its postgres container killed; the runtime restarts it) during the next cycles.
        String standby = aStandby();
        stack.cluster.kill(standby, "postgres");
        int missesDegraded = readYourWrites(1000);
        System.out.printf("read-your-writes: 1000 cycles, misses %d (%s killed and restarted during them)%n",
                missesDegraded, standby);
        assertEquals(0, missesDegraded);
        stack.awaitBack(standby);
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
        String standby = aStandby();
        long requests;
        List<String> failures;
        try (Load load = new Load(client, 2)) {
            Poll.until(Duration.ofSeconds(20), "load flowing", () -> load.requests.get() > 500);
            stack.cluster.kill(standby, "postgres");
            long after = load.requests.get();
            Poll.until(Duration.ofSeconds(60), "load continues", () -> load.requests.get() > after + 2000);
            Poll.until(PodStack.BACK_OFF, standby + " ready", () -> stack.ready(standby));
            long back = load.requests.get();
            Poll.until(Duration.ofSeconds(60), "load continues", () -> load.requests.get() > back + 1000);
            load.close();
            requests = load.requests.get();
            failures = new ArrayList<>(load.failures);
        }
        System.out.printf("standby killed: %s, requests %d, failed %d%n", standby, requests, failures.size());
        assertEquals(List.of(), failures.stream().distinct().limit(5).toList());
        stack.awaitBack(standby);
    }

    @Test
    @Order(3)
    void aPgPoolContainerKilledRestartsAndServesInsteadOfCrashLooping() {
        String pgpool = stack.cluster.podsOf("Deployment", "pgpool").get(0);
        int before = stack.cluster.restarts(pgpool);
        long start = System.nanoTime();
        // Its pid file (and status file) stay behind on the pod's emptyDir, naming a PID of the old container.
        stack.cluster.kill(pgpool, "pgpool");
        Poll.until(Duration.ofSeconds(30), pgpool + " restarted", () -> stack.cluster.restarts(pgpool) > before);
        Poll.until(Duration.ofSeconds(60), pgpool + " ready again", () -> stack.ready(pgpool));
        double seconds = (System.nanoTime() - start) / 1e9;
        Client.Reply created = client.post("/api/todos", "{\"name\":\"after pgpool restart\"}");
        System.out.printf("pgpool container killed: %s ready again in %.1f s after %d restart(s)%n", pgpool, seconds,
                stack.cluster.restarts(pgpool) - before);
        assertEquals(201, created.status(), created.body());
        assertEquals(1, stack.cluster.restarts(pgpool) - before, "one restart, no crash loop");
        String primary = stack.primary();
        Poll.until(Duration.ofSeconds(30), "pgpool attached every node again",
                () -> stack.postgresPods().stream().allMatch(stack::attached));
        assertEquals(List.of(primary), stack.primaries());
    }

    @Test
    @Order(4)
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
        stack.cluster.kill("redis-0", "redis"); // SIGKILL; the runtime restarts it, on the same volume
        long acknowledgedBeforeCrash = highestAcknowledged.get();
        running.set(false);
        for (Thread t : hitters) {
            t.join(30_000);
        }
        Poll.until(Duration.ofMinutes(1), "redis ready", () -> stack.ready("redis-0"));
        Poll.until(Duration.ofSeconds(30), "the counter answers", () -> client.get("/counter/health").status() == 200);
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
    @Order(5)
    void rollingRestartOfEveryServiceInstanceUnderLoadFailsNoRequest() throws Exception {
        List<String> deployments = List.of("todo", "counter");
        long requests;
        List<String> failures;
        int replaced = 0;
        try (Load load = new Load(client, 2)) {
            Poll.until(Duration.ofSeconds(20), "load flowing", () -> load.requests.get() > 500);
            for (String deployment : deployments) {
                replaced += stack.cluster.podsOf("Deployment", deployment).size();
                // kubectl rollout restart: new pods (maxSurge 1, maxUnavailable 0); old ones drain on SIGTERM.
                stack.cluster.rolloutRestart(deployment, Duration.ofMinutes(5));
                long now = load.requests.get();
                Poll.until(Duration.ofSeconds(30), "load continues", () -> load.requests.get() > now + 200);
            }
            load.close();
            requests = load.requests.get();
            failures = new ArrayList<>(load.failures);
        }
        System.out.printf("rolling restart: %d pods replaced, requests %d, failed %d%n", replaced, requests,
                failures.size());
        assertEquals(List.of(), failures.stream().distinct().limit(5).toList());
    }

    @Test
    @Order(6)
    void hostileInputThroughTheFrontDoorGets4xxAndChangesNothing() throws Exception {
        String before = client.get("/api/todos?limit=1000").body();
        List<HostileRequests.Result> results = HostileRequests.sendAll(stack.url);
        long rejected = results.stream().filter(r -> r.status() >= 400 && r.status() < 500).count();
        System.out.printf("front door: %d hostile requests, %d answered 4xx%n", results.size(), rejected);
        assertTrue(results.size() >= 50, "at least 50 cases");
        assertEquals(List.of(), results.stream().filter(r -> r.status() < 400 || r.status() >= 500)
                .map(r -> r.name() + " answered " + r.status()).toList());
        assertEquals(before, client.get("/api/todos?limit=1000").body(), "data unchanged");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (String deployment : List.of("todo", "counter")) {
            for (String pod : stack.cluster.podsOf("Deployment", deployment)) {
                HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(URI.create("http://" + stack.cluster.podIp(pod)
                        + ":8080/readyz")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                assertEquals(200, ready.statusCode(), pod + " still ready");
            }
        }
    }

    @Test
    @Order(7)
    void aBackendOfThePrimaryKilledGoesThroughTheNodesFencingNotASilentRestartAsPrimary() throws Exception {
        String old = stack.primary();
        int restarts = stack.cluster.restarts(old);
        long fault;
        Writers writers = new Writers(client, 4, "backend-crash");
        try {
            Poll.until(Duration.ofSeconds(30), "writes flowing", () -> writers.acknowledged() >= 100);
            String backend = stack.sql(old, "postgres", "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'");
            fault = System.nanoTime();
            // What an OOM kill of one PostgreSQL process does; the postmaster must not quietly reinitialise as primary.
            stack.cluster.exec(old, "postgres", Duration.ofSeconds(10), "sh", "-c", "kill -KILL " + backend);
            Poll.until(Duration.ofSeconds(60), "writes acknowledged after the crash", () -> writers.acknowledgedAfter(fault) >= 100);
        } finally {
            writers.close();
        }
        Poll.until(PodStack.BACK_OFF, old + " back", () -> stack.ready(old));
        String primary = stack.primary();
        Set<Long> stored = stack.ids(primary);
        long lost = writers.acks.stream().filter(a -> !stored.contains(a.id())).count();
        List<String> primaries = stack.primaries();
        System.out.printf("fault postmaster-crash: unavailable %.2f s, acknowledged %d, lost %d, client errors %d, primaries after %d%n",
                writers.unavailableSeconds(fault), writers.acknowledged(), lost, writers.failures.size(), primaries.size());
        assertTrue(stack.cluster.restarts(old) > restarts, "the container went through its start (and fencing) again");
        assertEquals(1, primaries.size(), "one primary: " + primaries);
        assertEquals(0, lost);
        assertEquals(List.of(), List.copyOf(writers.failures));
        stack.awaitBack(old);
    }

    private static long hits(String body) {
        Matcher m = HITS.matcher(body);
        assertTrue(m.matches(), body);
        return Long.parseLong(m.group(1));
    }
}
