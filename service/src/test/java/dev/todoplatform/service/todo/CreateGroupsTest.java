package dev.todoplatform.service.todo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.daemons.Poll;
import dev.todoplatform.service.http.HttpError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The grouping of creates, against a sender that answers when the test says (the database's own tests follow). */
class CreateGroupsTest {
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r);
        threads.add(t);
        return t;
    });

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static Map<String, Todo> made(List<CreateGroups.Create> group) {
        Map<String, Todo> made = new HashMap<>();
        for (CreateGroups.Create c : group) {
            made.put(c.key(), new Todo(made.size() + 1, c.name(), false, "2026-12-08T00:00:00Z"));
        }
        return made;
    }

    /**
     * While groups are in flight, the creates that come wait and go as one group; no more than {@link
     * CreateGroups#SENDING} groups are sent at once; each create gets its own item.
     */
    @Test
    void createsThatComeWhileGroupsAreInFlightGoAsOneGroup() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        CreateGroups groups = new CreateGroups(group -> {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            sizes.add(group.size());
            try {
                answer.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            inFlight.decrementAndGet();
            return made(group);
        });
        int first = CreateGroups.SENDING;
        List<Future<Todo>> creates = new ArrayList<>();
        for (int i = 0; i < first; i++) {
            String key = "first-" + i;
            creates.add(pool.submit(() -> groups.create(key, key)));
        }
        Poll.until(Duration.ofSeconds(5), "as many groups in flight as may be", () -> sizes.size() == first);
        for (int i = 0; i < 10; i++) {
            String key = "later-" + i;
            creates.add(pool.submit(() -> groups.create(key, key)));
        }
        Poll.until(Duration.ofSeconds(5), "the later creates waiting", () -> threads.size() == first + 10
                && threads.stream().filter(t -> t.getState() == Thread.State.WAITING).count() == first + 10);
        answer.countDown();
        for (Future<Todo> f : creates) {
            f.get(5, TimeUnit.SECONDS);
        }
        for (int i = 0; i < 10; i++) {
            assertEquals("later-" + i, creates.get(first + i).get().name(), "each create gets its own item");
        }
        List<Integer> expected = new ArrayList<>(Collections.nCopies(first, 1));
        expected.add(10);
        assertEquals(expected, sizes, "the ten that waited went as one group");
        assertEquals(CreateGroups.SENDING, mostInFlight.get());
    }

    /** A lone create is sent at once, as its own group. */
    @Test
    void aLoneCreateIsSentAtOnce() {
        List<Integer> sizes = new ArrayList<>();
        CreateGroups groups = new CreateGroups(group -> {
            sizes.add(group.size());
            return made(group);
        });
        assertEquals("one", groups.create("one", "k1").name());
        assertEquals("two", groups.create("two", "k2").name());
        assertEquals(List.of(1, 1), sizes);
    }

    /** A group that fails (the database unavailable past the retries) fails every create in it the same way. */
    @Test
    void aFailedGroupFailsEachOfItsCreates() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        HttpError unavailable = new HttpError(503, "database unavailable, retry later");
        AtomicInteger sends = new AtomicInteger();
        CreateGroups groups = new CreateGroups(group -> {
            if (sends.incrementAndGet() <= CreateGroups.SENDING) {
                try {
                    answer.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return made(group);
            }
            throw unavailable;
        });
        List<Future<Todo>> first = new ArrayList<>();
        for (int i = 0; i < CreateGroups.SENDING; i++) {
            String key = "first-" + i;
            first.add(pool.submit(() -> groups.create(key, key)));
        }
        Poll.until(Duration.ofSeconds(5), "as many groups in flight as may be",
                () -> sends.get() == CreateGroups.SENDING);
        List<Future<Todo>> failing = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String key = "failing-" + i;
            failing.add(pool.submit(() -> groups.create(key, key)));
        }
        int all = CreateGroups.SENDING + 3;
        Poll.until(Duration.ofSeconds(5), "three creates waiting", () -> threads.size() == all
                && threads.stream().filter(t -> t.getState() == Thread.State.WAITING).count() == all);
        answer.countDown();
        for (Future<Todo> f : first) {
            f.get(5, TimeUnit.SECONDS);
        }
        for (Future<Todo> f : failing) {
            Exception e = assertThrows(Exception.class, () -> f.get(5, TimeUnit.SECONDS));
            assertSame(unavailable, e.getCause());
        }
        assertEquals(CreateGroups.SENDING + 1, sends.get(), "the three waiting creates were one group");
    }

    /** A sender that answers no item for a key is a defect: an error, never a create answered with nothing. */
    @Test
    void aKeyWithoutAnItemIsAnError() {
        CreateGroups groups = new CreateGroups(group -> Map.of());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> groups.create("x", "k"));
        assertTrue(e.getMessage().contains("k"), e.getMessage());
    }
}
