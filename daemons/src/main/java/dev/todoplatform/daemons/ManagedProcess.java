package dev.todoplatform.daemons;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A server process we started, in the foreground, with its output in a log file. Stopped by its PID: the polite
 * signal first, SIGKILL after a grace period. Anything still running when the JVM exits is killed then.
 */
public final class ManagedProcess implements AutoCloseable {
    private static final Set<ManagedProcess> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(p -> p.process.destroyForcibly()),
                "kill-managed-processes"));
    }

    private final String name;
    private final Process process;
    private final Path log;
    private final String stopSignal;

    private ManagedProcess(String name, Process process, Path log, String stopSignal) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.stopSignal = stopSignal;
    }

    /** Starts {@code command} as the run-as user; {@code stopSignal} is what {@link #stop} sends first. */
    public static ManagedProcess start(String name, List<String> command, Path log, Map<String, String> env,
                                       String stopSignal) {
        return startAs(name, RunAs.builder(command), log, env, stopSignal);
    }

    /** Starts {@code command} as the user this JVM runs as (for programs that need nothing else). */
    public static ManagedProcess startAsInvoker(String name, List<String> command, Path log, Map<String, String> env,
                                                String stopSignal) {
        return startAs(name, new ProcessBuilder(command), log, env, stopSignal);
    }

    private static ManagedProcess startAs(String name, ProcessBuilder builder, Path log, Map<String, String> env,
                                          String stopSignal) {
        builder.redirectErrorStream(true);
        builder.environment().putAll(env);
        try {
            Files.createDirectories(log.getParent());
            builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            ManagedProcess started = new ManagedProcess(name, builder.start(), log, stopSignal);
            RUNNING.add(started);
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + builder.command(), e);
        }
    }

    public String name() {
        return name;
    }

    public String stopSignal() {
        return stopSignal;
    }

    /** Leaves every process running when this JVM exits (`scripts/local up`); `down` stops them by PID. */
    public static void detachAll() {
        RUNNING.clear();
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean alive() {
        return process.isAlive();
    }

    public void signal(String signal) {
        Signals.send(signal, pid());
    }

    /** SIGKILL: the crash the fault tests inject. */
    public void kill() {
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(10));
    }

    public boolean waitForExit(Duration timeout) {
        try {
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (exited) {
                RUNNING.remove(this);
            }
            return exited;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public int exitCode() {
        return process.exitValue();
    }

    public void stop(Duration grace) {
        Signals.stop(process.toHandle(), stopSignal, grace);
        RUNNING.remove(this);
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(15));
    }

    /** The last lines of the log, for error messages. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return name + "[pid " + pid() + "]";
    }

}
