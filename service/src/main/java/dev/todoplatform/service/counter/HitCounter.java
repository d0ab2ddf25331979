package dev.todoplatform.service.counter;

import dev.todoplatform.service.Settings;
import dev.todoplatform.service.http.HttpError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The hit count in Redis: one atomic INCR per hit, so concurrent hits from any number of instances add up exactly.
 * After a Redis restart the pooled connections are dead; an INCR that fails on one is retried on a fresh one.
 */
public final class HitCounter implements AutoCloseable {
    static final String KEY = "hits";
    private static final int ATTEMPTS = 3;

    private final HostAndPort address;
    private final JedisClientConfig client;
    private final JedisPool pool;
    private final Counter retries;

    public HitCounter(Settings.RedisAccess settings, MeterRegistry registry) {
        this.address = new HostAndPort(settings.host(), settings.port());
        this.client = DefaultJedisClientConfig.builder()
                .password(settings.password())
                .connectionTimeoutMillis(1_000)
                .socketTimeoutMillis(2_000)
                .clientName("counter")
                .build();
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(settings.poolSize());
        config.setMaxIdle(settings.poolSize());
        config.setMinIdle(0);
        config.setMaxWait(Duration.ofSeconds(2));
        config.setJmxEnabled(false);
        this.pool = new JedisPool(config, address, client);
        this.retries = Counter.builder("redis.command.retries").description("INCRs retried on a fresh connection")
                .register(registry);
        Gauge.builder("redis.pool.active", pool, JedisPool::getNumActive).register(registry);
        Gauge.builder("redis.pool.idle", pool, JedisPool::getNumIdle).register(registry);
        Gauge.builder("redis.pool.waiters", pool, JedisPool::getNumWaiters).register(registry);
    }

    public long increment() {
        for (int attempt = 1; ; attempt++) {
            try (Jedis jedis = pool.getResource()) {
                return jedis.incr(KEY);
            } catch (JedisConnectionException e) {
                if (attempt == ATTEMPTS) {
                    throw new HttpError(503, "redis unavailable, retry later");
                }
                // The rest of the idle connections died with the same server: drop them too.
                pool.clear();
                retries.increment();
            }
        }
    }

    /** GET /counter/health: a fresh connection answers PING within about a second. */
    public boolean answers() {
        try (Jedis jedis = new Jedis(address, client)) {
            return "PONG".equals(jedis.ping());
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
