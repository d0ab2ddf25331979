package dev.todoplatform.service.counter;

import dev.todoplatform.service.http.Router;

/** Mode `counter`: GET /counter and GET /counter/health. */
public final class CounterApp {
    private final HitCounter counter;

    public CounterApp(HitCounter counter) {
        this.counter = counter;
    }

    public void register(Router router) {
        router.route("GET", "/counter", ex -> ex.text(200, "Holla! we have hit " + counter.increment() + " times"))
                .route("GET", "/counter/health", ex -> ex.health(counter.answers()));
    }
}
