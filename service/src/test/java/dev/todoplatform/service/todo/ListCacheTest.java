package dev.todoplatform.service.todo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.todoplatform.service.db.ReadFence;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A kept list is served only for the very position it was read at: same timeline, same LSN, same page. */
class ListCacheTest {
    private static final ReadFence.Position AT = new ReadFence.Position(1, 0x3000000L);
    private final ListCache cache = new ListCache();
    private final List<Todo> page = new ArrayList<>(List.of(new Todo(1, "one", false, "2026-12-06T00:00:00Z")));

    @Test
    void servedForItsPositionAndPageOnly() throws Exception {
        List<Todo> kept = cache.put(AT, 50, 0, page);
        assertSame(kept, cache.get(AT, 50, 0), "one instance per page and position (LastRendering relies on it)");
        assertEquals(page, kept);
        assertNull(cache.get(AT, 10, 0));
        assertNull(cache.get(AT, 50, 1));
        assertNull(cache.get(new ReadFence.Position(1, 0x3000001L), 50, 0), "a write moved the position");
        assertNull(cache.get(new ReadFence.Position(2, 0x3000000L), 50, 0), "a promoted node on another timeline");
    }

    @Test
    void aNewPositionDropsTheOldLists() throws Exception {
        cache.put(AT, 50, 0, page);
        ReadFence.Position later = new ReadFence.Position(1, 0x3000100L);
        cache.put(later, 50, 0, List.of());
        assertNull(cache.get(AT, 50, 0));
        assertEquals(List.of(), cache.get(later, 50, 0));
    }

    /** Requests at one position that miss together read once: the first reads, the others wait for its page. */
    @Test
    void aPageIsReadOnceForTheRequestsThatAskMeanwhile() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        AtomicInteger reads = new AtomicInteger();
        ListCache.Reader slow = () -> {
            reads.incrementAndGet();
            reading.countDown();
            try {
                answer.await();
            } catch (InterruptedException e) {
                throw new java.sql.SQLException(e);
            }
            return new ListCache.Read(page, true);
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<List<Todo>> first = pool.submit(() -> cache.read(AT, 50, 0, slow));
            reading.await();
            Future<List<Todo>> second = pool.submit(() -> cache.read(AT, 50, 0, slow));
            answer.countDown();
            assertSame(first.get(5, TimeUnit.SECONDS), second.get(5, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, reads.get());
    }

    /** A read on the primary does not stand for the position: not kept, not handed on. */
    @Test
    void aReadThatDoesNotStandForThePositionIsNotKept() throws Exception {
        assertEquals(page, cache.read(AT, 50, 0, () -> new ListCache.Read(page, false)));
        assertNull(cache.get(AT, 50, 0));
        AtomicInteger reads = new AtomicInteger();
        cache.read(AT, 50, 0, () -> {
            reads.incrementAndGet();
            return new ListCache.Read(page, true);
        });
        assertEquals(1, reads.get(), "the next request reads again");
    }

    @Test
    void aPageIsKeptAsItWasRead() throws Exception {
        List<Todo> kept = cache.put(AT, 50, 0, page);
        page.clear();
        assertEquals(1, kept.size());
    }
}
