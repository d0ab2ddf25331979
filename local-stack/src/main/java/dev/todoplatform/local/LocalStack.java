package dev.todoplatform.local;

import dev.todoplatform.config.Topology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The whole system on 127.0.0.1, from Debian's packages, as the non-root run-as user: PostgreSQL nodes with
 * repmgr (config/postgres/node.sh), PgPool-II, Redis, todo and counter instances, nginx in front. It runs the
 * same config files the Pulumi program puts into ConfigMaps; only addresses, ports and paths differ.
 */
public final class LocalStack implements AutoCloseable {
    /** The shape of the stack; {@link #PROD} mirrors the prod stack's replication settings. */
    public record Options(int postgresNodes, boolean synchronousReplication, int todoInstances, int counterInstances) {
        public static final Options PROD = new Options(3, true, 2, 2);
    }

    public static final String APP_USER = "todo";
    public static final String APP_DATABASE = "todo";
    public static final String CHECK_USER = "pgpool";

    private final Path dir;
    private final Path repo;
    private Path jar;
    private final Options options;
    private final Map<String, String> passwords = new HashMap<>();
    private final List<PostgresNode> nodes = new ArrayList<>();
    private final List<ServiceInstance> todos = new ArrayList<>();
    private final List<ServiceInstance> counters = new ArrayList<>();
    private ManagedProcess pgpool;
    private int pgpoolPort;
    private RedisServer redis;
    private Nginx nginx;

    private LocalStack(Path repo, Path dir, Options options) {
        this.dir = dir;
        this.repo = repo;
        this.options = options;
        SecureRandom random = new SecureRandom();
        for (String user : List.of("postgres", "repmgr", APP_USER, CHECK_USER, "redis")) {
            byte[] bytes = new byte[16];
            random.nextBytes(bytes);
            passwords.put(user, HexFormat.of().formatHex(bytes));
        }
    }

