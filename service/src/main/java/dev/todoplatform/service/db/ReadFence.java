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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <li>one position lookup serves every request that began before it was sent: a request joins a lookup not
 * yet sent, in flight or just done if that lookup was sent after the request began, and otherwise waits for the one in
 * flight and then joins (or issues) the next: one lookup in flight at a time, and while they are shared, lookups
 * at least a spacing apart, so that under load each serves many requests (back to back, each served fewer than
 * two);</li>
 * <li>a session remembers how far its read node had replayed (replay only moves forward, and a failover ends the
 * session), so a read whose position is already behind that needs no replay check.</li>
 * </ul>
 * A session whose read node is the primary itself skips the fence from then on. If a standby lags past the
 * timeout, the read goes to the primary instead: never stale, never unavailable.
 */
public final class ReadFence {
    /** Prefix that makes PgPool send a statement to the primary instead of the session's read node. */
    public static final String ON_PRIMARY = "/*NO LOAD BALANCE*/ ";
    /** The primary's WAL position and its timeline (the first 8 hex digits of its WAL file's name). */
    static final String PRIMARY_LSN = ON_PRIMARY
            + "SELECT pg_current_wal_lsn()::text, substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)";
    static final String READ_NODE = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text";

    /**
     * A primary's WAL position. Equal positions mean the same database state: a promotion starts a new timeline,
     * so a position of a new primary never equals one of the old (whose last writes it may not have).
     */
    public record Position(long timeline, long lsn) {
    }

    /**
     * A position lookup: when it is to be issued, when its query was sent, its answer, and whether a request other
     * than the one that made it used it.
     */
    private static final class Lookup {
        final long issueNanos;
        final CompletableFuture<Position> position = new CompletableFuture<>();
        final AtomicBoolean joined = new AtomicBoolean();
        private volatile long sentNanos;
        private volatile boolean sent;

        Lookup(long issueNanos) {
            this.issueNanos = issueNanos;
        }

        /**
         * Whether its answer is read after {@code began}: it was sent since, or is not sent yet (it is marked sent
         * before it is sent, so a request that finds it unsent began before the send).
         */
        boolean readAfter(long began) {
            return !sent || sentNanos - began >= 0;
        }

        void markSent() {
            sentNanos = System.nanoTime();
            sent = true;
        }

        /** In flight or waiting to be sent for longer than {@code timeoutNanos}. */
        boolean hangs(long now, long timeoutNanos) {
            return !position.isDone() && now - (sent ? sentNanos : issueNanos) > timeoutNanos;
        }
    }

