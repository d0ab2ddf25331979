package dev.todoplatform.service.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.daemons.Poll;
import dev.todoplatform.daemons.Ports;
import dev.todoplatform.daemons.RedisServer;
import dev.todoplatform.daemons.RunAs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The pipelined client against a real Redis: replies in order, error replies, the in-flight bound, restarts. */
class RedisPipelineTest {
    private static final String PASSWORD = "test-only-redis-password";

    private static RedisPipeline.Target target(RedisServer redis, String password) {
        return new RedisPipeline.Target("127.0.0.1", redis.port(), password, "test", 1_000, 2_000);
    }

    private static long get(CompletableFuture<Long> reply) throws Exception {
        return reply.get(10, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<Long> reply) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> reply.get(10, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void manyCommandsInFlightGetTheirOwnRepliesAndAnErrorReplyFailsOnlyItsCommand() throws Exception {
        try (RedisServer redis = RedisServer.start(RunAs.tempDir("redis"), Ports.free(), null, "--requirepass", PASSWORD);
             RedisPipeline pipeline = new RedisPipeline(target(redis, PASSWORD), 10_000, () -> { })) {
            List<CompletableFuture<Long>> replies = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                replies.add(pipeline.integer("INCR", "n"));
            }
            for (int i = 0; i < replies.size(); i++) {
                assertEquals(i + 1, get(replies.get(i)), "reply " + i + " is its own command's");
            }
            assertEquals(3, get(pipeline.integer("APPEND", "text", "abc")));
            Throwable notANumber = failure(pipeline.integer("INCR", "text"));
            assertInstanceOf(RedisPipeline.Unavailable.class, notANumber);
            assertTrue(notANumber.getMessage().contains("not an integer"), notANumber.getMessage());
            assertTrue(((RedisPipeline.Unavailable) notANumber).refused, "Redis answered: a refusal, not an outage");
            assertEquals(5_001, get(pipeline.integer("INCR", "n")), "the connection goes on after an error reply");
            assertEquals(0, pipeline.inFlight());
        }
    }

    @Test
    void aWrongPasswordFailsEveryTryAndHealthSaysSo() throws Exception {
        try (RedisServer redis = RedisServer.start(RunAs.tempDir("redis"), Ports.free(), null, "--requirepass", PASSWORD);
             RedisPipeline pipeline = new RedisPipeline(target(redis, "wrong"), 10, () -> { })) {
            Throwable refused = failure(pipeline.integer("INCR", "n"));
            assertInstanceOf(RedisPipeline.Unavailable.class, refused);
            assertFalse(((RedisPipeline.Unavailable) refused).refused, "no connection was made: an outage");
            assertFalse(pipeline.connected());
            assertFalse(RedisPipeline.ping(target(redis, "wrong")));
            assertTrue(RedisPipeline.ping(target(redis, PASSWORD)));
        }
    }

    @Test
    void beyondTheInFlightBoundACommandFailsAtOnceAndTheOthersCompleteWhenRedisGoesOn() throws Exception {
        try (RedisServer redis = RedisServer.start(RunAs.tempDir("redis"), Ports.free(), null);
             RedisPipeline pipeline = new RedisPipeline(target(redis, null), 2, () -> { })) {
            Poll.until(Duration.ofSeconds(10), "connected", pipeline::connected);
            redis.process().signal("STOP");
            try {
                CompletableFuture<Long> first = pipeline.integer("INCR", "n");
                CompletableFuture<Long> second = pipeline.integer("INCR", "n");
                CompletableFuture<Long> third = pipeline.integer("INCR", "n");
                assertTrue(third.isCompletedExceptionally(), "refused at once, not queued behind a frozen Redis");
                assertTrue(failure(third).getMessage().contains("2 commands in flight"));
                assertFalse(first.isDone());
                redis.process().signal("CONT");
                assertEquals(1, get(first));
                assertEquals(2, get(second));
            } finally {
                redis.process().signal("CONT");
            }
        }
    }

    @Test
    void aCommandOnAConnectionRedisDropsIsSentAgainOnAFreshOneAndCountedOnce() throws Exception {
        try (RedisServer redis = RedisServer.start(RunAs.tempDir("redis"), Ports.free(), null)) {
            AtomicInteger resent = new AtomicInteger();
            try (RedisPipeline pipeline = new RedisPipeline(target(redis, null), 100, resent::incrementAndGet)) {
                assertEquals(1, get(pipeline.integer("INCR", "n")));
                // Writes wait while clients are paused; the pipeline's connection is then dropped under its INCR.
                assertEquals("+OK", command(redis, "CLIENT", "PAUSE", "1500", "WRITE"));
                CompletableFuture<Long> waiting = pipeline.integer("INCR", "n");
                String id = command(redis, "CLIENT", "LIST").lines().filter(l -> l.contains(" name=test "))
                        .map(l -> l.replaceAll("^.*?id=(\\d+) .*$", "$1")).findFirst().orElseThrow();
                assertEquals(":1", command(redis, "CLIENT", "KILL", "ID", id));
                assertEquals(2, get(waiting), "sent again on a fresh connection, counted once");
                assertEquals(1, resent.get());
                assertEquals(3, get(pipeline.integer("INCR", "n")));
            }
        }
    }

    /** One command on a connection of its own: the reply's first line, or a bulk reply's text. */
    private static String command(RedisServer redis, String... args) throws Exception {
        try (Socket s = new Socket("127.0.0.1", redis.port())) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write(RedisPipeline.encode(args));
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String first = in.readLine();
            if (!first.startsWith("$")) {
                return first;
            }
            char[] body = new char[Integer.parseInt(first.substring(1))];
            for (int read = 0; read < body.length; ) {
                read += in.read(body, read, body.length - read);
            }
            return new String(body);
        }
    }