    /** Starts everything and returns when nginx answers and every part is ready. */
    public static LocalStack start(Path repo, Path dir, Options options) {
        LocalStack stack = new LocalStack(repo, dir, options);
        try {
            stack.startAll();
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private void startAll() {
        RunAs.own(dir);
        jar = ServiceInstance.stage(repo, dir.resolve("service"));
        Path postgresConfig = ConfigDir.copy(dir.resolve("config/postgres"), "postgres",
                "postgresql.conf", "pg_hba.conf", "repmgr.conf", "node.sh");
        List<Integer> ports = IntStream.range(0, options.postgresNodes()).mapToObj(i -> Ports.free()).toList();
        String peers = String.join(" ", ports.stream().map(p -> "127.0.0.1:" + p).toList());
        for (int i = 0; i < ports.size(); i++) {
            Path nodeDir = dir.resolve(Topology.nodeName(i));
            Map<String, String> env = new HashMap<>(Map.ofEntries(
                    Map.entry("NODE_NAME", Topology.nodeName(i)),
                    Map.entry("NODE_HOST", "127.0.0.1"),
                    Map.entry("PG_PORT", Integer.toString(ports.get(i))),
                    Map.entry("PGDATA", nodeDir.resolve("data").toString()),
                    Map.entry("CONFIG_DIR", postgresConfig.toString()),
                    Map.entry("RUN_DIR", nodeDir.resolve("run").toString()),
                    Map.entry("PEERS", peers),
                    Map.entry("LISTEN_ADDRESSES", "127.0.0.1"),
                    Map.entry("CLIENT_NETWORK", "127.0.0.1/32"),
                    Map.entry("SYNCHRONOUS_STANDBY_NAMES",
                            Topology.synchronousStandbyNames(ports.size(), options.synchronousReplication())),
                    Map.entry("PG_BINDIR", PostgresServer.BIN.toString()),
                    Map.entry("HOME", nodeDir.toString()),
                    Map.entry("POSTGRES_PASSWORD", passwords.get("postgres")),
                    Map.entry("REPMGR_PASSWORD", passwords.get("repmgr")),
                    Map.entry("APP_USER", APP_USER),
                    Map.entry("APP_PASSWORD", passwords.get(APP_USER)),
                    Map.entry("APP_DATABASE", APP_DATABASE),
                    Map.entry("PGPOOL_USER", CHECK_USER),
                    Map.entry("PGPOOL_PASSWORD", passwords.get(CHECK_USER))));
            nodes.add(new PostgresNode(Topology.nodeName(i), ports.get(i), nodeDir, postgresConfig, env,
                    passwords.get("repmgr")));
        }
        // Like the StatefulSet's Parallel policy and the pod's two containers: every node and its repmgrd at
        // once; node 0 initialises, the others clone it once it is registered.
        for (PostgresNode node : nodes) {
            node.start();
            node.startRepmgrd();
        }
        nodes.forEach(n -> n.awaitReady(Duration.ofMinutes(3)));
        startPgpool(ports);
        redis = RedisServer.withRepoConfig(dir.resolve("redis"), Ports.free(), "--requirepass", passwords.get("redis"));
        migrate();
        for (int i = 0; i < options.todoInstances(); i++) {
            todos.add(new ServiceInstance(jar, "todo", Ports.free(), dir.resolve("todo-" + i + ".log"), databaseEnv()).start());
        }
        for (int i = 0; i < options.counterInstances(); i++) {
            counters.add(new ServiceInstance(jar, "counter", Ports.free(), dir.resolve("counter-" + i + ".log"),
                    Map.of("REDIS_HOST", "127.0.0.1", "REDIS_PORT", Integer.toString(redis.port()),
                            "REDIS_PASSWORD", passwords.get("redis"))).start());
        }
        todos.forEach(t -> t.awaitReady(Duration.ofSeconds(60)));
        counters.forEach(c -> c.awaitReady(Duration.ofSeconds(60)));
        nginx = Nginx.start(dir.resolve("nginx"), Ports.free(), todos.stream().map(ServiceInstance::port).toList(),
                counters.stream().map(ServiceInstance::port).toList());
        writeState();
    }

    private void startPgpool(List<Integer> ports) {
        pgpoolPort = Ports.free();
        Path configDir = dir.resolve("config/pgpool");
        Path runDir = RunAs.own(dir.resolve("pgpool"));
        ConfigDir.copy(configDir, "pgpool", "pgpool.sh");
        ConfigDir.render(configDir, "pgpool", "pgpool.conf", Map.of(
                "LISTEN_ADDRESSES", "127.0.0.1",
                "PORT", Integer.toString(pgpoolPort),
                "PCP_PORT", Integer.toString(Ports.free()),
                "RUN_DIR", runDir.toString(),
                "BACKENDS", Topology.pgpoolBackends(ports.stream().map(p -> "127.0.0.1:" + p).toList()),
                "CHECK_USER", CHECK_USER));
        ConfigDir.render(configDir, "pgpool", "pool_hba.conf", Map.of("CLIENT_NETWORK", "127.0.0.1/32"));
        RunAs.own(dir.resolve("config"));
        Map<String, String> env = Map.of("CONFIG_DIR", configDir.toString(), "RUN_DIR", runDir.toString(),
                "PORT", Integer.toString(pgpoolPort), "APP_USER", APP_USER, "APP_PASSWORD", passwords.get(APP_USER),
                "CHECK_USER", CHECK_USER, "CHECK_PASSWORD", passwords.get(CHECK_USER));
        pgpool = ManagedProcess.start("pgpool", List.of("sh", configDir.resolve("pgpool.sh").toString(), "run"),
                runDir.resolve("pgpool.log"), env, "INT");
        Poll.until(Duration.ofSeconds(60), "pgpool ready: " + pgpool.tail(5), () -> {
            try {
                Commands.run(List.of("sh", configDir.resolve("pgpool.sh").toString(), "ready"), env, Duration.ofSeconds(10));
                return true;
            } catch (RuntimeException e) {
                if (!pgpool.alive()) {
                    throw new IllegalStateException("pgpool exited: " + pgpool.tail(20));
                }
                return false;
            }
        });
    }

    private void migrate() {
        try (ServiceInstance migrate = new ServiceInstance(jar, "migrate", Ports.free(), dir.resolve("migrate.log"), databaseEnv())) {
            migrate.start();
            if (!migrate.process().waitForExit(Duration.ofSeconds(120)) || migrate.process().exitCode() != 0) {
                throw new IllegalStateException("migrate failed: " + migrate.process().tail(20));
            }
        }
    }

    /** What a todo instance (or a test's own client) needs to reach the database through PgPool. */
    public Map<String, String> databaseEnv() {
        return Map.of("DATABASE_URL", "jdbc:postgresql://127.0.0.1:" + pgpoolPort + "/" + APP_DATABASE,
                "DATABASE_USER", APP_USER, "DATABASE_PASSWORD", passwords.get(APP_USER));
    }

    public String url() {
        return nginx.url();
    }

    public List<PostgresNode> nodes() {
        return nodes;
    }

    public PostgresNode primary() {
        return nodes.stream().filter(PostgresNode::isPrimary).findFirst()
                .orElseThrow(() -> new IllegalStateException("no primary"));
    }

    public ManagedProcess pgpool() {
        return pgpool;
    }

    public RedisServer redis() {
        return redis;
    }

    public List<ServiceInstance> todos() {
        return todos;
    }

    public List<ServiceInstance> counters() {
        return counters;
    }

    public Path dir() {
        return dir;
    }

    /** PgPool's own view of a node: "up" in SHOW pool_nodes (answered by PgPool only in the simple protocol). */
    public boolean attached(PostgresNode node) {
        Map<String, String> db = databaseEnv();
        try (Connection c = DriverManager.getConnection(db.get("DATABASE_URL") + "?preferQueryMode=simple",
                db.get("DATABASE_USER"), db.get("DATABASE_PASSWORD"));
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW pool_nodes")) {
            while (rs.next()) {
                if (rs.getInt("port") == node.port()) {
                    return "up".equals(rs.getString("status"));
                }
            }
            return false;
        } catch (SQLException e) {
            return false;
        }
    }

    /** Every process this stack started, front door first (the order `down` stops them in). */
    public List<ManagedProcess> processes() {
        List<ManagedProcess> all = new ArrayList<>();
        if (nginx != null) {
            all.add(nginx.process());
        }
        todos.stream().map(ServiceInstance::process).forEach(all::add);
        counters.stream().map(ServiceInstance::process).forEach(all::add);
        if (redis != null) {
            all.add(redis.process());
        }
        if (pgpool != null) {
            all.add(pgpool);
        }
        nodes.stream().map(PostgresNode::repmgrd).filter(Objects::nonNull).forEach(all::add);
        nodes.stream().map(PostgresNode::postgres).filter(Objects::nonNull).forEach(all::add);
        return all;
    }

    /** stack.pids: one "name pid signal" line per process, for `scripts/local down` from another JVM. */
    private void writeState() {
        StringBuilder state = new StringBuilder();
        for (ManagedProcess p : processes()) {
            state.append(p.name()).append(' ').append(p.pid()).append(' ').append(p.stopSignal()).append('\n');
        }
        state.append("url ").append(url()).append('\n');
        try {
            Files.writeString(dir.resolve("stack.pids"), state);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (ManagedProcess p : processes()) {
            p.stop(Duration.ofSeconds(30));
        }
    }
}
