package dev.todoplatform.service.todo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.service.Backends;
import dev.todoplatform.service.Settings;
import dev.todoplatform.service.db.Database;
import dev.todoplatform.service.db.Migrations;
import dev.todoplatform.service.db.ReadFence;
import dev.todoplatform.service.db.Retry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The repository on a real PostgreSQL, with fewer pooled connections than requests in flight. */
@ExtendWith(Backends.class)
class TodoRepositoryTest {

    /**
     * Under a mixed load, lists that share a position lookup also share one read of their page. A request that
     * waited for another's read while holding its lookup's connection, when that reader waited for a connection,
     * stalled both for the pool's 2 s timeout (seen: mixed load through the LoadBalancer, 4 connections per
     * instance, requests of 2.0-2.1 s). No list may wait anywhere near that long.
     */
    @Test
    void listsUnderWritesNeverWaitForThePoolWhileAnotherHoldsAConnection() throws Exception {
        Settings.DatabaseAccess access = migratedDatabase(2);
        ExecutorService pool = Executors.newFixedThreadPool(9);
        AtomicBoolean writing = new AtomicBoolean(true);
        try (Database database = new Database(access, null)) {
            TodoRepository todos = new TodoRepository(new Retry(database, 15_000), new ReadFence(500, 0));
            for (int i = 0; i < 50; i++) {
                todos.create("item " + i, "seed-" + i);
            }
            AtomicLong writes = new AtomicLong();
            pool.submit(() -> {
                while (writing.get()) {
                    todos.create("written", "write-" + writes.incrementAndGet());
                }
                return null;
            });
            List<Future<Long>> readers = new ArrayList<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            for (int r = 0; r < 8; r++) {
                readers.add(pool.submit(() -> {
                    long slowest = 0;
                    while (System.nanoTime() < end) {
                        long start = System.nanoTime();
                        assertEquals(50, todos.list(50, 0).size());
                        slowest = Math.max(slowest, System.nanoTime() - start);
                    }
                    return slowest;
                }));
            }
            long slowest = 0;
            for (Future<Long> reader : readers) {
                slowest = Math.max(slowest, reader.get(60, TimeUnit.SECONDS));
            }
            writing.set(false);
            assertTrue(writes.get() > 10, "the position moved: " + writes.get() + " writes");
            assertTrue(slowest < TimeUnit.MILLISECONDS.toNanos(1_000), "slowest list: " + slowest / 1_000_000 + " ms");
        } finally {
            writing.set(false);
            pool.shutdown();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /**
     * Creates from many threads at once, committed in groups: each gets its own item with its own name and a
     * distinct id, every one is in the table, and creates that share an idempotency key, in one group or not, make
     * one item.
     */
    @Test
    void concurrentCreatesEachGetTheirOwnItemAndOneItemPerKey() throws Exception {
        Settings.DatabaseAccess access = migratedDatabase(4);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try (Database database = new Database(access, null)) {
            TodoRepository todos = new TodoRepository(new Retry(database, 15_000), new ReadFence(500, 0));
            List<Future<Todo>> created = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                String name = "item " + i;
                // Every tenth create repeats the key of the one before: as a client retrying at once would.
                String key = "key-" + (i % 10 == 9 ? i - 1 : i);
                created.add(pool.submit(() -> todos.create(name, key)));
            }
            Set<Long> ids = new HashSet<>();
            for (int i = 0; i < created.size(); i++) {
                Todo todo = created.get(i).get(60, TimeUnit.SECONDS);
                if (i % 10 == 9) {
                    Todo other = created.get(i - 1).get();
                    assertEquals(other, todo, "two creates with one key answer the one item");
                    assertTrue(Set.of("item " + (i - 1), "item " + i).contains(todo.name()), todo.name());
                } else if (i % 10 != 8) {
                    assertEquals("item " + i, todo.name());
                }
                if (i % 10 != 9) {
                    assertTrue(ids.add(todo.id()), "id " + todo.id() + " answered twice");
                }
            }
            assertEquals(360, ids.size());
            assertEquals(360, todos.list(1000, 0).size(), "every create is in the table, once");
        } finally {
            pool.shutdown();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /** A fresh database of its own, migrated, for a pool of {@code connections}. */
    private static Settings.DatabaseAccess migratedDatabase(int connections) throws Exception {
        Settings.DatabaseAccess access = new Settings.DatabaseAccess(Backends.newDatabase(), Backends.DB_USER,
                Backends.DB_PASSWORD, connections);
        Migrations.migrate(access);
        return access;
    }
}
