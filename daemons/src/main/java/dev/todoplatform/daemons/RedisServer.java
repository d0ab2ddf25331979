package dev.todoplatform.daemons;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** redis-server from Debian's package on 127.0.0.1, with the repo's redis.conf when given one. */
public final class RedisServer implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final Path config;
    private final List<String> overrides;
    private ManagedProcess process;

    private RedisServer(Path dir, int port, Path config, List<String> overrides) {
        this.dir = dir;
        this.port = port;
        this.config = config;
        this.overrides = overrides;
    }

    /** {@code overrides} are redis.conf directives given on the command line, e.g. {@code "--requirepass", "x"}. */
    public static RedisServer start(Path dir, int port, Path config, String... overrides) {
        RedisServer server = new RedisServer(dir, port, config, List.of(overrides));
        server.start();
        return server;
    }

    /** Runs the repo's redis.conf (config/redis/redis.conf), as the cluster does. */
    public static RedisServer withRepoConfig(Path dir, int port, String... overrides) {
        return start(dir, port, ConfigDir.copy(dir, "redis", "redis.conf").resolve("redis.conf"), overrides);
    }

    /** Starts (again) on the same port and directory: what a restart after a crash does. */
    public void start() {
        RunAs.own(dir);
        List<String> command = new ArrayList<>(List.of("redis-server"));
        if (config != null) {
            command.add(config.toString());
        }
        command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
                "--daemonize", "no", "--logfile", ""));
        command.addAll(overrides);
        process = ManagedProcess.start("redis", command, dir.resolve("redis.log"), Map.of(), "TERM");
        Poll.untilNoError(Duration.ofSeconds(30), "redis on port " + port, () -> ping().startsWith("+PONG")
                || ping().startsWith("-NOAUTH"));
    }

    /** PING over a raw socket: the reply line, e.g. "+PONG" or "-NOAUTH ...". */
    public String ping() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != -1 && c != '\r'; c = in.read()) {
                line.append((char) c);
            }
            return line.toString();
        }
    }

    public int port() {
        return port;
    }

    public ManagedProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(15));
    }
}
