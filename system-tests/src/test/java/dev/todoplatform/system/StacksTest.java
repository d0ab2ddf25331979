package dev.todoplatform.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.pods.Docker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every stack this repository deploys to a cluster comes up as pods from its real stack file (prod at its full
 * replica counts), every pod becomes Ready, and the todo list and the counter work through the LoadBalancer.
 */
@Order(2)
class StacksTest {
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyPodBecomesReadyAndTheAppWorksThroughTheLoadBalancer(String name) throws Exception {
        PodStack stack = PodStack.of(name);
        try {
            assertEquals(stack.cluster.servingPods(), stack.cluster.readyPods(), stack.cluster.status());
            Client client = new Client(stack.url);
            Client.Reply created = client.post("/api/todos", "{\"name\":\"on " + name + "\"}");
            assertEquals(201, created.status(), created.body());
            long id = created.json().get("id").asLong();
            Client.Reply listed = client.get("/api/todos?after=" + (id - 1) + "&limit=1");
            assertEquals(id, listed.json().get(0).get("id").asLong(), listed.body());
            Client.Reply page = client.get("/");
            assertEquals(200, page.status());
            assertTrue(page.body().contains("on " + name), page.body());
            Client.Reply first = client.get("/counter");
            Client.Reply second = client.get("/counter");
            assertTrue(first.body().matches("Holla! we have hit \\d+ times"), first.body());
            long a = Long.parseLong(first.body().replaceAll("\\D", ""));
            long b = Long.parseLong(second.body().replaceAll("\\D", ""));
            assertEquals(a + 1, b);
            assertEquals(1, stack.primaries().size(), "one primary");
            readsGoToTheStandbys(stack, client);
            if (name.equals("dev")) {
                namesResolveAsInACluster(stack);
            }
        } finally {
            if (name.equals("dev")) {
                PodStack.stop("dev"); // prod stays up for the fault tests
            }
        }
    }

    /**
     * PgPool sends the todo service's sessions to a standby for their reads (pgpool.conf), so the primary runs its
     * writes and position lookups only. A session opened before a standby was up reads on the primary until the
     * pool renews it (within a minute, Database): so rounds run until one leaves no plain list read on the primary,
     * and then five more in a row must not either. A round is 8 clients creating and listing 8 times, over many
     * of the instances' sessions; each create moves the position, so the list after it is read again.
     */
    private static void readsGoToTheStandbys(PodStack stack, Client client) throws Exception {
        String primary = stack.primaries().get(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int clean = 0;
        while (clean < 6) {
            String began = stack.sql(primary, "postgres", "SELECT clock_timestamp()");
            List<Callable<Void>> clients = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                clients.add(() -> {
                    for (int i = 0; i < 8; i++) {
                        assertEquals(201, client.post("/api/todos", "{\"name\":\"moves the position\"}").status());
                        assertEquals(200, client.get("/api/todos?limit=1").status());
                    }
                    return null;
                });
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                for (Future<Void> done : pool.invokeAll(clients)) {
                    done.get();
                }
            } finally {
                pool.shutdownNow();
            }
            String onPrimary = stack.sql(primary, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE "
                    + "application_name = 'todo' AND query LIKE 'SELECT id, name%' AND state_change > '" + began + "'");
            if (onPrimary.equals("0")) {
                clean++;
            } else {
                assertTrue(clean == 0 && System.nanoTime() < deadline, onPrimary + " todo sessions read the list on "
                        + "the primary" + (clean > 0 ? ", after " + clean + " rounds where none did" : ", for 120 s"));
            }
        }
    }

    /**
     * The runtime's cluster DNS answers as CoreDNS does: short names through the pod's search domains, a pod's
     * name under its headless Service, a missing name at once (NXDOMAIN), and nothing to a pod cut off from the
     * network (a cut-off node cannot reach CoreDNS either).
     */
    private static void namesResolveAsInACluster(PodStack stack) {
        String pod = stack.cluster.podsOf("Deployment", "pgpool").get(0);
        Duration timeout = Duration.ofSeconds(30);
        Docker.Result service = stack.cluster.exec(pod, "pgpool", timeout, "getent", "hosts", "pgpool");
        assertEquals(0, service.exit(), service.err());
        assertTrue(service.out().matches("(?s)\\d+\\.\\d+\\.\\d+\\.\\d+\\s+pgpool\\..*"), service.out());
        Docker.Result node = stack.cluster.exec(pod, "pgpool", timeout, "getent", "hosts", "postgres-0.postgres-headless");
        assertTrue(node.out().startsWith(stack.cluster.podIp("postgres-0") + " "), node.out());
        long began = System.nanoTime();
        Docker.Result missing = stack.cluster.exec(pod, "pgpool", timeout, "getent", "hosts", "no-such-service");
        double took = (System.nanoTime() - began) / 1e9;
        assertEquals(2, missing.exit(), "getent: not found");
        assertTrue(took < 3, "a missing name fails at once, not after a resolver timeout: " + took + " s");
        stack.cluster.partition(pod, List.of());
        try {
            Docker.Result cut = stack.cluster.exec(pod, "pgpool", timeout, "getent", "hosts", "pgpool");
            assertNotEquals(0, cut.exit(), "a cut-off pod resolved " + cut.out());
        } finally {
            stack.cluster.heal(pod);
        }
    }
}
