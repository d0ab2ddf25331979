package dev.todoplatform.daemons;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion as the run-as user; a failure carries the command's own output. */
public final class Commands {
    private Commands() {
    }

    public static String run(List<String> command, Map<String, String> env, Duration timeout) {
        ProcessBuilder builder = RunAs.builder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        try {
            Path out = Files.createTempFile("cmd", ".log");
            try {
                builder.redirectOutput(out.toFile());
                Process process = builder.start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor();
                    throw new IllegalStateException("timed out after " + timeout + ": " + command + "\n"
                            + Files.readString(out));
                }
                String output = Files.readString(out);
                if (process.exitValue() != 0) {
                    throw new IllegalStateException("exit " + process.exitValue() + ": " + command + "\n" + output);
                }
                return output;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, e);
        }
    }
}
