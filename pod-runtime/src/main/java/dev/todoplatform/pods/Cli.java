package dev.todoplatform.pods;

import dev.todoplatform.infra.ConfigError;
import dev.todoplatform.infra.Render;
import dev.todoplatform.infra.StackFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * scripts/local: a stack's rendered objects on the pod runtime.
 * <pre>
 *   up STACK [--port N]    render, create everything, print the URL, then keep the pods as their specs say
 *                          (this process is the controller and the kubelet; it runs until `down`)
 *   status STACK           pods with readiness and restarts
 *   down STACK [--wipe]    remove the stack's containers; --wipe: its volumes too
 * </pre>
 */
public final class Cli {
    private Cli() {
    }

    static Path stateRoot() {
        return Path.of(System.getProperty("todo.state", "/var/tmp/todo-platform/stacks"));
    }

    static Path repo() {
        return Path.of(System.getProperty("todo.repo", ".")).toAbsolutePath().normalize();
    }

    /**
     * The stack's objects, as the Pulumi program creates them (the program runs under the SDK's mocks). The
     * generated passwords are kept in {@code stateRoot/STACK/passwords} (what Pulumi's state does for a real
     * stack), so a stack whose volumes outlive a run keeps the passwords its data was made with.
     */
    public static List<Map<String, Object>> render(String stack, Path stateRoot) {
        Path file = passwordsFile(stateRoot, stack);
        try {
            Properties stored = new Properties();
            if (Files.exists(file)) {
                try (var in = Files.newBufferedReader(file)) {
                    stored.load(in);
                }
            }
            Map<String, String> passwords = new ConcurrentHashMap<>();
            stored.forEach((k, v) -> passwords.put((String) k, (String) v));
            List<Map<String, Object>> objects = Render.run(StackFiles.config(stack), passwords).objects();
            Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(Modes.of(0700)));
            stored.putAll(passwords);
            try (var out = Files.newBufferedWriter(file)) {
                stored.store(out, "generated passwords of stack " + stack + " (removed with down --wipe)");
            }
            Files.setPosixFilePermissions(file, Modes.of(0600));
            return objects;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where a stack's generated passwords are kept (what Pulumi's state does for a real stack). */
    static Path passwordsFile(Path stateRoot, String stack) {
        return stateRoot.resolve(stack).resolve("passwords");
    }

    /**
     * Data volumes whose passwords are gone (the state directory was lost, the engine's volumes were not) hold
     * databases that new passwords cannot open: every node would wait for a peer it cannot log in to. Refused.
     */
    static void requirePasswordsOfData(String stack, Path stateRoot) {
        List<String> volumes = Cluster.claimVolumes(stack);
        Path file = passwordsFile(stateRoot, stack);
        if (!volumes.isEmpty() && !Files.exists(file)) {
            throw new IllegalStateException("stack " + stack + " has data volumes (" + String.join(", ", volumes)
                    + ") but not the passwords they were made with (" + file + " is gone); remove the volumes, and"
                    + " their data, with: ./scripts/local down " + stack + " --wipe");
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: up STACK [--port N] | status STACK | down STACK [--wipe]");
            System.exit(2);
        }
        String stack = args[1];
        Path status = stateRoot().resolve(stack).resolve("status.txt");
        try {
            switch (args[0]) {
                case "up" -> up(stack, args.length > 3 && args[2].equals("--port") ? Integer.parseInt(args[3]) : 8080, status);
                case "status" -> System.out.print(Files.exists(status) ? Files.readString(status) : "stack " + stack + " is not running\n");
                case "down" -> {
                    boolean wipe = args.length > 2 && args[2].equals("--wipe");
                    Cluster.down(stack, wipe);
                    Files.deleteIfExists(status);
                    if (wipe) {
                        Files.deleteIfExists(passwordsFile(stateRoot(), stack));
                    }
                }
                default -> {
                    System.err.println("unknown command " + args[0]);
                    System.exit(2);
                }
            }
        } catch (ConfigError | IllegalArgumentException | IllegalStateException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
        System.exit(0);
    }

    private static void up(String stack, int port, Path status) throws IOException, InterruptedException {
        long start = System.nanoTime();
        requirePasswordsOfData(stack, stateRoot());
        Cluster cluster = Cluster.load(stack, render(stack, stateRoot()), new Cluster.Options(stateRoot(), repo(), port, false));
        cluster.apply();
        System.out.printf("pods: %s %d/%d ready in %.1f s%n", stack, cluster.readyPods(), cluster.servingPods(),
                (System.nanoTime() - start) / 1e9);
        System.out.println("stack " + stack + " is up: " + cluster.url());
        System.out.flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        do {
            Files.writeString(status, "stack " + stack + ": " + cluster.url() + "\n" + cluster.status());
        } while (!stop.await(2, TimeUnit.SECONDS));
    }
}
