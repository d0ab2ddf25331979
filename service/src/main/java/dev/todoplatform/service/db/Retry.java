package dev.todoplatform.service.db;

import dev.todoplatform.service.http.HttpError;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs idempotent database work, retrying through the errors a failover produces (dropped connections,
 * a write landing on a node that just became a standby) until a deadline; then a 503, never a 500.
 */
public final class Retry {
    private static final Logger LOG = LoggerFactory.getLogger(Retry.class);
    private static final Set<String> TRANSIENT_STATES = Set.of(
            "57P01", "57P02", "57P03", // admin/crash shutdown, cannot connect now
            "25006", // read-only transaction: the node we reached is (now) a standby
            "55000", // "recovery is in progress" (pg_current_wal_lsn): the same, for the read fence's lookup
            "40001", "40P01", // serialization failure, deadlock
            "53300"); // too many connections

    /** A unit of work on one connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final Database database;
    private final long budgetNanos;

    public Retry(Database database, long budgetMillis) {
        this.database = database;
        this.budgetNanos = TimeUnit.MILLISECONDS.toNanos(budgetMillis);
    }

    /** A unit of work that takes a connection only if it needs one (a list kept in memory needs none). */
    @FunctionalInterface
    public interface LazyWork<T> {
        T run(Lease lease) throws SQLException;
    }

    /** An attempt's connection, taken from the pool on first use and given back when the attempt ends. */
    public static final class Lease implements AutoCloseable {
        private final Database database;
        private Connection connection;

        private Lease(Database database) {
            this.database = database;
        }

        public Connection connection() throws SQLException {
            if (connection == null) {
                connection = database.connection();
            }
            return connection;
        }

        /** Gives the connection back now; a later {@link #connection()} takes one again. */
        public void release() throws SQLException {
            if (connection != null) {
                Connection held = connection;
                connection = null;
                held.close();
            }
        }

        @Override
        public void close() throws SQLException {
            release();
        }
    }

    /** A pooled connection, with no retry: for work whose failure is handled by those waiting for it. */
    public Connection connection() throws SQLException {
        return database.connection();
    }

    public <T> T run(Work<T> work) {
        return runLazy(lease -> work.run(lease.connection()));
    }

    public <T> T runLazy(LazyWork<T> work) {
        long deadline = System.nanoTime() + budgetNanos;
        for (int attempt = 0; ; attempt++) {
            try (Lease lease = new Lease(database)) {
                return work.run(lease);
            } catch (SQLException e) {
                if (!isTransient(e)) {
                    throw new IllegalStateException("database error " + e.getSQLState(), e);
                }
                if (isConnectionLost(e)) {
                    // PgPool drops every client connection when it fails over: the other pooled ones are dead
                    // too, and finding that out one validation at a time costs up to a second each.
                    database.evictAll();
                }
                if (System.nanoTime() - deadline > 0) {
                    LOG.warn("database unavailable after {} attempts: {} {}", attempt + 1, e.getSQLState(), e.getMessage());
                    throw new HttpError(503, "database unavailable, retry later");
                }
                // 25, 50, then every 100 ms: a failover ends at an unknown moment, and each retry is one cheap
                // connection attempt, so waiting longer only adds to the outage the client sees.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(100, 25L << Math.min(attempt, 2))));
            }
        }
    }

    /**
     * The connection itself is gone (not just this statement): SQLSTATE class 08, or a FATAL from the server,
     * which ends the session; PgPool reports a backend that died mid-session that way ("unable to read data
     * from DB node", SQLSTATE XX000).
     */
    static boolean isConnectionLost(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PSQLException psql && psql.getServerErrorMessage() != null
                    && "FATAL".equals(psql.getServerErrorMessage().getSeverity())) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                return true;
            }
        }
        return false;
    }

    static boolean isTransient(SQLException e) {
        if (isConnectionLost(e)) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientException || t instanceof SQLException sql && sql.getSQLState() != null
                    && TRANSIENT_STATES.contains(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
