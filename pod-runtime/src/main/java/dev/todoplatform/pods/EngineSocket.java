package dev.todoplatform.pods;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.yaml.snakeyaml.Yaml;

/**
 * Commands in containers through the engine's HTTP API on its Unix socket: the way kubelet reaches its runtime
 * (CRI over a socket), not a `docker` client process per call. Exec probes run about three times a second in
 * the prod stack, and their client processes were about a tenth of the machine's busy time at rest (BENCHMARKS.md).
 */
final class EngineSocket {
    private static final UnixDomainSocketAddress SOCKET = UnixDomainSocketAddress.of(socketPath());

    private EngineSocket() {
    }

    /** Runs {@code command} in {@code container} as `docker exec` does: its output, errors and exit code. */
    static Docker.Result exec(Duration timeout, String container, List<String> command) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            Response created = call(deadline, "POST", "/containers/" + container + "/exec",
                    "{\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":" + json(command) + "}");
            if (created.status != 201) {
                return new Docker.Result(1, "", "Error response from daemon: " + created.message());
            }
            String id = (String) created.json().get("Id");
            Response started = call(deadline, "POST", "/exec/" + id + "/start", "{\"Detach\":false,\"Tty\":false}");
            if (started.status != 200) {
                return new Docker.Result(1, "", "Error response from daemon: " + started.message());
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            demultiplex(started.body, out, err);
            return new Docker.Result(exitCode(deadline, id), out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        } catch (TimedOut e) {
            return new Docker.Result(-1, "", "timed out after " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return new Docker.Result(-1, "", "cannot reach the engine at " + SOCKET.getPath() + ": " + e.getMessage());
        }
    }

    /** The exec's exit code; the engine may mark it ended a moment after its output closed. */
    private static int exitCode(long deadline, String id) throws IOException {
        while (true) {
            Map<?, ?> exec = call(deadline, "GET", "/exec/" + id + "/json", null).json();
            if (exec.get("ExitCode") instanceof Integer code && !Boolean.TRUE.equals(exec.get("Running"))) {
                return code;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** The engine's socket: DOCKER_HOST when it names one, else the default the `docker` client uses. */
    private static String socketPath() {
        String host = System.getenv("DOCKER_HOST");
        return host != null && host.startsWith("unix://") ? host.substring("unix://".length()) : "/var/run/docker.sock";
    }

    record Response(int status, byte[] body) {
        Map<?, ?> json() {
            Object parsed = new Yaml().load(new String(body, StandardCharsets.UTF_8));
            return parsed instanceof Map<?, ?> map ? map : Map.of();
        }

        String message() {
            Object message = json().get("message");
            return message != null ? message.toString() : "HTTP " + status;
        }
    }

    private static final class TimedOut extends IOException {
    }

    /**
     * One request on its own connection, read to its end (the engine closes it after the response, and after an
     * exec's output stream when it started one). Past the deadline the connection is closed and this throws.
     */
    private static Response call(long deadline, String method, String path, String body) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new TimedOut();
        }
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // Marked before it closes: the read fails while the watchdog still runs, when its future is not done.
            AtomicBoolean fired = new AtomicBoolean();
            ScheduledFuture<?> watchdog = Threads.TICKS.schedule(() -> {
                fired.set(true);
                close(channel);
            }, left, TimeUnit.NANOSECONDS);
            try {
                channel.connect(SOCKET);
                String head = method + " " + path + " HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n"
                        + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + content.length + "\r\n")
                        + "\r\n";
                channel.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
                channel.write(ByteBuffer.wrap(content));
                return parse(Channels.newInputStream(channel).readAllBytes());
            } catch (IOException e) {
                throw fired.get() ? new TimedOut() : e;
            } finally {
                watchdog.cancel(false);
            }
        }
    }

    private static void close(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is all the watchdog does
        }
    }

    /** Splits a response into its status and body; a chunked body is joined. */
    static Response parse(byte[] raw) throws IOException {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
        if (end < 0) {
            throw new IOException("the engine's response ended inside its headers");
        }
        String[] head = new String(raw, 0, end, StandardCharsets.US_ASCII).split("\r\n");
        int status = Integer.parseInt(head[0].split(" ")[1]);
        byte[] body = Arrays.copyOfRange(raw, end + 4, raw.length);
        for (String header : head) {
            if (header.toLowerCase(Locale.ROOT).matches("transfer-encoding:\\s*chunked\\s*")) {
                return new Response(status, dechunk(body));
            }
        }
        return new Response(status, body);
    }

    private static byte[] dechunk(byte[] body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (true) {
            int line = indexOf(body, new byte[] {'\r', '\n'}, at);
            if (line < 0) {
                throw new IOException("a chunked body ended inside a chunk's size");
            }
            int size = Integer.parseInt(new String(body, at, line - at, StandardCharsets.US_ASCII).split(";")[0].strip(), 16);
            if (size == 0) {
                return out.toByteArray();
            }
            out.write(body, line + 2, Math.min(size, body.length - line - 2));
            at = line + 2 + size + 2;
        }
    }

    /** An exec's output without a terminal: frames of [stream, 0, 0, 0, length (4 bytes)] and the bytes. */
    static void demultiplex(byte[] stream, ByteArrayOutputStream out, ByteArrayOutputStream err) {
        int at = 0;
        while (at + 8 <= stream.length) {
            int length = ByteBuffer.wrap(stream, at + 4, 4).getInt();
            int size = Math.min(length, stream.length - at - 8);
            (stream[at] == 2 ? err : out).write(stream, at + 8, size);
            at += 8 + size;
        }
    }

    private static int indexOf(byte[] data, byte[] what, int from) {
        outer:
        for (int i = from; i <= data.length - what.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (data[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A JSON array of strings. */
    static String json(List<String> strings) {
        StringBuilder out = new StringBuilder("[");
        for (String s : strings) {
            out.append(out.length() > 1 ? "," : "").append('"');
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
                }
            }
            out.append('"');
        }
        return out.append(']').toString();
    }
}
