package dev.todoplatform.daemons;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;

/**
 * The non-root user every server runs as. PostgreSQL refuses root, and the pods run non-root too; so when this
 * JVM is root (CI, a fresh machine) commands are wrapped in {@code setpriv} (which execs, so the PID we hold is
 * the server's own) and the directories they write are handed to that user.
 */
public final class RunAs {
    public static final String USER = System.getProperty("todo.runAs", "postgres");
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private RunAs() {
    }

    public static boolean isRoot() {
        return ROOT;
    }

    /**
     * A process builder for {@code command} as the run-as user, in a working directory that user can enter
     * (the JVM's own may be inside a root-only checkout, and repmgr, initdb and postgres all trip over that).
     */
    public static ProcessBuilder builder(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(wrap(command));
        return ROOT ? builder.directory(Path.of("/").toFile()) : builder;
    }

    public static List<String> wrap(List<String> command) {
        if (!ROOT) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER,
                "--init-groups", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** A new temporary directory that the run-as user owns (so it can also create what it needs inside). */
    public static Path tempDir(String prefix) {
        try {
            return own(Files.createTempDirectory(prefix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates {@code dir} (and parents) and makes the whole tree belong to the run-as user. */
    public static Path own(Path dir) {
        try {
            Files.createDirectories(dir);
            if (ROOT) {
                UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
                UserPrincipal user = lookup.lookupPrincipalByName(USER);
                GroupPrincipal group = lookup.lookupPrincipalByGroupName(USER);
                Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                        chown(d);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                        chown(f);
                        return FileVisitResult.CONTINUE;
                    }

                    private void chown(Path p) throws IOException {
                        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
                        view.setOwner(user);
                        view.setGroup(group);
                    }
                });
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir + " for user " + USER, e);
        }
    }
}
