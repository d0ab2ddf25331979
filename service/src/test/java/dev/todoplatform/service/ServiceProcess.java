package dev.todoplatform.service;

import dev.todoplatform.daemons.ManagedProcess;
import dev.todoplatform.daemons.Poll;
import dev.todoplatform.daemons.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The service as a real process (one mode), started from the test classpath and stopped by PID. */
public final class ServiceProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final ManagedProcess process;
    private final int port;
    private final Map<String, String> env;

    private ServiceProcess(ManagedProcess process, int port, Map<String, String> env) {
        this.process = process;
        this.port = port;
        this.env = env;
    }

    /** The name of the database it runs on (todo mode). */
    public String database() {
        String url = env.get("DATABASE_URL");
        return url.substring(url.lastIndexOf('/') + 1);
    }

    public static Map<String, String> todoEnv(String jdbcUrl) {
        return Map.of("DATABASE_URL", jdbcUrl, "DATABASE_USER", Backends.DB_USER,
                "DATABASE_PASSWORD", Backends.DB_PASSWORD, "DATABASE_POOL_SIZE", "4");
    }

    public static Map<String, String> counterEnv() {
        return Map.of("REDIS_HOST", "127.0.0.1", "REDIS_PORT", Integer.toString(Backends.redis().port()));
    }

    /** A todo instance on a fresh, migrated database of its own: what most test classes start from. */
    public static ServiceProcess todoOnFreshDatabase() throws Exception {
        String db = Backends.newDatabase();
        Migrate.run(db);
        return ready("todo", todoEnv(db));
    }

    /** Starts the mode and returns once /readyz answers 200. */
    public static ServiceProcess ready(String mode, Map<String, String> env) {
        ServiceProcess service = launch(mode, env);
        Poll.until(Duration.ofSeconds(30), mode + " ready: " + service.process.tail(5), () -> {
            if (!service.process.alive()) {
                throw new IllegalStateException(mode + " exited: " + service.process.tail(20));
            }
            return service.status("/readyz") == 200;
        });
        return service;
    }

    /** Starts the mode without waiting (for tests of startup failures). */
    public static ServiceProcess launch(String mode, Map<String, String> env) {
        int port = Ports.free();
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("PORT", Integer.toString(port));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = ProcessHandle.current().info().command().orElse("java");
        try {
            Path log = Files.createTempFile("service-" + mode, ".log");
            ManagedProcess process = ManagedProcess.startAsInvoker(mode,
                    List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-cp", classpath, Main.class.getName(), mode),
                    log, all, "TERM");
            return new ServiceProcess(process, all.get("PORT").matches("\\d+") ? Integer.parseInt(all.get("PORT")) : port, env);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public ManagedProcess process() {
        return process;
    }

    public int port() {
        return port;
    }

    public String log() throws IOException {
        return Files.readString(process.log());
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(20));
    }
}
