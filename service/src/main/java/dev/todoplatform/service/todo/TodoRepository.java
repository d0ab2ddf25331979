package dev.todoplatform.service.todo;

import dev.todoplatform.service.db.ReadFence;
import dev.todoplatform.service.db.Retry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The todos table. Every operation is idempotent, so {@link Retry} may repeat it through a failover. */
public final class TodoRepository {
    private static final String COLUMNS = "id, name, completed, created_at";
    private static final CompletableFuture<Joined> NOT_JOINED = CompletableFuture.completedFuture(new Joined(null, null));

    private final Retry retry;
    private final ReadFence fence;
    private final ListCache lists = new ListCache();
    private final CreateGroups creates = new CreateGroups(this::insert);

    public TodoRepository(Retry retry, ReadFence fence) {
        this.retry = retry;
        this.fence = fence;
    }

    /**
     * How far a list request got with no thread waiting for it: the position it was given ({@link
     * ReadFence#joinable}; null when the lookup hung or failed), and its page as kept at that position (null when
     * not kept: a write moved the position, or the page is still being read).
     */
    public record Joined(ReadFence.Position at, List<Todo> page) {
    }

    /**
     * The page for a request that began at {@code began}, with no thread waiting for it: this completes once a
     * position lookup issued after the request began answers, on the thread that completes it, with the page kept
     * at that position if it is. Else a thread reads the page ({@link #list(long, long, ReadFence.Position)}).
     */
    public CompletableFuture<Joined> joined(long limit, long afterId, long began) {
        CompletableFuture<ReadFence.Position> at = fence.joinable(began, retry::connection);
        return at == null ? NOT_JOINED : at.handle((position, failure) -> failure != null ? NOT_JOINED.join()
                : new Joined(position, lists.get(position, limit, afterId)));
    }

    public List<Todo> list(long limit, long afterId) {
        return list(limit, afterId, null);
    }

    /**
     * The page, at {@code known} if not null (a position looked up after the request began), else at one looked
     * up now.
     */
    public List<Todo> list(long limit, long afterId, ReadFence.Position known) {
        ReadFence.Position[] given = {known};
        // A connection only for what needs one: a request that joins another's position lookup and finds the
        // list kept holds none while it waits (with 4 per instance, waiting lookups held them all: BENCHMARKS.md).
        return retry.runLazy(lease -> {
            ReadFence.Position at = given[0] != null ? given[0]
                    : fence.primaryPosition(lease::connection, System.nanoTime());
            given[0] = null; // a retry, after a failover, looks the position up again
            // The lookup's connection goes back before this request may wait for another's read of the page: that
            // reader may need one, and a full pool then stalled both for its 2 s timeout (TodoRepositoryTest).
            lease.release();
            return lists.read(at, limit, afterId, () -> {
                Connection c = lease.connection();
                String sql = "SELECT " + COLUMNS + " FROM todos WHERE id > ? ORDER BY id LIMIT ?";
                ReadFence.Route route = fence.route(c, at);
                try (PreparedStatement st = c.prepareStatement(onPrimaryIfSent(route, sql))) {
                    st.setLong(1, afterId);
                    st.setLong(2, limit);
                    // Only a standby's result stands for the position (ReadFence.Route); a primary's is this request's.
                    return new ListCache.Read(all(st), route == ReadFence.Route.REPLAYED);
                }
            });
        });
    }

    public Optional<Todo> find(long id) {
        // The position first: a request that joins another's lookup holds no connection while it waits.
        return retry.runLazy(lease -> {
            ReadFence.Position at = fence.primaryPosition(lease::connection, System.nanoTime());
            Connection c = lease.connection();
            String sql = "SELECT " + COLUMNS + " FROM todos WHERE id = ?";
            try (PreparedStatement st = c.prepareStatement(onPrimaryIfSent(fence.route(c, at), sql))) {
                st.setLong(1, id);
                return all(st).stream().findFirst();
            }
        });
    }

    /**
     * Creates an item once per idempotency key: a repeat returns the item the first attempt created. Concurrent
     * creates are committed in groups ({@link CreateGroups}).
     */
    public Todo create(String name, String idempotencyKey) {
        return creates.create(name, idempotencyKey);
    }

    /** One group of creates: one INSERT and one commit, then the items an earlier attempt made, by key. */
    private Map<String, Todo> insert(List<CreateGroups.Create> group) {
        Map<String, String> names = new LinkedHashMap<>();
        for (CreateGroups.Create create : group) {
            names.putIfAbsent(create.key(), create.name()); // one row per key, even if two creates share it
        }
        return retry.run(c -> {
            Map<String, Todo> made = new HashMap<>();
            try (PreparedStatement st = c.prepareStatement("INSERT INTO todos (name, idempotency_key) VALUES "
                    + String.join(", ", Collections.nCopies(names.size(), "(?, ?)"))
                    + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING " + COLUMNS + ", idempotency_key")) {
                int i = 0;
                for (Map.Entry<String, String> e : names.entrySet()) {
                    st.setString(++i, e.getValue());
                    st.setString(++i, e.getKey());
                }
                byKey(st, made);
            }
            List<String> earlier = names.keySet().stream().filter(k -> !made.containsKey(k)).toList();
            if (!earlier.isEmpty()) {
                try (PreparedStatement st = c.prepareStatement(ReadFence.ON_PRIMARY + "SELECT " + COLUMNS
                        + ", idempotency_key FROM todos WHERE idempotency_key IN ("
                        + String.join(", ", Collections.nCopies(earlier.size(), "?")) + ")")) {
                    for (int i = 0; i < earlier.size(); i++) {
                        st.setString(i + 1, earlier.get(i));
                    }
                    byKey(st, made);
                }
            }
            return made;
        });
    }

    public Optional<Todo> update(long id, TodoInput.Patch patch) {
        return retry.run(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE todos SET completed = COALESCE(?, completed), "
                    + "name = COALESCE(?, name) WHERE id = ? RETURNING " + COLUMNS)) {
                if (patch.completed() == null) {
                    st.setNull(1, Types.BOOLEAN);
                } else {
                    st.setBoolean(1, patch.completed());
                }
                st.setString(2, patch.name());
                st.setLong(3, id);
                return all(st).stream().findFirst();
            }
        });
    }

    public boolean delete(long id) {
        return retry.run(c -> {
            try (PreparedStatement st = c.prepareStatement("DELETE FROM todos WHERE id = ?")) {
                st.setLong(1, id);
                return st.executeUpdate() > 0;
            }
        });
    }

    private static String onPrimaryIfSent(ReadFence.Route route, String select) {
        return route == ReadFence.Route.SEND_TO_PRIMARY ? ReadFence.ON_PRIMARY + select : select;
    }

    private static List<Todo> all(PreparedStatement st) throws SQLException {
        List<Todo> todos = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                todos.add(todo(rs));
            }
        }
        return todos;
    }

    /** Rows of {@link #COLUMNS} and then the idempotency key, into {@code made} by key. */
    private static void byKey(PreparedStatement st, Map<String, Todo> made) throws SQLException {
        try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                made.put(rs.getString(5), todo(rs));
            }
        }
    }

    private static Todo todo(ResultSet rs) throws SQLException {
        return new Todo(rs.getLong(1), rs.getString(2), rs.getBoolean(3),
                rs.getObject(4, OffsetDateTime.class).toInstant().toString());
    }

}
