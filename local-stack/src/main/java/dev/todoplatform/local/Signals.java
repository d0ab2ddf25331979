package dev.todoplatform.local;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Sends a named signal to a PID with kill(1): Java itself only knows TERM and KILL. */
public final class Signals {
    private Signals() {
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
