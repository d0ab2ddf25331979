package dev.todoplatform.service;

import java.util.List;

/** Every setting the service reads, grouped by what it configures. Environment variables only. */
public final class Settings {
    private Settings() {
    }

    /** LOG_LEVEL: logging reads it as it starts (JsonLogging); checked here so a typo stops startup too. */
    static String logLevel(Env env) {
        return env.oneOf("LOG_LEVEL", "INFO", List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR"));
    }

    /**
     * PORT, SHUTDOWN_DELAY_MS, SHUTDOWN_TIMEOUT_MS, HTTP_THREADS. Few threads by default: on a busy node every
     * extra runnable thread takes CPU from the proxy and the datastore in front of and behind it (BENCHMARKS.md).
     */
    public record Http(int port, int shutdownDelayMs, int shutdownTimeoutMs, int threads) {
        static Http from(Env env, int defaultThreads) {
            return new Http(
                    env.integer("PORT", 8080, 1, 65535),
                    env.integer("SHUTDOWN_DELAY_MS", 0, 0, 60_000),
                    env.integer("SHUTDOWN_TIMEOUT_MS", 10_000, 0, 120_000),
                    env.integer("HTTP_THREADS", defaultThreads, 8, 1000));
        }
    }

    /** DATABASE_URL, DATABASE_USER, DATABASE_PASSWORD, DATABASE_POOL_SIZE. */
    public record DatabaseAccess(String url, String user, String password, int poolSize) {
        static DatabaseAccess from(Env env) {
            return new DatabaseAccess(
                    env.jdbcUrl("DATABASE_URL"),
                    env.required("DATABASE_USER", "the database user name"),
                    env.required("DATABASE_PASSWORD", "the database password"),
                    env.integer("DATABASE_POOL_SIZE", 10, 1, 200));
        }

        @Override
        public String toString() {
            return "DatabaseAccess[url=" + url + ", user=" + user + ", poolSize=" + poolSize + "]";
        }
    }

    /** REDIS_HOST, REDIS_PORT, REDIS_PASSWORD (optional), REDIS_MAX_IN_FLIGHT. */
    public record RedisAccess(String host, int port, String password, int maxInFlight) {
        static RedisAccess from(Env env) {
            return new RedisAccess(
                    env.required("REDIS_HOST", "the Redis host name"),
                    env.integer("REDIS_PORT", 6379, 1, 65535),
                    env.optional("REDIS_PASSWORD", null),
                    env.integer("REDIS_MAX_IN_FLIGHT", 1024, 1, 100_000));
        }

        @Override
        public String toString() {
            return "RedisAccess[host=" + host + ", port=" + port + ", maxInFlight=" + maxInFlight + "]";
        }
    }
}
