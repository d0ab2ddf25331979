package dev.todoplatform.service.counter;

import dev.todoplatform.service.Settings;
import dev.todoplatform.service.http.HttpError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hit count in Redis: one atomic INCR per hit, so concurrent hits from any number of instances add up exactly.
 * The INCRs are pipelined on one connection ({@link RedisPipeline}); one that gets no reply because Redis restarted
 * or stopped answering is sent again on a fresh connection, and after three tries the hit is a 503.
 */
public final class HitCounter implements AutoCloseable {
    static final String KEY = "hits";
    private static final Logger LOG = LoggerFactory.getLogger(HitCounter.class);
    private static final long REFUSAL_LOG_INTERVAL_NS = 10_000_000_000L;
    private final AtomicLong lastRefusalLogged = new AtomicLong(System.nanoTime() - REFUSAL_LOG_INTERVAL_NS - 1);

    private final RedisPipeline.Target target;
    private final RedisPipeline redis;

    public HitCounter(Settings.RedisAccess settings, MeterRegistry registry) {
        this.target = new RedisPipeline.Target(settings.host(), settings.port(), settings.password(), "counter",
                1_000, 2_000);
        Counter retries = Counter.builder("redis.command.retries")
                .description("INCRs sent again on a fresh connection").register(registry);
        this.redis = new RedisPipeline(target, settings.maxInFlight(), retries::increment);
        Gauge.builder("redis.commands.in.flight", redis, RedisPipeline::inFlight)
                .description("INCRs sent or waiting for a connection, not yet answered").register(registry);
        Gauge.builder("redis.connected", redis, r -> r.connected() ? 1 : 0).register(registry);
    }

    /**
     * The count after this hit; fails with a 503 HttpError when Redis cannot be reached or refuses the INCR. A
     * refusal (an error reply: out of memory, read-only, a wrong type) will not pass by itself: it is logged, at
     * most every 10 s.
     */
    public CompletableFuture<Long> increment() {
        return redis.integer("INCR", KEY).exceptionally(e -> {
            long now = System.nanoTime();
            long last = lastRefusalLogged.get();
            if (e instanceof RedisPipeline.Unavailable u && u.refused && now - last > REFUSAL_LOG_INTERVAL_NS
                    && lastRefusalLogged.compareAndSet(last, now)) {
                LOG.error("Redis refused INCR {}: {}", KEY, u.getMessage());
            }
            throw new CompletionException(new HttpError(503, "redis unavailable, retry later"));
        });
    }

    /** GET /counter/health: a fresh connection answers PING within about a second. */
    public boolean answers() {
        return RedisPipeline.ping(target);
    }

    @Override
    public void close() {
        redis.close();
    }
}
