package dev.todoplatform.service.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;

/**
 * Read-your-writes behind PgPool's read/write split, across requests, instances and connections.
 *
 * <p>PgPool pins each session to one read node. Before a read, the fence needs the primary's WAL position read
 * after the request began (every write acknowledged before then is at or below it), and waits until the session's
 * read node has replayed that far. Two things keep that cheap under load without weakening it:
 * <ul>
 * <li>one position lookup serves every request that began before it was issued: a request joins a lookup in
 * flight or just done if that lookup was issued after the request began, and issues its own otherwise;</li>
 * <li>a session remembers how far its read node had replayed (replay only moves forward, and a failover ends the
 * session), so a read whose position is already behind that needs no replay check.</li>
 * </ul>
 * A session whose read node is the primary itself skips the fence from then on. If a standby lags past the
 * timeout, the read goes to the primary instead: never stale, never unavailable.
 */
public final class ReadFence {
    /** Prefix that makes PgPool send a statement to the primary instead of the session's read node. */
    public static final String ON_PRIMARY = "/*NO LOAD BALANCE*/ ";
    static final String PRIMARY_LSN = ON_PRIMARY + "SELECT pg_current_wal_lsn()::text";
    static final String READ_NODE = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text";

    /** A position lookup: when it was issued (before its query was sent), and its answer. */
    private record Lookup(long issuedNanos, CompletableFuture<Long> position) {
    }

    private final long timeoutNanos;
    private final AtomicReference<Lookup> latest = new AtomicReference<>();
    private final Set<Object> primaryReaders = Collections.synchronizedSet(
            Collections.newSetFromMap(new WeakHashMap<>()));
    private final Map<Object, Long> replayed = Collections.synchronizedMap(new WeakHashMap<>());

    public ReadFence(long timeoutMillis) {
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    /** True when the read may run on the connection's read node; false when it must go to the primary. */
    public boolean await(Connection connection) throws SQLException {
        long began = System.nanoTime();
        Object session = connection.unwrap(PGConnection.class);
        if (primaryReaders.contains(session)) {
            return true;
        }
        long target = primaryPosition(connection, began);
        Long known = replayed.get(session);
        if (known != null && known >= target) {
            return true;
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
                    String position = rs.getString(2);
                    if (position != null) {
                        long at = lsn(position);
                        replayed.merge(session, at, Math::max);
                        if (at >= target) {
                            return true;
                        }
                    }
                }
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                LockSupport.parkNanos(polls < 20 ? 100_000 : 1_000_000);
            }
        }
    }

    /**
     * The primary's WAL position, read after {@code began}: the latest lookup if it was issued after then (waiting
     * for it if it is in flight), else a new one on this connection.
     */
    long primaryPosition(Connection connection, long began) throws SQLException {
        Lookup last = latest.get();
        if (last != null && last.issuedNanos() - began >= 0) {
            try {
                return last.position().get(timeoutNanos, TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                // that lookup failed or hangs (a failover): look up on this request's own connection
            }
        }
        Lookup mine = new Lookup(System.nanoTime(), new CompletableFuture<>());
        latest.accumulateAndGet(mine, (current, next) ->
                current == null || next.issuedNanos() - current.issuedNanos() > 0 ? next : current);
        try (PreparedStatement st = connection.prepareStatement(PRIMARY_LSN); ResultSet rs = st.executeQuery()) {
            rs.next();
            long position = lsn(rs.getString(1));
            mine.position().complete(position);
            return position;
        } catch (SQLException | RuntimeException e) {
            mine.position().completeExceptionally(e);
            throw e;
        }
    }

    /** "16/B374D848" to a comparable number. */
    static long lsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}
