package dev.todoplatform.local;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * One node of the HA cluster, run by the repo's config/postgres/node.sh exactly as the pod's two containers
 * run it: {@code node.sh postgres} (the postmaster, in the foreground) and {@code node.sh repmgrd}.
 */
public final class PostgresNode {
    private final String name;
    private final int port;
    private final Path dir;
    private final Path script;
    private final Map<String, String> env;
    private final String repmgrPassword;
    private ManagedProcess postgres;
    private ManagedProcess repmgrd;

    PostgresNode(String name, int port, Path dir, Path configDir, Map<String, String> env, String repmgrPassword) {
        this.name = name;
        this.port = port;
        this.dir = dir;
        this.script = configDir.resolve("node.sh");
        this.env = env;
        this.repmgrPassword = repmgrPassword;
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    /** Starts the postmaster (node.sh decides: init, clone, rewind and follow, or just start). */
    public void start() {
        RunAs.own(dir);
        postgres = ManagedProcess.start(name, List.of("bash", script.toString(), "postgres"),
                dir.resolve("postgres.log"), env, "INT");
    }

    public void startRepmgrd() {
        repmgrd = ManagedProcess.start(name + "-repmgrd", List.of("bash", script.toString(), "repmgrd"),
                dir.resolve("repmgrd.log"), env, "TERM");
    }

    /** Ready as node.sh's readiness probe says: a primary, or a standby streaming from one. */
    public boolean ready() {
        try {
            return Commands.run(List.of("bash", script.toString(), "ready"), env, Duration.ofSeconds(10)).strip()
                    .matches("primary|standby");
        } catch (RuntimeException e) {
            return false;
        }
    }

    public void awaitReady(Duration timeout) {
        Poll.until(timeout, name + " ready (" + tailOf(postgres) + ")", () -> {
            if (postgres == null || !postgres.alive()) {
                throw new IllegalStateException(name + " exited: " + tailOf(postgres));
            }
            return ready();
        });
    }

    /** True when this node is a primary that accepts writes. */
    public boolean isPrimary() {
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            return rs.next() && !rs.getBoolean(1);
        } catch (SQLException e) {
            return false;
        }
    }

    public Connection connect() throws SQLException {
        return connect("repmgr");
    }

    /** A direct connection to this node (not through PgPool), as the repmgr superuser. */
    public Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "repmgr");
        props.setProperty("password", repmgrPassword);
        props.setProperty("connectTimeout", "2");
        props.setProperty("socketTimeout", "5");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, props);
    }

    /** True once this node has replayed the WAL up to {@code primary}'s current position. */
    public boolean caughtUpWith(PostgresNode primary) {
        try (Connection p = primary.connect(); Statement ps = p.createStatement();
             ResultSet target = ps.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            target.next();
            try (Connection s = connect(); java.sql.PreparedStatement ss = s.prepareStatement(
                    "SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn")) {
                ss.setString(1, target.getString(1));
                try (ResultSet ok = ss.executeQuery()) {
                    return ok.next() && ok.getBoolean(1);
                }
            }
        } catch (SQLException e) {
            return false;
        }
    }

    public ManagedProcess postgres() {
        return postgres;
    }

    public ManagedProcess repmgrd() {
        return repmgrd;
    }

    /** SIGKILL to the postmaster: a crash. repmgrd stays up, as the pod's other container would. */
    public void crash() {
        postgres.kill();
    }

    public void stop() {
        if (repmgrd != null) {
            repmgrd.stop(Duration.ofSeconds(10));
        }
        if (postgres != null) {
            postgres.stop(Duration.ofSeconds(30));
        }
    }

    private static String tailOf(ManagedProcess p) {
        return p == null ? "not started" : p.tail(8);
    }
}
