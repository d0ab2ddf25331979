package dev.todoplatform.service.todo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.todoplatform.service.db.ReadFence;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A kept list is served only for the very position it was read at: same timeline, same LSN, same page. */
class ListCacheTest {
    private static final ReadFence.Position AT = new ReadFence.Position(1, 0x3000000L);
    private final ListCache cache = new ListCache();
    private final List<Todo> page = new ArrayList<>(List.of(new Todo(1, "one", false, "2026-12-06T00:00:00Z")));

    @Test
    void servedForItsPositionAndPageOnly() {
        List<Todo> kept = cache.put(AT, 50, 0, page);
        assertSame(kept, cache.get(AT, 50, 0), "one instance per page and position (LastRendering relies on it)");
        assertEquals(page, kept);
        assertNull(cache.get(AT, 10, 0));
        assertNull(cache.get(AT, 50, 1));
        assertNull(cache.get(new ReadFence.Position(1, 0x3000001L), 50, 0), "a write moved the position");
        assertNull(cache.get(new ReadFence.Position(2, 0x3000000L), 50, 0), "a promoted node on another timeline");
    }

    @Test
    void aNewPositionDropsTheOldLists() {
        cache.put(AT, 50, 0, page);
        ReadFence.Position later = new ReadFence.Position(1, 0x3000100L);
        cache.put(later, 50, 0, List.of());
        assertNull(cache.get(AT, 50, 0));
        assertEquals(List.of(), cache.get(later, 50, 0));
    }

    @Test
    void aPageIsKeptAsItWasRead() {
        List<Todo> kept = cache.put(AT, 50, 0, page);
        page.clear();
        assertEquals(1, kept.size());
    }
}
