package dev.todoplatform.service.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.mockingDetails;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.todoplatform.daemons.Poll;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * The read fence's decisions against a connection whose read node lags exactly as a test needs (a real standby
 * cannot be made to lag by a given amount on demand; the failover and read-your-writes system tests run it for
 * real): wait until the read node has replayed the primary's position, fall back to the primary past the timeout,
 * and stop fencing a session whose read node is the primary.
 */
class ReadFenceTest {
    private final Connection connection = mock(Connection.class);
    private final PreparedStatement primary = mock(PreparedStatement.class);
    private final PreparedStatement readNode = mock(PreparedStatement.class);

    ReadFenceTest() throws Exception {
        when(connection.unwrap(PGConnection.class)).thenReturn(mock(PGConnection.class));
        when(connection.prepareStatement(ReadFence.PRIMARY_LSN)).thenReturn(primary);
        when(connection.prepareStatement(ReadFence.READ_NODE)).thenReturn(readNode);
        ResultSet lsn = position("0/3000000");
        when(primary.executeQuery()).thenReturn(lsn);
    }

    @Test
    void aStandbyThatCatchesUpServesTheRead() throws Exception {
        ResultSet behind = row(true, "0/2FFFFFF");
        ResultSet caughtUp = row(true, "0/3000000");
        when(readNode.executeQuery()).thenReturn(behind, behind, caughtUp);
        ReadFence fence = new ReadFence(500, 0);
        assertEquals(ReadFence.Route.REPLAYED, fence.route(connection, fence.primaryPosition(() -> connection, System.nanoTime())),
                "a standby's result stands for the position");
        verify(readNode, times(3)).executeQuery();
    }

    @Test
    void aStandbyStillBehindAtTheTimeoutSendsTheReadToThePrimary() throws Exception {
        ResultSet behind = row(true, "0/1000000");
        when(readNode.executeQuery()).thenReturn(behind);
        ReadFence fence = new ReadFence(20, 0);
        assertEquals(ReadFence.Route.SEND_TO_PRIMARY, fence.route(connection, fence.primaryPosition(() -> connection, System.nanoTime())),
                "never a stale read");
    }

    @Test
    void aSessionReadingFromThePrimaryIsNotFencedAgain() throws Exception {
        ResultSet onPrimary = row(false, null);
        when(readNode.executeQuery()).thenReturn(onPrimary);
        ReadFence fence = new ReadFence(500, 0);
        assertEquals(ReadFence.Route.PRIMARY_NODE, readRoute(fence, connection));
        assertEquals(ReadFence.Route.PRIMARY_NODE, readRoute(fence, connection));
        verify(readNode, times(1)).executeQuery();
        // A commit below the position may still wait for its standby, invisible on the primary: not a result for it.
        assertEquals(ReadFence.Route.PRIMARY_NODE, fence.route(connection, new ReadFence.Position(1, 0x3000000L)));
    }

    /** A position looked up before a read began cannot serve it: a later write might be missed. */
    @Test
    void aLookupIssuedBeforeAReadBeganIsNotReused() throws Exception {
        when(readNode.executeQuery()).thenAnswer(i -> row(true, "0/3000000"));
        ReadFence fence = new ReadFence(500, 0);
        assertEquals(ReadFence.Route.REPLAYED, readRoute(fence, connection));
        Connection other = session();
        assertEquals(ReadFence.Route.REPLAYED, readRoute(fence, other));
        verify(connection, times(1)).prepareStatement(ReadFence.PRIMARY_LSN);
        verify(other, times(1)).prepareStatement(ReadFence.PRIMARY_LSN);
    }

