package dev.todoplatform.service.todo;

import dev.todoplatform.service.db.ReadFence;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

    private record Page(long limit, long afterId) {
    }

    private record Snapshot(ReadFence.Position at, Map<Page, List<Todo>> pages) {
    }

    private final AtomicReference<Snapshot> latest = new AtomicReference<>(new Snapshot(null, Map.of()));

    /** The page as read at {@code at}, or null. */
    List<Todo> get(ReadFence.Position at, long limit, long afterId) {
        Snapshot s = latest.get();
        return at.equals(s.at()) ? s.pages().get(new Page(limit, afterId)) : null;
    }

    /** Keeps the page as read at {@code at}; returns the instance that later reads at {@code at} will get. */
    List<Todo> put(ReadFence.Position at, long limit, long afterId, List<Todo> page) {
        Snapshot s = latest.updateAndGet(current -> at.equals(current.at()) ? current : new Snapshot(at, new ConcurrentHashMap<>()));
        List<Todo> kept = List.copyOf(page);
        if (s.pages().size() < MAX_PAGES) {
            List<Todo> earlier = s.pages().putIfAbsent(new Page(limit, afterId), kept);
            return earlier != null ? earlier : kept;
        }
        return kept;
    }
}
