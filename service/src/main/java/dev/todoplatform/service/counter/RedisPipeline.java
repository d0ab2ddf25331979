package dev.todoplatform.service.counter;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis commands pipelined on one connection. A caller writes its command and gets a future; one reader thread
 * takes the replies in order and completes the futures, so no thread waits on Redis per command. (With a pool of
 * blocking connections each hit parked a request thread on Redis's reply and woke it again: over four context
 * switches per hit, BENCHMARKS.md.)
 *
 * <p>The reader also connects, at the start and again when the connection breaks: Redis closed it (a restart), a
 * write failed, or the oldest command had no reply within the read timeout (a frozen or cut-off Redis). The
 * commands it had not answered are sent again on the next connection, up to {@link #ATTEMPTS} sends in all (a
 * failed connect counts as one), and then fail. An INCR sent again may count twice if the first one ran and only
 * its reply was lost; the pool of blocking connections retried the same way.
 */
final class RedisPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisPipeline.class);
    static final int ATTEMPTS = 3;
    private static final long RETRY_DELAY_MS = 50;

    /** Redis could not be reached in {@link #ATTEMPTS} tries, or it answered with an error ({@code refused}). */
    static final class Unavailable extends Exception {
        final boolean refused;

        Unavailable(String message) {
            this(message, false);
        }

        Unavailable(String message, boolean refused) {
            super(message, null, false, false);
            this.refused = refused;
        }
    }

    /** What to reach and how long to wait for it. */
    record Target(String host, int port, String password, String clientName, int connectTimeoutMs, int readTimeoutMs) {
    }

    private static final class Command {
        final byte[] bytes;
        final CompletableFuture<Long> reply = new CompletableFuture<>();
        int sends;
        long sentAt;

        Command(byte[] bytes) {
            this.bytes = bytes;
        }
    }

    private final Target target;
    private final int maxInFlight;
    private final Runnable onResend;
    /** The commands' state. Never held while a socket is written: the reader must be able to close a stuck one. */
    private final Object lock = new Object();
    /**
     * Held while bytes go on the socket, so that they go in the order of {@code sent}. Taken before {@link #lock},
     * never inside it. A write blocks only when the socket's buffers are full (Redis cut off under load); the
     * reader then closes the socket at the read timeout, which ends the write.
     */
    private final Object writeLock = new Object();
    /** Written on the connection, awaiting their replies in order. */
    private final ArrayDeque<Command> sent = new ArrayDeque<>();
    /** To write once connected. */
    private final ArrayDeque<Command> waiting = new ArrayDeque<>();
    private Socket socket;
    private OutputStream out;
    /** Connect even with nothing waiting: at the start and after a break, so the next command finds a connection. */
    private boolean reconnect = true;
    private volatile boolean closed;

    RedisPipeline(Target target, int maxInFlight, Runnable onResend) {
        this.target = target;
        this.maxInFlight = maxInFlight;
        this.onResend = onResend;
        Thread reader = new Thread(this::run, "redis-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Sends a command whose reply is an integer (INCR). */
    CompletableFuture<Long> integer(String... args) {
        Command c = new Command(encode(args));
        synchronized (writeLock) {
            OutputStream o;
            Socket s;
            synchronized (lock) {
                if (closed || sent.size() + waiting.size() >= maxInFlight) {
                    c.reply.completeExceptionally(new Unavailable(closed ? "closed" : maxInFlight + " commands in flight"));
                    return c.reply;
                }
                if (out == null) {
                    waiting.add(c);
                    lock.notifyAll();
                    return c.reply;
                }
                sent(c);
                o = out;
                s = socket;
            }
            write(s, o, c.bytes);
        }
        return c.reply;
    }

    int inFlight() {
        synchronized (lock) {
            return sent.size() + waiting.size();
        }
    }

    boolean connected() {
        synchronized (lock) {
            return out != null;
        }
    }

    /** A fresh connection answers PING within the timeouts (the pipeline's own connection is not asked). */
    static boolean ping(Target target) {
        try (Socket s = open(target)) {
            s.getOutputStream().write(encode("PING"));
            return "PONG".equals(simple(new BufferedInputStream(s.getInputStream())));
        } catch (IOException | Unavailable e) {
            return false;
        }
    }

    /** Holding the lock: the command is on its way. */
    private void sent(Command c) {
        sent.add(c);
        c.sends++;
        c.sentAt = System.nanoTime();
    }

    /** Holding the write lock. A failed write closes the socket: the reader then sees the break and sends again. */
    private static void write(Socket s, OutputStream o, byte[] bytes) {
        try {
            o.write(bytes);
        } catch (IOException e) {
            closeQuietly(s);
        }
    }

    private void run() {
        while (!closed) {
            try {
                connectAndRead();
            } catch (RuntimeException | Error e) {
                // Whatever it was, the reader goes on: a dead reader would leave every hit waiting.
                LOG.error("the Redis reply reader failed; reconnecting", e);
                List<Command> failed;
                synchronized (lock) {
                    disconnect();
                    failed = new ArrayList<>(sent);
                    failed.addAll(waiting);
                    sent.clear();
                    waiting.clear();
                }
                fail(failed);
                backOff();
            }
        }
    }

    /** One connection: made, used until it breaks, and what it left settled. Returns at once if it cannot be made. */
    private void connectAndRead() {
        synchronized (lock) {
            while (!closed && !reconnect && waiting.isEmpty()) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    return; // only close() ends the reader; this thread is not interrupted otherwise
                }
            }
            reconnect = false;
        }
        if (closed) {
            return;
        }
        Socket s = null;
        InputStream in;
        OutputStream o;
        try {
            s = open(target);
            // The reader wakes this often to see whether the oldest command is past the read timeout.
            s.setSoTimeout(Math.max(1, target.readTimeoutMs() / 4));
            in = new BufferedInputStream(s.getInputStream());
            o = s.getOutputStream();
        } catch (IOException | Unavailable e) {
            closeQuietly(s);
            List<Command> failed;
            synchronized (lock) {
                failed = settle(waiting, true);
            }
            fail(failed);
            backOff(); // a refused connect takes microseconds: do not spin on a Redis that is down
            return;
        }
        synchronized (writeLock) {
            ByteArrayOutputStream pending = new ByteArrayOutputStream();
            synchronized (lock) {
                socket = s;
                out = o;
                while (!waiting.isEmpty()) {
                    Command c = waiting.poll();
                    sent(c);
                    pending.writeBytes(c.bytes);
                }
            }
            write(s, o, pending.toByteArray());
        }
        readReplies(in);
        List<Command> failed;
        synchronized (lock) {
            disconnect();
            failed = settle(sent, false);
        }
        fail(failed);
        backOff(); // a Redis that accepts and then drops every connection is not spun on either
    }

    /** Holding the lock: the connection is gone, and the reader makes a new one next. */
    private void disconnect() {
        closeQuietly(socket);
        socket = null;
        out = null;
        reconnect = true;
    }

    /**
     * Holding the lock, after a connection broke (the sent commands) or could not be made (the waiting ones,
     * for which that was a try): each waits for the next connection, or is returned to be failed (outside the
     * lock: completing a future writes its HTTP response, which may go on to handle the next request).
     */
    private List<Command> settle(ArrayDeque<Command> commands, boolean connectFailed) {
        List<Command> again = new ArrayList<>();
        List<Command> failed = new ArrayList<>();
        for (Command c : commands) {
            if (connectFailed) {
                c.sends++;
            }
            if (c.sends < ATTEMPTS) {
                again.add(c);
            } else {
                failed.add(c);
            }
        }
        commands.clear();
        waiting.addAll(again);
        if (!connectFailed) {
            again.forEach(c -> onResend.run());
        }
        return failed;
    }

    private static void fail(List<Command> commands) {
        commands.forEach(c -> c.reply.completeExceptionally(new Unavailable("no reply in " + ATTEMPTS + " tries")));
    }

    private void backOff() {
        long until = System.nanoTime() + RETRY_DELAY_MS * 1_000_000;
        synchronized (lock) {
            long left;
            while (!closed && (left = until - System.nanoTime()) > 0) {
                try {
                    lock.wait(left / 1_000_000 + 1); // new commands notify: they wait out the delay too
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Completes the sent commands in order until the connection breaks. */
    private void readReplies(InputStream in) {
        while (!closed) {
            Command c;
            Object reply;
            try {
                reply = reply(in, target.readTimeoutMs() * 1_000_000L);
            } catch (SocketTimeoutException e) {
                synchronized (lock) {
                    Command oldest = sent.peek();
                    if (oldest == null || System.nanoTime() - oldest.sentAt < target.readTimeoutMs() * 1_000_000L) {
                        continue; // nothing was due yet
                    }
                }
                return;
            } catch (IOException e) {
                return;
            }
            synchronized (lock) {
                c = sent.poll();
            }
            if (c == null) {
                return; // a reply nothing asked for: the stream is not what this client wrote
            }
            if (reply instanceof Long value) {
                c.reply.complete(value);
            } else {
                c.reply.completeExceptionally(new Unavailable(String.valueOf(reply), true));
            }
        }
    }

    private static Socket open(Target target) throws IOException, Unavailable {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(target.host(), target.port()), target.connectTimeoutMs());
            // The handshake is part of connecting: a Redis whose kernel accepts but that does not answer (frozen)
            // fails the connect in that time.
            s.setSoTimeout(target.connectTimeoutMs());
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream());
            if (target.password() != null) {
                out.write(encode("AUTH", target.password()));
                expectOk(simple(in));
            }
            out.write(encode("CLIENT", "SETNAME", target.clientName()));
            expectOk(simple(in));
            return s;
        } catch (IOException | Unavailable | RuntimeException e) {
            closeQuietly(s);
            throw e;
        }
    }

    private static void expectOk(String reply) throws Unavailable {
        if (!"OK".equals(reply)) {
            throw new Unavailable(reply);
        }
    }

    /** A simple-string reply, or Unavailable with an error reply's text. */
    private static String simple(InputStream in) throws IOException, Unavailable {
        Object reply = reply(in, 0);
        if (reply instanceof ErrorReply error) {
            throw new Unavailable(error.text());
        }
        return String.valueOf(reply);
    }

    private record ErrorReply(String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * One reply of the kinds these commands get: an integer (Long), a simple string, or an error. A timeout before
     * its first byte is thrown as it is (the reader's tick); once a reply has begun, its rest is waited for up to
     * {@code patienceNanos}, so that a reply is never left half read.
     */
    private static Object reply(InputStream in, long patienceNanos) throws IOException {
        int type = in.read();
        String line = line(in, System.nanoTime() + patienceNanos);
        return switch (type) {
            case ':' -> {
                try {
                    yield Long.parseLong(line);
                } catch (NumberFormatException e) {
                    throw new IOException("not an integer reply: " + line);
                }
            }
            case '+' -> line;
            case '-' -> new ErrorReply(line);
            case -1 -> throw new IOException("connection closed");
            default -> throw new IOException("unexpected reply type " + (char) type);
        };
    }

    private static String line(InputStream in, long deadline) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(32);
        int b;
        while ((b = next(in, deadline)) != '\r') {
            if (b == -1) {
                throw new IOException("connection closed");
            }
            line.write(b);
        }
        if (next(in, deadline) != '\n') {
            throw new IOException("malformed reply");
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    private static int next(InputStream in, long deadline) throws IOException {
        while (true) {
            try {
                return in.read();
            } catch (SocketTimeoutException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new IOException("a reply cut short", e);
                }
            }
        }
    }

    /** A command as RESP: an array of bulk strings. */
    static byte[] encode(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(bytes);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    @Override
    public void close() {
        List<Command> pending;
        synchronized (lock) {
            closed = true;
            closeQuietly(socket);
            pending = new ArrayList<>(sent);
            pending.addAll(waiting);
            sent.clear();
            waiting.clear();
            lock.notifyAll();
        }
        pending.forEach(c -> c.reply.completeExceptionally(new Unavailable("closed")));
    }
}