    private final long timeoutNanos;
    private final long spacingNanos;
    private final AtomicReference<Lookup> latest = new AtomicReference<>();
    /** Issues the lookups that requests waiting without a thread made (joinable); one at a time, as they go. */
    private final ExecutorService lookups = new ThreadPoolExecutor(0, 1, 60, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "position-lookup");
                t.setDaemon(true);
                return t;
            });
    private final Set<Object> primaryReaders = Collections.synchronizedSet(
            Collections.newSetFromMap(new WeakHashMap<>()));
    private final Map<Object, Long> replayed = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * @param timeoutMillis how long a read waits for its read node to replay the position before it goes to the
     *                      primary
     * @param spacingMicros the least time between the issue of two lookups while they are shared: a request that
     *                      needs a new lookup sooner waits for it, and so do all the requests that begin meanwhile
     */
    public ReadFence(long timeoutMillis, long spacingMicros) {
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        this.spacingNanos = TimeUnit.MICROSECONDS.toNanos(spacingMicros);
    }

    /**
     * Where a lookup gets its connection: only the request that issues one needs one; the lookup thread closes
     * (gives back) the one it gets.
     */
    @FunctionalInterface
    public interface ConnectionSource {
        Connection connection() throws SQLException;
    }

    /** Where a read goes, and what its result holds. */
    public enum Route {
        /**
         * To the session's read node, a standby that has replayed the position: the result holds every write up
         * to the position, acknowledged or not yet, so it stands for the position (it may be kept for it).
         */
        REPLAYED,
        /**
         * To the session's read node, the primary itself: the result holds every write acknowledged before the
         * request began, but not one whose commit is already below the position and still waits for its standby's
         * confirmation (invisible on the primary until then), so it does not stand for the position.
         */
        PRIMARY_NODE,
        /** To the primary (the read node lags past the timeout): as {@link #PRIMARY_NODE}. */
        SEND_TO_PRIMARY
    }

    /** Where a read needing the position the caller looked up ({@link #primaryPosition}) goes. */
    public Route route(Connection connection, Position primary) throws SQLException {
        Object session = connection.unwrap(PGConnection.class);
        if (primaryReaders.contains(session)) {
            return Route.PRIMARY_NODE;
        }
        long target = primary.lsn();
        Long known = replayed.get(session);
        if (known != null && known >= target) {
            return Route.REPLAYED;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        try (PreparedStatement st = connection.prepareStatement(READ_NODE)) {
            for (int polls = 0; ; polls++) {
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        primaryReaders.add(session);
                        return Route.PRIMARY_NODE;
                    }
                    String position = rs.getString(2);
                    if (position != null) {
                        long at = lsn(position);
                        replayed.merge(session, at, Math::max);
                        if (at >= target) {
                            return Route.REPLAYED;
                        }
                    }
                }
                if (System.nanoTime() - deadline > 0) {
                    return Route.SEND_TO_PRIMARY;
                }
                LockSupport.parkNanos(polls < 20 ? 100_000 : 1_000_000);
            }
        }
    }

    /**
     * The primary's WAL position read after {@code began}, for a request that waits for it without a thread: the
     * latest lookup if it was sent after then or is not sent yet (waiting for its spacing), else the next one,
     * made now and issued on the fence's lookup thread with a connection from {@code connections} (closed after),
     * once the one in flight is done and as spaced as {@link #primaryPosition} spaces them. Null when the lookup in
     * flight hangs past the timeout (a failover): it then fails for every request that joined it, and this one
     * needs {@link #primaryPosition} on a thread of its own. The answer may be a failure too: the same.
     */
    public CompletableFuture<Position> joinable(long began, ConnectionSource connections) {
        while (true) {
            Lookup last = latest.get();
            long now = System.nanoTime();
            if (last != null && last.hangs(now, timeoutNanos)) {
                last.position.completeExceptionally(new TimeoutException("no primary position within the timeout"));
                return null;
            }
            if (last != null && last.readAfter(began)) {
                if (!last.joined.get()) {
                    last.joined.set(true);
                }
                return last.position;
            }
            Lookup next = new Lookup(nextIssue(last, now));
            if (latest.compareAndSet(last, next)) {
                lookups.execute(() -> issue(next, last, connections));
                return next.position;
            }
        }
    }

    /** The lookup thread's work: {@code next}, after {@code previous} (one in flight at a time) and its spacing. */
    private void issue(Lookup next, Lookup previous, ConnectionSource connections) {
        if (previous != null) {
            try {
                previous.position.get(timeoutNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // it failed or hangs: the next goes on regardless, as a request of primaryPosition's would
            }
        }
        for (long wait; (wait = next.issueNanos - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(wait);
        }
        if (next.position.isDone()) {
            return; // given up on already (it waited past the timeout behind a lookup that hung)
        }
        try (Connection c = connections.connection()) {
            lookUp(next, () -> c);
        } catch (SQLException | RuntimeException e) {
            next.position.completeExceptionally(e); // a no-op if lookUp failed it already
        }
    }

    /**
     * When to issue the lookup after {@code last}: a spacing after it if it served more than the request that made
     * it (requests come faster than lookups: every one that begins until then joins the next), else at once (a lone
     * client waits for nothing).
     */
    private long nextIssue(Lookup last, long now) {
        long spaced = last == null || !last.joined.get() ? now : last.issueNanos + spacingNanos;
        return now - spaced >= 0 ? now : spaced;
    }

    /**
     * The primary's WAL position, read after {@code began}: the latest lookup if it was sent after then or is not
     * sent yet (waiting for it if it is not done), else the next one. One lookup is in flight at a time: a request that needs a
     * newer one waits for the one in flight, then the first such request issues the next for all of them, a
     * spacing after the last while lookups are shared (a lookup each per request in flight cost the database path
     * more than the reads did; back to back, under load, there was still one lookup per 1.6 list requests; spaced
     * always, a lone client waited the spacing on each request). Only a request that
     * issues a lookup takes a connection from {@code connections}.
     */
    public Position primaryPosition(ConnectionSource connections, long began) throws SQLException {
        while (true) {
            Lookup last = latest.get();
            boolean usable = last != null && last.readAfter(began);
            if (usable || (last != null && !last.position.isDone())) {
                try {
                    Position position = last.position.get(timeoutNanos, TimeUnit.NANOSECONDS);
                    if (usable) {
                        if (!last.joined.get()) {
                            last.joined.set(true);
                        }
                        return position;
                    }
                    continue; // it was sent too early for this request: the next one
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted while waiting for the primary's position", e);
                } catch (TimeoutException e) {
                    // It hangs (a failover): requests that joined it without a thread (joinable) stop waiting too.
                    last.position.completeExceptionally(e);
                    break; // look up on this request's own connection
                } catch (ExecutionException e) {
                    break; // that lookup failed: the same
                }
            }
            long issue = nextIssue(last, System.nanoTime());
            Lookup mine = new Lookup(issue);
            if (latest.compareAndSet(last, mine)) {
                for (long wait; (wait = issue - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(wait);
                }
                return lookUp(mine, connections);
            }
        }
        Lookup mine = new Lookup(System.nanoTime());
        latest.accumulateAndGet(mine, (current, next) ->
                current == null || next.issueNanos - current.issueNanos > 0 ? next : current);
        return lookUp(mine, connections);
    }

    private static Position lookUp(Lookup lookup, ConnectionSource connections) throws SQLException {
        try (PreparedStatement st = connections.connection().prepareStatement(PRIMARY_LSN)) {
            lookup.markSent();
            ResultSet rs = st.executeQuery();
            rs.next();
            Position position = new Position(Long.parseLong(rs.getString(2), 16), lsn(rs.getString(1)));
            lookup.position.complete(position);
            return position;
        } catch (SQLException | RuntimeException e) {
            lookup.position.completeExceptionally(e);
            throw e;
        }
    }

    /** "16/B374D848" to a comparable number. */
    static long lsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}
