package dev.todoplatform.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void everyPodBecomesReadyAndTheAppWorksThroughTheLoadBalancer(String name) {
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
        } finally {
            if (name.equals("dev")) {
                PodStack.stop("dev"); // prod stays up for the fault tests
            }
        }
    }
}
