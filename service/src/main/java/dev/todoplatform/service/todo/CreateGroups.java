package dev.todoplatform.service.todo;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Creates committed in groups. A create joins the group about to be sent, and one statement and one commit serve
 * the whole group: one WAL flush and one round of synchronous replication, where each create had its own (a
 * commit cost PostgreSQL about 0.45 ms of CPU and 13 context switches across its processes: BENCHMARKS.md). At
 * most {@link #SENDING} groups are in flight per instance; the creates that come meanwhile wait and form the next.
 * One of a group's own request threads sends it, so no thread exists for this alone, and a lone create is sent at
 * once. Creates are idempotent by key, so a group that a failover interrupts is retried whole, as one create was.
 */
final class CreateGroups {
    /**
     * Groups in flight at once per instance. One: the creates that come while it commits make the next group the
     * larger (scripts/bench: 4,023 creates/s at 0.374 ms of CPU each, against 3,004 at 0.518 with two).
     */
    static final int SENDING = 1;
    /** The most creates in one statement. */
    static final int MAX_GROUP = 64;

    /** One create: the item's name and its idempotency key. */
    record Create(String name, String key) {
    }

    /** Sends a group: the item for each key (made now or by an earlier attempt), or throws for all of them. */
    @FunctionalInterface
    interface Sender {
        Map<String, Todo> send(List<Create> group);
    }

    private static final class Pending {
        final Create create;
        boolean taken;
        boolean done;
        Todo result;
        RuntimeException failure;

        Pending(Create create) {
            this.create = create;
        }
    }

    private final Sender sender;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition sent = lock.newCondition();
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private int sending;

    CreateGroups(Sender sender) {
        this.sender = sender;
    }

    /** The item created for {@code key} (or by an earlier create with it), once its group is committed. */
    Todo create(String name, String key) {
        Pending mine = new Pending(new Create(name, key));
        lock.lock();
        try {
            waiting.add(mine);
            while (!mine.done) {
                if (!mine.taken && sending < SENDING) {
                    send(take()); // mine, and whatever waits with it; or the ones before it, if more than a group
                } else {
                    sent.awaitUninterruptibly();
                }
            }
        } finally {
            lock.unlock();
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
        return mine.result;
    }

    private List<Pending> take() {
        List<Pending> group = new ArrayList<>();
        while (!waiting.isEmpty() && group.size() < MAX_GROUP) {
            Pending p = waiting.poll();
            p.taken = true;
            group.add(p);
        }
        sending++;
        return group;
    }

    /** Sends {@code group} outside the lock (held on entry and on return), then wakes everyone waiting. */
    private void send(List<Pending> group) {
        Map<String, Todo> made = null;
        RuntimeException failure = null;
        lock.unlock();
        try {
            made = sender.send(group.stream().map(p -> p.create).toList());
        } catch (RuntimeException e) {
            failure = e;
        } catch (Error e) {
            failure = new IllegalStateException("sending a group of creates failed", e);
            throw e;
        } finally {
            lock.lock();
            sending--;
            for (Pending p : group) {
                p.done = true;
                p.result = made == null ? null : made.get(p.create.key());
                p.failure = failure != null ? failure : p.result == null
                        ? new IllegalStateException("no item for idempotency key " + p.create.key()) : null;
            }
            sent.signalAll();
        }
    }
}
