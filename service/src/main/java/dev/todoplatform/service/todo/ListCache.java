package dev.todoplatform.service.todo;

import dev.todoplatform.service.db.ReadFence;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The lists last read, by the primary's position they were read at. A list read at position P on a standby that
 * had replayed P holds every write up to P; a later read whose own position (looked up after it began, {@link
 * ReadFence}) is still P would read the same rows: no write was made in between. So while the database does not
 * change, list reads cost a shared position lookup and no query; any write moves the position and the next read
 * queries again. Only the latest position's lists are kept. A list read on the primary is never kept: a commit
 * already below P that still waits for its synchronous standby is invisible there, and is acknowledged without
 * moving P.
 */
final class ListCache {
    /** Pages kept per position: clients page with any cursor, and a page is small. */
    static final int MAX_PAGES = 64;
    /** How long a request waits for another's read of the same page before it reads for itself. */
    private static final long WAIT_MS = 2_000;

    /** A page as one request read it, and whether it stands for the position (read on a standby that replayed it). */
    record Read(List<Todo> page, boolean standsForPosition) {
    }

    /** One request's read of a page at a position. */
    @FunctionalInterface
    interface Reader {
        Read read() throws SQLException;
    }

    private record Page(long limit, long afterId) {
    }

    /** The pages at one position: kept (done), or being read by one request (in flight); null when not kept. */
    private record Snapshot(ReadFence.Position at, Map<Page, CompletableFuture<List<Todo>>> pages) {
    }

    private final AtomicReference<Snapshot> latest = new AtomicReference<>(new Snapshot(null, Map.of()));

    /**
     * The page at {@code at}: kept, or read once for every request that asks for it meanwhile. The first request
     * reads; the others wait for it instead of each waiting on a standby and querying it (under a mixed load a
     * write moves the position every few milliseconds, and all the requests that share a position lookup miss
     * together). A read that does not stand for the position is not handed on: the others read for themselves.
     */
    List<Todo> read(ReadFence.Position at, long limit, long afterId, Reader reader) throws SQLException {
        Page page = new Page(limit, afterId);
        Map<Page, CompletableFuture<List<Todo>>> pages = snapshot(at).pages();
        CompletableFuture<List<Todo>> mine = new CompletableFuture<>();
        CompletableFuture<List<Todo>> first = pages.size() < MAX_PAGES ? pages.putIfAbsent(page, mine) : mine;
        if (first != null && first != mine) {
            List<Todo> kept = await(first);
            if (kept != null) {
                return kept;
            }
            return reader.read().page();
        }
        try {
            Read read = reader.read();
            List<Todo> kept = read.standsForPosition() ? List.copyOf(read.page()) : null;
            mine.complete(kept);
            return kept != null ? kept : read.page();
        } finally {
            if (mine.getNow(null) == null) {
                mine.complete(null);
                pages.remove(page, mine); // not kept: the next request at this position reads again
            }
        }
    }

    /** The page as kept at {@code at}, or null (not kept, or still being read). */
    List<Todo> get(ReadFence.Position at, long limit, long afterId) {
        Snapshot s = latest.get();
        CompletableFuture<List<Todo>> kept = at.equals(s.at()) ? s.pages().get(new Page(limit, afterId)) : null;
        return kept == null ? null : kept.getNow(null);
    }

    /** Keeps the page as read at {@code at}; returns the instance that later reads at {@code at} will get. */
    List<Todo> put(ReadFence.Position at, long limit, long afterId, List<Todo> page) throws SQLException {
        return read(at, limit, afterId, () -> new Read(page, true));
    }

    private Snapshot snapshot(ReadFence.Position at) {
        return latest.updateAndGet(current -> at.equals(current.at()) ? current : new Snapshot(at, new ConcurrentHashMap<>()));
    }

    private static List<Todo> await(CompletableFuture<List<Todo>> read) {
        try {
            return read.get(WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }
}
