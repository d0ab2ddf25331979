package dev.todoplatform.daemons;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/** One process of the service jar (service/target/service.jar), as the container runs it. */
public final class ServiceInstance implements AutoCloseable {
    /** -XX:MaxRAM standing in for the pod's default memory limit (320Mi): the heap is then what a pod's would be. */
    static final String POD_MEMORY = "-XX:MaxRAM=320m";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final String mode;
    private final int port;
    private final Path log;
    private final List<String> command;
    private final Map<String, String> env;
    private ManagedProcess process;
    private long startedNanos;

    public ServiceInstance(Path jar, String mode, int port, Path log, Map<String, String> env) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build it with `mvn -pl service -am package -DskipTests`");
        }
        this.mode = mode;
        this.port = port;
        this.log = log;
        this.command = new ArrayList<>(List.of("java", POD_MEMORY));
        this.command.addAll(jvmFlags(jar));
        this.command.addAll(List.of("-jar", jar.toString(), mode));
        this.env = new HashMap<>(env);
        this.env.put("PORT", Integer.toString(port));
    }

    /**
     * The container's JVM flags, as the jar carries them (service/pom.xml's jib.container.jvmFlags, the one
     * declaration Jib builds the image with).
     */
    static List<String> jvmFlags(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            JarEntry entry = file.getJarEntry("META-INF/todo-platform/jvm-flags");
            if (entry == null) {
                throw new IllegalStateException(jar + " carries no META-INF/todo-platform/jvm-flags: rebuild it");
            }
            String flags = new String(file.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8).strip();
            return List.of(flags.split(","));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public ServiceInstance start() {
        startedNanos = System.nanoTime();
        process = ManagedProcess.start(mode, command, log, env, "TERM");
        return this;
    }

    /** Waits for /readyz and returns the time from process start to ready. */
    public Duration awaitReady(Duration timeout) {
        Poll.until(timeout, mode + " on port " + port + " ready", () -> {
            if (!process.alive()) {
                throw new IllegalStateException(mode + " exited: " + process.tail(10));
            }
            return status("/readyz") == 200;
        });
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /**
     * Copies service.jar and its lib/ into {@code dir} (owned by the run-as user), so the servers' user can read
     * them wherever the checkout lives (a root-only home directory, say). Returns the staged jar.
     */
    public static Path stage(Path repo, Path dir) {
        Path built = repo.resolve("service/target");
        if (!Files.isRegularFile(built.resolve("service.jar"))) {
            throw new IllegalStateException(built.resolve("service.jar")
                    + " is missing: build it with `mvn -pl service -am package -DskipTests`");
        }
        try {
            Files.createDirectories(dir.resolve("lib"));
            Files.copy(built.resolve("service.jar"), dir.resolve("service.jar"), StandardCopyOption.REPLACE_EXISTING);
            try (var libs = Files.list(built.resolve("lib"))) {
                for (Path lib : libs.toList()) {
                    Files.copy(lib, dir.resolve("lib").resolve(lib.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            RunAs.own(dir);
            return dir.resolve("service.jar");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    public int port() {
        return port;
    }

    public ManagedProcess process() {
        return process;
    }

    /** Resident memory now and at its peak, in KiB, from /proc. */
    public long[] residentKib() {
        try {
            long rss = 0;
            long peak = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("\\D", ""));
                } else if (line.startsWith("VmHWM:")) {
                    peak = Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
            return new long[] {rss, peak};
        } catch (Exception e) {
            return new long[] {-1, -1};
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.stop(Duration.ofSeconds(20));
        }
    }
}
