package dev.todoplatform.service;

import dev.todoplatform.daemons.Ports;
import dev.todoplatform.daemons.PostgresServer;
import dev.todoplatform.daemons.RedisServer;
import dev.todoplatform.daemons.RunAs;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real PostgreSQL and one real Redis for the whole test run, on free ports, stopped by PID when the run ends.
 * Each test class gets its own database, so classes cannot see each other's rows.
 */
public final class Backends implements BeforeAllCallback, ExtensionContext.Store.CloseableResource {
    public static final String DB_USER = "todo";
    public static final String DB_PASSWORD = "test-only-password";
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static Backends instance;

    private PostgresServer postgres;
    private RedisServer redis;

    @Override
    public synchronized void beforeAll(ExtensionContext context) throws Exception {
        if (instance == null) {
            Path dir = RunAs.tempDir("todo-backends");
            postgres = PostgresServer.start(dir.resolve("pg"), Ports.free());
            redis = RedisServer.start(dir.resolve("redis"), Ports.free(), null, "--appendonly", "yes");
            postgres.createDatabase("seed", DB_USER, DB_PASSWORD);
            instance = this;
            context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).put(Backends.class, this);
        }
    }

    public static PostgresServer postgres() {
        return instance.postgres;
    }

    public static RedisServer redis() {
        return instance.redis;
    }

    /** A fresh, empty database owned by the service's user; returns its JDBC URL. */
    public static String newDatabase() throws SQLException {
        String name = "todo_" + DATABASES.incrementAndGet();
        try (var c = instance.postgres.superuser("postgres"); var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name + " OWNER " + DB_USER);
        }
        return instance.postgres.jdbcUrl(name);
    }

    @Override
    public void close() {
        if (redis != null) {
            redis.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }
}