    /** Reads that began before a lookup was issued share it: one primary round trip for all of them. */
    @Test
    void readsThatBeganBeforeALookupShareIt() throws Exception {
        CountDownLatch sent = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        holdPrimaryLookup(sent, answer);
        ReadFence fence = new ReadFence(2_000, 0);
        long began = System.nanoTime(); // the second read began before the first one's lookup is issued
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<ReadFence.Position> first = pool.submit(() -> fence.primaryPosition(() -> connection, System.nanoTime()));
            sent.await();
            // It issues no lookup and takes no connection: with the list kept, it needs none at all.
            Future<ReadFence.Position> second = pool.submit(() -> fence.primaryPosition(() -> {
                throw new AssertionError("a read that joins a lookup took a connection");
            }, began));
            answer.countDown();
            assertEquals(new ReadFence.Position(1, 0x3000000L), first.get(5, TimeUnit.SECONDS));
            assertEquals(new ReadFence.Position(1, 0x3000000L), second.get(5, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * One lookup in flight at a time: reads that began after the lookup in flight was issued cannot use it; they
     * wait for it, and then one new lookup serves them all.
     */
    @Test
    void readsThatBeganDuringALookupShareTheNextOne() throws Exception {
        CountDownLatch sent = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        holdPrimaryLookup(sent, answer);
        ReadFence fence = new ReadFence(5_000, 0);
        Connection[] later = {session(), session(), session()};
        List<Thread> threads = new ArrayList<>();
        ExecutorService pool = pool(4, threads);
        try {
            Future<ReadFence.Position> first = pool.submit(() -> fence.primaryPosition(() -> connection, System.nanoTime()));
            sent.await();
            List<Future<ReadFence.Position>> waiting = new ArrayList<>();
            for (Connection c : later) {
                waiting.add(pool.submit(() -> fence.primaryPosition(() -> c, System.nanoTime())));
            }
            Poll.until(Duration.ofSeconds(5), "every later read waiting for the lookup in flight", () ->
                    threads.size() == 4 && threads.stream().allMatch(t -> t.getState() == Thread.State.TIMED_WAITING
                            || t.getState() == Thread.State.WAITING));
            answer.countDown();
            first.get(5, TimeUnit.SECONDS);
            for (Future<ReadFence.Position> f : waiting) {
                assertEquals(new ReadFence.Position(1, 0x3000000L), f.get(5, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        int lookups = 0;
        for (Connection c : later) {
            lookups += mockingDetails(c).getInvocations().stream()
                    .filter(i -> ReadFence.PRIMARY_LSN.equals(i.getArguments().length > 0 ? i.getArguments()[0] : null)).count();
        }
        assertEquals(1, lookups, "one lookup for the three reads that waited");
    }

    /**
     * While lookups are shared, they are a spacing apart: a read that needs a new lookup sooner waits until then,
     * and the reads that begin meanwhile join that lookup instead of each waiting for the next.
     */
    @Test
    void sharedLookupsAreASpacingApartAndServeTheReadsThatBeganMeanwhile() throws Exception {
        long spacingNanos = TimeUnit.MILLISECONDS.toNanos(300);
        ReadFence fence = new ReadFence(5_000, TimeUnit.NANOSECONDS.toMicros(spacingNanos));
        long firstIssued = System.nanoTime();
        fence.primaryPosition(() -> connection, firstIssued);
        fence.primaryPosition(() -> {
            throw new AssertionError("a read that began before the lookup was issued issued its own");
        }, firstIssued - 1); // shared: the next lookup is spaced
        List<Thread> threads = new ArrayList<>();
        ExecutorService pool = pool(2, threads);
        try {
            Future<Long> second = pool.submit(() -> {
                fence.primaryPosition(() -> connection, System.nanoTime());
                return System.nanoTime();
            });
            Poll.until(Duration.ofSeconds(5), "the second read waiting for its lookup's time", () ->
                    threads.size() == 1 && threads.get(0).getState() == Thread.State.TIMED_WAITING);
            Future<ReadFence.Position> third = pool.submit(() -> fence.primaryPosition(() -> {
                throw new AssertionError("a read that began before the next lookup's time issued its own");
            }, System.nanoTime()));
            assertTrue(second.get(5, TimeUnit.SECONDS) - firstIssued >= spacingNanos, "the second lookup waited");
            assertEquals(new ReadFence.Position(1, 0x3000000L), third.get(5, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        verify(connection, times(2)).prepareStatement(ReadFence.PRIMARY_LSN);
    }

    /**
     * A request waits for its position without a thread (joinable): it joins the lookup in flight if that was
     * issued after it began, and else the next one, which the fence's lookup thread issues once the one in flight
     * is done, on a connection it gives back.
     */
    @Test
    void aRequestWaitsForItsPositionWithoutAThread() throws Exception {
        ReadFence fence = new ReadFence(5_000, 0);
        Connection first = session();
        assertEquals(new ReadFence.Position(1, 0x3000000L),
                fence.joinable(System.nanoTime(), () -> first).get(5, TimeUnit.SECONDS), "the first lookup, at once");
        verify(first).close();

        CountDownLatch sent = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        holdPrimaryLookup(sent, answer);
        long began = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            Future<ReadFence.Position> issuer = pool.submit(() -> fence.primaryPosition(() -> connection, System.nanoTime()));
            sent.await();
            CompletableFuture<ReadFence.Position> joined = fence.joinable(began, () -> {
                throw new AssertionError("a request that joins the lookup in flight made one");
            });
            Connection later = session();
            CompletableFuture<ReadFence.Position> next = fence.joinable(System.nanoTime(), () -> later);
            assertFalse(joined.isDone() || next.isDone(), "answered before the lookup in flight was");
            verify(later, times(0)).prepareStatement(ReadFence.PRIMARY_LSN); // one in flight at a time
            answer.countDown();
            assertEquals(issuer.get(5, TimeUnit.SECONDS), joined.get(5, TimeUnit.SECONDS));
            assertEquals(new ReadFence.Position(1, 0x3000000L), next.get(5, TimeUnit.SECONDS));
            verify(later, times(1)).prepareStatement(ReadFence.PRIMARY_LSN);
            verify(later).close();
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * While a lookup waits for its spacing, every request that comes joins it, however late the lookup thread
     * sends it: a request made a lookup of its own whenever the planned time had passed, and under load the lookup
     * thread fell behind an ever longer queue of them (PgPool and PostgreSQL did three times the work per list).
     */
    @Test
    void requestsWhileALookupWaitsToBeSentAllJoinIt() throws Exception {
        CountDownLatch sent = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        holdPrimaryLookup(sent, answer);
        long spacingNanos = TimeUnit.MILLISECONDS.toNanos(50);
        ReadFence fence = new ReadFence(5_000, TimeUnit.NANOSECONDS.toMicros(spacingNanos));
        long began = System.nanoTime();
        CompletableFuture<ReadFence.Position> first = fence.joinable(began, () -> connection);
        sent.await(); // the lookup thread is busy with it until answer
        fence.joinable(began, () -> {
            throw new AssertionError("a request that began before the lookup was sent made one");
        }); // shared: the next lookup is spaced
        List<Connection> used = new ArrayList<>();
        CompletableFuture<ReadFence.Position> next = fence.joinable(System.nanoTime(), () -> {
            Connection c = newSession();
            used.add(c);
            return c;
        });
        Poll.until(Duration.ofSeconds(5), "the next lookup's planned time passed",
                () -> System.nanoTime() - began > 2 * spacingNanos);
        for (int i = 0; i < 20; i++) {
            assertSame(next, fence.joinable(System.nanoTime(), () -> {
                throw new AssertionError("a request made a lookup while one waited to be sent");
            }));
        }
        answer.countDown();
        assertEquals(first.get(5, TimeUnit.SECONDS), next.get(5, TimeUnit.SECONDS));
        assertEquals(1, used.size());
    }

    /**
     * A lookup that hangs (a failover) fails for the requests waiting for it without a thread once it is past the
     * timeout, rather than at its issuer's socket timeout: the next request that comes finds it so, and it and
     * they then read on threads of their own.
     */
    @Test
    void aHungLookupFailsForTheRequestsWaitingForIt() throws Exception {
        CountDownLatch sent = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        holdPrimaryLookup(sent, answer);
        ReadFence fence = new ReadFence(200, 0);
        long began = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            pool.submit(() -> fence.primaryPosition(() -> connection, System.nanoTime()));
            sent.await();
            long sentAt = System.nanoTime();
            CompletableFuture<ReadFence.Position> joined = fence.joinable(began, () -> {
                throw new AssertionError("a request that joins the lookup in flight made one");
            });
            Poll.until(Duration.ofSeconds(5), "the lookup past the timeout",
                    () -> System.nanoTime() - sentAt > TimeUnit.MILLISECONDS.toNanos(250));
            assertFalse(joined.isDone());
            assertNull(fence.joinable(System.nanoTime(), () -> {
                throw new AssertionError("a lookup was queued behind one that hangs");
            }));
            ExecutionException failed = assertThrows(ExecutionException.class, () -> joined.get(5, TimeUnit.SECONDS));
            assertInstanceOf(TimeoutException.class, failed.getCause());
        } finally {
            answer.countDown();
            pool.shutdownNow();
        }
    }

    /** A lone client's reads, each served by its own lookup, never wait for the spacing. */
    @Test
    void aLookupNobodyJoinedIsFollowedAtOnce() throws Exception {
        long spacingNanos = TimeUnit.SECONDS.toNanos(10);
        ReadFence fence = new ReadFence(5_000, TimeUnit.NANOSECONDS.toMicros(spacingNanos));
        long start = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            fence.primaryPosition(() -> connection, System.nanoTime());
        }
        assertTrue(System.nanoTime() - start < spacingNanos, "a read waited for a spacing");
        verify(connection, times(3)).prepareStatement(ReadFence.PRIMARY_LSN);
    }

    /** A session whose read node has already replayed past the position needs no replay check. */
    @Test
    void aSessionAlreadyPastThePositionIsNotPolledAgain() throws Exception {
        when(readNode.executeQuery()).thenAnswer(i -> row(true, "0/4000000"));
        ReadFence fence = new ReadFence(500, 0);
        assertEquals(ReadFence.Route.REPLAYED, readRoute(fence, connection));
        assertEquals(ReadFence.Route.REPLAYED, readRoute(fence, connection));
        verify(readNode, times(1)).executeQuery();
        verify(connection, times(2)).prepareStatement(ReadFence.PRIMARY_LSN);
    }

    /** A pool whose threads are added to {@code threads}, so a test can see whether one is waiting. */
    private static ExecutorService pool(int size, List<Thread> threads) {
        return Executors.newFixedThreadPool(size, r -> {
            Thread t = new Thread(r);
            threads.add(t);
            return t;
        });
    }

    /** The first connection's lookup counts down {@code sent}, then answers once {@code answer} is counted down. */
    private void holdPrimaryLookup(CountDownLatch sent, CountDownLatch answer) throws Exception {
        ResultSet position = position("0/3000000");
        when(primary.executeQuery()).thenAnswer(i -> {
            sent.countDown();
            answer.await();
            return position;
        });
    }

    private Connection newSession() {
        try {
            return session();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Connection session() throws Exception {
        Connection c = mock(Connection.class);
        when(c.unwrap(PGConnection.class)).thenReturn(mock(PGConnection.class));
        PreparedStatement p = mock(PreparedStatement.class);
        ResultSet lsn = position("0/3000000");
        when(p.executeQuery()).thenReturn(lsn);
        when(c.prepareStatement(ReadFence.PRIMARY_LSN)).thenReturn(p);
        when(c.prepareStatement(ReadFence.READ_NODE)).thenReturn(readNode);
        return c;
    }

    /** The primary's answer: its position, on timeline 1. */
    private static ResultSet position(String lsn) throws Exception {
        ResultSet rs = mock(ResultSet.class);
        when(rs.next()).thenReturn(true);
        when(rs.getString(1)).thenReturn(lsn);
        when(rs.getString(2)).thenReturn("00000001");
        return rs;
    }

    private static ResultSet row(boolean inRecovery, String lsn) throws Exception {
        ResultSet rs = mock(ResultSet.class);
        when(rs.next()).thenReturn(true);
        when(rs.getBoolean(1)).thenReturn(inRecovery);
        when(rs.getString(1)).thenReturn(lsn);
        when(rs.getString(2)).thenReturn(lsn);
        return rs;
    }

    /** Where a read that begins now goes, as the repository asks: the position first, then the route. */
    private static ReadFence.Route readRoute(ReadFence fence, Connection session) throws SQLException {
        return fence.route(session, fence.primaryPosition(() -> session, System.nanoTime()));
    }
}
