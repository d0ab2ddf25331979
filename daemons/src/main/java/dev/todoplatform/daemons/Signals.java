package dev.todoplatform.daemons;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Sends a named signal to a PID with kill(1): Java itself only knows TERM and KILL. */
public final class Signals {
    private Signals() {
    }

    /** The polite signal, then SIGKILL if the process has not exited within {@code grace}. */
    public static void stop(ProcessHandle process, String signal, Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        send(signal, process.pid());
        try {
            process.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            send("KILL", process.pid());
            process.onExit().join();
        }
    }

    public static void send(String signal, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            kill.getInputStream().readAllBytes();
            kill.waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
