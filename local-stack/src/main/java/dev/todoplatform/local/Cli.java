package dev.todoplatform.local;

import java.nio.file.Path;

/** Entry point of scripts/local and scripts/bench-service. */
public final class Cli {
    private Cli() {
    }

    public static void main(String[] args) throws Exception {
        String command = args.length > 0 ? args[0] : "";
        Path repo = Path.of(System.getProperty("todo.repo", ".")).toAbsolutePath().normalize();
        switch (command) {
            case "bench" -> Bench.run(repo);
            default -> {
                System.err.println("usage: bench");
                System.exit(2);
            }
        }
    }
}
