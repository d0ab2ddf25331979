package dev.todoplatform.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;

/** Entry point of scripts/local (up, down, status) and scripts/bench-service (bench). */
public final class Cli {
    private Cli() {
    }

    public static void main(String[] args) throws Exception {
        String command = args.length > 0 ? args[0] : "";
        Path repo = Path.of(System.getProperty("todo.repo", ".")).toAbsolutePath().normalize();
        // As root the servers run as the postgres user, which may not reach into the checkout (e.g. under /root).
        String fallback = RunAs.isRoot() ? "/var/tmp/todo-platform-local" : repo.resolve(".local").toString();
        Path dir = Path.of(System.getProperty("todo.dir", fallback)).toAbsolutePath();
        switch (command) {
            case "bench" -> Bench.run(repo);
            case "up" -> up(repo, dir);
            case "down" -> down(dir, args.length > 1 && args[1].equals("--wipe"));
            case "status" -> status(dir);
            default -> {
                System.err.println("usage: local up | down [--wipe] | status");
                System.exit(2);
            }
        }
    }

    private static void up(Path repo, Path dir) throws IOException {
        if (Files.exists(dir.resolve("stack.pids")) && anyAlive(dir)) {
            System.err.println("a local stack is already running (" + dir + "): `scripts/local down` first");
            System.exit(1);
        }
        if (Files.exists(dir)) {
            wipe(dir);
        }
        LocalStack stack = LocalStack.start(repo, dir, LocalStack.Options.PROD);
        ManagedProcess.detachAll();
        System.out.println("todo-platform is up: " + stack.url());
        System.out.println("  primary " + stack.primary().name() + ", " + stack.nodes().size() + " PostgreSQL nodes, "
                + "pgpool, redis, " + stack.todos().size() + " todo + " + stack.counters().size() + " counter instances, nginx");
        System.out.println("  logs and data: " + dir + "   stop: scripts/local down [--wipe]");
    }

    private static void down(Path dir, boolean wipe) throws IOException {
        Path state = dir.resolve("stack.pids");
        if (!Files.exists(state)) {
            System.out.println("no local stack in " + dir);
        } else {
            for (String line : Files.readAllLines(state)) {
                String[] f = line.split(" ");
                if (f[0].equals("url")) {
                    continue;
                }
                Optional<ProcessHandle> handle = ProcessHandle.of(Long.parseLong(f[1]));
                if (handle.isPresent() && handle.get().isAlive()) {
                    Signals.stop(handle.get(), f[2], Duration.ofSeconds(30));
                    System.out.println("stopped " + f[0] + " (pid " + f[1] + ")");
                }
            }
            Files.delete(state);
        }
        if (wipe && Files.exists(dir)) {
            wipe(dir);
            System.out.println("wiped " + dir);
        }
    }

    private static void status(Path dir) throws IOException {
        Path state = dir.resolve("stack.pids");
        if (!Files.exists(state)) {
            System.out.println("no local stack in " + dir);
            return;
        }
        for (String line : Files.readAllLines(state)) {
            String[] f = line.split(" ");
            if (f[0].equals("url")) {
                System.out.println("url " + f[1]);
            } else {
                boolean alive = ProcessHandle.of(Long.parseLong(f[1])).map(ProcessHandle::isAlive).orElse(false);
                System.out.printf("%-18s pid %-7s %s%n", f[0], f[1], alive ? "running" : "STOPPED");
            }
        }
    }

    private static boolean anyAlive(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve("stack.pids")).stream().map(l -> l.split(" "))
                .filter(f -> !f[0].equals("url"))
                .anyMatch(f -> ProcessHandle.of(Long.parseLong(f[1])).map(ProcessHandle::isAlive).orElse(false));
    }

    private static void wipe(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
