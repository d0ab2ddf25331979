package dev.todoplatform.service.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;

/**
 * Read-your-writes behind PgPool's read/write split, across requests, instances and connections.
 *
 * <p>PgPool pins each session to one read node. Before a read, the fence asks the primary for its current WAL
 * position (a query PgPool must not load-balance) and waits until the session's read node has replayed that far.
 * Every write acknowledged before the read started is then visible on that node. A session whose read node is
 * the primary itself skips the fence from then on (a failover ends the session, so this cannot go stale).
 * If a standby lags past the timeout, the read goes to the primary instead: never stale, never unavailable.
 */
public final class ReadFence {
    /** Prefix that makes PgPool send a statement to the primary instead of the session's read node. */
    public static final String ON_PRIMARY = "/*NO LOAD BALANCE*/ ";
    static final String PRIMARY_LSN = ON_PRIMARY + "SELECT pg_current_wal_lsn()::text";
    static final String READ_NODE = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text";

    private final long timeoutNanos;
    private final Set<Object> primaryReaders = Collections.synchronizedSet(
            Collections.newSetFromMap(new WeakHashMap<>()));

    public ReadFence(long timeoutMillis) {
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    /** True when the read may run on the connection's read node; false when it must go to the primary. */
    public boolean await(Connection connection) throws SQLException {
        Object session = connection.unwrap(PGConnection.class);
        if (primaryReaders.contains(session)) {
            return true;
        }
        long target;
        try (PreparedStatement st = connection.prepareStatement(PRIMARY_LSN); ResultSet rs = st.executeQuery()) {
            rs.next();
            target = lsn(rs.getString(1));
        }
        long deadline = System.nanoTime() + timeoutNanos;
        try (PreparedStatement st = connection.prepareStatement(READ_NODE)) {
            for (int polls = 0; ; polls++) {
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        primaryReaders.add(session);
                        return true;
                    }
                    String replayed = rs.getString(2);
                    if (replayed != null && lsn(replayed) >= target) {
                        return true;
                    }
                }
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                LockSupport.parkNanos(polls < 20 ? 100_000 : 1_000_000);
            }
        }
    }

    /** "16/B374D848" to a comparable number. */
    static long lsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}
