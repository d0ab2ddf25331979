package dev.todoplatform.service.db;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Opens the pool's connections, trying again every 50 ms for up to two seconds when an attempt fails. HikariCP
 * doubles its pause after each failed attempt (10 ms up to 5 s), so after a failover the pool could stay empty
 * for seconds after PgPool is back; retried here, the first attempt after the failover succeeds.
 */
final class Connector implements DataSource {
    static final long RETRY_EVERY_MILLIS = 50;
    static final long RETRY_FOR_MILLIS = 2_000;

    private final String url;
    private final Properties properties;

    Connector(String url, Properties properties) {
        this.url = url;
        this.properties = properties;
    }

    @Override
    public Connection getConnection() throws SQLException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_FOR_MILLIS);
        while (true) {
            try {
                return DriverManager.getConnection(url, properties);
            } catch (SQLException e) {
                if (System.nanoTime() - deadline > 0 || !Retry.isTransient(e)) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(RETRY_EVERY_MILLIS));
            }
        }
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("credentials come from the service's settings");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return false;
    }
}
