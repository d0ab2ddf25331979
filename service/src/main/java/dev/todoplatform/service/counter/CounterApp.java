package dev.todoplatform.service.counter;

import dev.todoplatform.service.http.Router;

/** Mode `counter`: GET /counter and GET /counter/health. */
public final class CounterApp {
    private final HitCounter counter;

    public CounterApp(HitCounter counter) {
        this.counter = counter;
    }

    public void register(Router router) {
        // Answered when Redis replies, by the thread that reads the replies: no request thread waits for it.
        router.routeAsync("GET", "/counter", ex -> ex.complete(counter.increment(),
                        hits -> ex.text(200, "Holla! we have hit " + hits + " times")))
                .route("GET", "/counter/health", ex -> ex.health(counter.answers()));
    }
}
