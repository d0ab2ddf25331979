package dev.todoplatform.pods;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The container engine, through its command line client: every call has a deadline and says why it failed. */
public final class Docker {
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    /** What one call printed and how it ended; exit code -1 when it ran past its deadline and was killed. */
    public record Result(int exit, String out, String err) {
        public boolean ok() {
            return exit == 0;
        }
    }

    private Docker() {
    }

    /** Runs {@code docker args...}, returning its trimmed output, or throws naming the command and its error. */
    static String run(String... args) {
        return run(List.of(args));
    }

    static String run(List<String> args) {
        Result r = call(DEFAULT_TIMEOUT, args);
        if (!r.ok()) {
            throw new IllegalStateException("docker " + summary(args) + " failed (exit " + r.exit() + "): " + r.err().strip());
        }
        return r.out().strip();
    }

    /** A running container's address on its network. */
    static String address(String container) {
        return run("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container);
    }

    static Result call(Duration timeout, String... args) {
        return call(timeout, List.of(args));
    }

    static Result call(Duration timeout, List<String> args) {
        List<String> command = new ArrayList<>(args.size() + 1);
        command.add("docker");
        command.addAll(args);
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                return new Result(-1, out.join(), "timed out after " + timeout.toMillis() + " ms");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run docker: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: docker " + summary(args), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                ByteArrayOutputStream buffer = new ByteArrayOutputStream();
                in.transferTo(buffer);
                return buffer.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, Threads.IO);
    }

    /** The command without its environment values (which may hold secrets). */
    private static String summary(List<String> args) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < args.size() && out.length() < 200; i++) {
            boolean value = i > 0 && (args.get(i - 1).equals("-e") || args.get(i - 1).equals("--env"));
            out.append(i == 0 ? "" : " ").append(value ? args.get(i).replaceAll("=.*", "=...") : args.get(i));
        }
        return out.toString();
    }
}