    @Test
    void aWriteStuckOnAFullSocketEndsAtTheReadTimeoutAndEveryCommandCompletes() throws Exception {
        try (RedisServer redis = RedisServer.start(RunAs.tempDir("redis"), Ports.free(), null);
             RedisPipeline pipeline = new RedisPipeline(target(redis, null), 1_000_000, () -> { })) {
            Poll.until(Duration.ofSeconds(10), "connected", pipeline::connected);
            redis.process().signal("STOP");
            try {
                // More bytes than the frozen Redis's socket and this one's can hold: a write blocks.
                List<CompletableFuture<Long>> replies = new ArrayList<>();
                Thread sender = new Thread(() -> {
                    for (int i = 0; i < 400_000; i++) {
                        replies.add(pipeline.integer("INCR", "n"));
                    }
                });
                sender.start();
                sender.join(20_000);
                assertFalse(sender.isAlive(), "a write blocked on the frozen Redis is ended when the reader gives up");
                for (CompletableFuture<Long> reply : replies) {
                    assertInstanceOf(RedisPipeline.Unavailable.class, failure(reply));
                }
                assertEquals(0, pipeline.inFlight());
            } finally {
                redis.process().signal("CONT");
            }
        }
    }

    @Test
    void closingFailsWhatIsInFlight() throws Exception {
        try (RedisServer redis = RedisServer.start(RunAs.tempDir("redis"), Ports.free(), null)) {
            RedisPipeline pipeline = new RedisPipeline(target(redis, null), 100, () -> { });
            Poll.until(Duration.ofSeconds(10), "connected", pipeline::connected);
            redis.process().signal("STOP");
            try {
                CompletableFuture<Long> pending = pipeline.integer("INCR", "n");
                pipeline.close();
                assertInstanceOf(RedisPipeline.Unavailable.class, failure(pending));
                assertInstanceOf(RedisPipeline.Unavailable.class, failure(pipeline.integer("INCR", "n")));
            } finally {
                redis.process().signal("CONT");
            }
        }
    }
}
