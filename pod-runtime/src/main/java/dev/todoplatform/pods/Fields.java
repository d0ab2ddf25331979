package dev.todoplatform.pods;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A rendered object (or a part of one) read field by field. Every field the runtime reads, or accepts with a
 * written reason why it has no effect on one machine, is marked; {@link #unread} lists the rest, and the runtime
 * refuses an object with any, naming the field: it never silently ignores what a cluster would do.
 */
final class Fields {
    private final String path;
    private final Map<String, Object> map;
    private final Set<String> read = new TreeSet<>();
    private final List<Fields> children = new ArrayList<>();

    Fields(String path, Map<String, Object> map) {
        this.path = path;
        this.map = map == null ? Map.of() : map;
    }

    static Fields of(Map<String, Object> object) {
        return new Fields("", object);
    }

    boolean has(String key) {
        return map.containsKey(key);
    }

    Object raw(String key) {
        read.add(key);
        return map.get(key);
    }

    String str(String key) {
        Object v = raw(key);
        return v == null ? null : String.valueOf(v);
    }

    String str(String key, String fallback) {
        String v = str(key);
        return v == null ? fallback : v;
    }

    String required(String key) {
        String v = str(key);
        if (v == null) {
            throw new IllegalArgumentException(where(key) + " is required");
        }
        return v;
    }

    /** An integer field, or null when it is not set. */
    Integer optionalInt(String key) {
        Object v = raw(key);
        return v == null ? null : ((Number) v).intValue();
    }

    int integer(String key, int fallback) {
        Object v = raw(key);
        return v == null ? fallback : ((Number) v).intValue();
    }

    boolean bool(String key, boolean fallback) {
        Object v = raw(key);
        return v == null ? fallback : (Boolean) v;
    }

    /** A field that must have exactly this value (what the runtime implements), if it is set at all. */
    void expect(String key, Object value) {
        Object v = raw(key);
        if (v != null && !String.valueOf(v).equals(String.valueOf(value))) {
            throw new IllegalArgumentException(where(key) + "=" + v + " is not implemented (only " + value + ")");
        }
    }

    /** Read and deliberately without effect here; {@code why} says what makes that true on one machine. */
    void accept(String key, String why) {
        read.add(key);
    }

    /** Every field not read yet, deliberately without effect here (see {@link #accept}). */
    void acceptRest(String why) {
        read.addAll(map.keySet());
    }

    @SuppressWarnings("unchecked")
    Fields obj(String key) {
        Fields child = new Fields(where(key), (Map<String, Object>) raw(key));
        children.add(child);
        return child;
    }

    @SuppressWarnings("unchecked")
    List<Fields> list(String key) {
        List<Fields> out = new ArrayList<>();
        List<Object> items = (List<Object>) raw(key);
        if (items != null) {
            for (int i = 0; i < items.size(); i++) {
                Fields child = new Fields(where(key) + "[" + i + "]", (Map<String, Object>) items.get(i));
                children.add(child);
                out.add(child);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    List<String> strings(String key) {
        List<Object> items = (List<Object>) raw(key);
        return items == null ? List.of() : items.stream().map(String::valueOf).toList();
    }

    @SuppressWarnings("unchecked")
    Map<String, String> stringMap(String key) {
        Map<String, Object> m = (Map<String, Object>) raw(key);
        Map<String, String> out = new LinkedHashMap<>();
        if (m != null) {
            m.forEach((k, v) -> out.put(k, String.valueOf(v)));
        }
        return out;
    }

    /** Every field below this one that nothing read, by its full path. */
    List<String> unread() {
        List<String> out = new ArrayList<>();
        for (String key : map.keySet()) {
            if (!read.contains(key)) {
                out.add(where(key));
            }
        }
        children.forEach(c -> out.addAll(c.unread()));
        return out;
    }

    String where(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
