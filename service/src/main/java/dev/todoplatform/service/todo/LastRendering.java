package dev.todoplatform.service.todo;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The last rendering of a list, kept while the same list is rendered again: {@link ListCache} hands out one
 * instance per page and position, so the same instance means the same rows, and its page or JSON is the same
 * bytes (rendering the 50-item page cost the todo service more than the rest of the request).
 */
final class LastRendering {
    private record Entry(Object source, byte[] bytes) {
    }

    private final AtomicReference<Entry> last = new AtomicReference<>();

    <T> byte[] of(T source, Function<T, byte[]> render) {
        Entry e = last.get();
        if (e != null && e.source() == source) {
            return e.bytes();
        }
        byte[] bytes = render.apply(source);
        last.set(new Entry(source, bytes));
        return bytes;
    }
}
