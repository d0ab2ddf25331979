package dev.todoplatform.service.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.todoplatform.service.Settings;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** The connection pool to PgPool (or PostgreSQL directly), and a pool-independent liveness check for /readyz. */
public final class Database implements AutoCloseable {
    private final Settings.DatabaseAccess settings;
    private final HikariDataSource pool;

    public Database(Settings.DatabaseAccess settings, MeterRegistry registry) {
        this.settings = settings;
        HikariConfig config = new HikariConfig();
        config.setPoolName("db");
        // Every statement here takes milliseconds; one that waits 3 s is on a connection PgPool left hanging in a
        // failover, and is better retried (creates are idempotent) than waited on.
        Properties connect = driverProperties(3);
        connect.setProperty("user", settings.user());
        connect.setProperty("password", settings.password());
        config.setDataSource(new Connector(settings.url(), connect));
        config.setMaximumPoolSize(settings.poolSize());
        config.setMinimumIdle(settings.poolSize());
        // Fail fast and let the caller's retry loop ride out a failover instead of queueing for 30 s.
        config.setConnectionTimeout(2_000);
        config.setValidationTimeout(1_000);
        config.setKeepaliveTime(30_000);
        // A minute: PgPool picks a session's read node when it opens, so a session opened while no standby was up
        // (the stack starting, a failover) reads on the primary until it ends; within a minute it reads on a standby.
        config.setMaxLifetime(60_000);
        // The pool starts even when the database is not up yet; requests get 503 until it is.
        config.setInitializationFailTimeout(-1);
        if (registry != null) {
            config.setMetricRegistry(registry);
        }
        this.pool = new HikariDataSource(config);
    }

    private static Properties driverProperties(int socketTimeoutSeconds) {
        Properties props = new Properties();
        props.setProperty("ApplicationName", "todo");
        // The stack's PostgreSQL. At 9.0 or more the driver sends the application name in the startup packet, where
        // PgPool reads it to send the session's reads to a standby (pgpool.conf, app_name_redirect_preference_list);
        // below, it sets the name by a statement after connecting, too late for that, and one round trip more.
        props.setProperty("assumeMinServerVersion", "15");
        props.setProperty("connectTimeout", "2");
        props.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        props.setProperty("tcpKeepAlive", "true");
        // PostgreSQL's simple query protocol: one Query message per statement, parameters inlined (escaped) by the
        // driver. Through PgPool a statement in the extended protocol (Parse/Bind/Execute/Sync) cost 2.4 times the
        // CPU: PgPool handles each message and also syncs the session's standby backend (BENCHMARKS.md, "One
        // message per statement"). Every statement here is short and runs once per request.
        props.setProperty("preferQueryMode", "simple");
        return props;
    }

    public Connection connection() throws SQLException {
        return pool.getConnection();
    }

    /** Closes every idle connection now and every busy one when it is returned; new ones replace them. */
    public void evictAll() {
        pool.getHikariPoolMXBean().softEvictConnections();
    }

    /** GET /api/health: a fresh connection and a round trip within about a second, independent of a busy pool. */
    public boolean answers() {
        Properties props = driverProperties(1);
        props.setProperty("user", settings.user());
        props.setProperty("password", settings.password());
        props.setProperty("connectTimeout", "1");
        try (Connection c = DriverManager.getConnection(settings.url(), props)) {
            return c.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
