package dev.todoplatform.daemons;

import dev.todoplatform.config.ConfigFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/** Writes the repo's config files into a run directory: verbatim, or rendered with local addresses and paths. */
final class ConfigDir {
    private ConfigDir() {
    }

    static Path copy(Path dir, String component, String... files) {
        try {
            Files.createDirectories(dir);
            for (String file : files) {
                Path target = Files.writeString(dir.resolve(file), ConfigFile.load(component + "/" + file).text());
                if (file.endsWith(".sh")) {
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r-xr-xr-x"));
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path render(Path dir, String component, String file, Map<String, String> values) {
        return write(dir, file, ConfigFile.load(component + "/" + file).render(values));
    }

    static Path write(Path dir, String file, String text) {
        try {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve(file), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
