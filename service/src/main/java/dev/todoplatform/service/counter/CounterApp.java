package dev.todoplatform.service.counter;

import dev.todoplatform.service.http.Router;
import java.util.Map;

/** Mode `counter`: GET /counter and GET /counter/health. */
public final class CounterApp {
    private final HitCounter counter;

    public CounterApp(HitCounter counter) {
        this.counter = counter;
    }

    public void register(Router router) {
        router.route("GET", "/counter", ex -> ex.text(200, "Holla! we have hit " + counter.increment() + " times"))
                .route("GET", "/counter/health", ex -> {
                    boolean up = counter.answers();
                    ex.json(up ? 200 : 503, Map.of("status", up ? "UP" : "DOWN"));
                });
    }
}
