package dev.todoplatform.config;

import java.util.List;

/**
 * The daemons whose files live under config/, each with its file list, declared once: the components that mount
 * them, the module tests' daemons and ConfigFileTest (which holds each list to its directory, the unit the poms
 * ship) take them from here.
 */
public enum Daemon {
    NGINX("nginx", "nginx.conf", "routes.conf", "redirect.conf", "https.conf"),
    PGPOOL("pgpool", "pgpool.conf", "pool_hba.conf", "pgpool.sh"),
    POSTGRES("postgres", "postgresql.conf", "pg_hba.conf", "repmgr.conf", "node.sh", "sessions.sh"),
    REDIS("redis", "redis.conf");

    private final String directory;
    private final List<String> files;

    Daemon(String directory, String... files) {
        this.directory = directory;
        this.files = List.of(files);
    }

    /** Its directory under config/. */
    public String directory() {
        return directory;
    }

    public List<String> files() {
        return files;
    }

    /** One of its files; asking for another is a mistake in the caller. */
    public ConfigFile load(String file) {
        if (!files.contains(file)) {
            throw new IllegalArgumentException(file + " is not one of " + directory + "'s files " + files);
        }
        return ConfigFile.load(directory + "/" + file);
    }
}
