package dev.todoplatform.service.db;

import dev.todoplatform.service.ConfigError;
import dev.todoplatform.service.Settings;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/** Versioned schema changes (src/main/resources/db/migration), applied by the `migrate` mode only. */
public final class Migrations {
    /** The newest migration this build ships (MigrationsTest keeps it equal to the highest V file). */
    static final String LATEST = "1";
    private static final long CONNECT_BUDGET_MS = TimeUnit.SECONDS.toMillis(60);
    private static final String NO_HISTORY = "42P01";

    /** Flyway versions compare part by part as numbers: 1.10 is newer than 1.9. */
    static final Comparator<String> VERSIONS = (a, b) -> {
        long[] x = parts(a);
        long[] y = parts(b);
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Long.compare(i < x.length ? x[i] : 0, i < y.length ? y[i] : 0);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    };

    private Migrations() {
    }

    public static MigrateResult migrate(Settings.DatabaseAccess settings) {
        return Flyway.configure()
                .dataSource(settings.url(), settings.user(), settings.password())
                .locations("classpath:db/migration")
                .connectRetries(30)
                .connectRetriesInterval(2)
                .load()
                .migrate();
    }

    /**
     * The `todo` mode refuses to serve a schema older than the code it runs. It reads Flyway's history table with
     * one query instead of starting Flyway, which would cost a third of the service's start-up time.
     */
    public static void requireCurrent(Database database) {
        String current = appliedVersion(database);
        if (current == null || VERSIONS.compare(current, LATEST) < 0) {
            throw new ConfigError("database schema is at version " + (current == null ? "none" : current)
                    + " but this build needs " + LATEST + ": run the service in mode `migrate` first");
        }
    }

    /** The highest successfully applied version, or null for an empty database; waits for it to answer. */
    private static String appliedVersion(Database database) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONNECT_BUDGET_MS);
        while (true) {
            try (Connection c = database.connection(); Statement s = c.createStatement();
                 ResultSet rows = s.executeQuery(
                         "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL")) {
                String highest = null;
                while (rows.next()) {
                    String version = rows.getString(1);
                    highest = highest == null || VERSIONS.compare(version, highest) > 0 ? version : highest;
                }
                return highest;
            } catch (SQLException e) {
                if (NO_HISTORY.equals(e.getSQLState())) {
                    return null;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new ConfigError("the database (DATABASE_URL) did not answer within "
                            + TimeUnit.MILLISECONDS.toSeconds(CONNECT_BUDGET_MS) + " s: " + e.getMessage());
                }
                // The pool's own connection timeout paces this loop; a refused connection fails fast, so wait too.
                try {
                    Thread.sleep(500);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new ConfigError("interrupted while waiting for the database");
                }
            }
        }
    }

    private static long[] parts(String version) {
        return Arrays.stream(version.split("[._]")).mapToLong(Long::parseLong).toArray();
    }
}
