package dev.todoplatform.daemons;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A single PostgreSQL 15 server from Debian's package, on 127.0.0.1, for tests that need just a database. */
public final class PostgresServer implements AutoCloseable {
    public static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    private final Path dir;
    private final int port;
    private final List<String> command;
    private ManagedProcess process;

    private PostgresServer(Path dir, int port, List<String> command) {
        this.dir = dir;
        this.port = port;
        this.command = command;
    }

    /** initdb in {@code dir}/data (trust auth: tests only), start, and wait until it accepts connections. */
    public static PostgresServer start(Path dir, int port, String... settings) {
        RunAs.own(dir);
        Path data = dir.resolve("data");
        Commands.run(List.of(BIN.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres",
                "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"), Map.of(), Duration.ofMinutes(2));
        List<String> command = new ArrayList<>(List.of(BIN.resolve("postgres").toString(), "-D", data.toString(),
                "-p", Integer.toString(port), "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=" + dir, "-c", "fsync=off", "-c", "max_connections=200"));
        for (String setting : settings) {
            command.add("-c");
            command.add(setting);
        }
        PostgresServer server = new PostgresServer(dir, port, command);
        server.start();
        return server;
    }

    /** Starts the postmaster on the existing data directory and waits until it accepts connections. */
    public void start() {
        process = ManagedProcess.start("postgres", command, dir.resolve("postgres.log"), Map.of(), "INT");
        Poll.untilNoError(Duration.ofSeconds(60), "postgres on port " + port, () -> {
            try (Connection c = superuser("postgres")) {
                return c.isValid(1);
            }
        });
    }

    public int port() {
        return port;
    }

    public ManagedProcess process() {
        return process;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public Connection superuser(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), "postgres", "");
    }

    /** Creates a login role and a database it owns. */
    public void createDatabase(String name, String owner, String password) throws SQLException {
        try (Connection c = superuser("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + owner + " LOGIN PASSWORD '" + password.replace("'", "''") + "'");
            st.execute("CREATE DATABASE " + name + " OWNER " + owner);
        }
    }

    public void stop() {
        process.stop(Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        stop();
    }
}
