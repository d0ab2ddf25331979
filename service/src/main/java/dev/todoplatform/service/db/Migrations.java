package dev.todoplatform.service.db;

import dev.todoplatform.service.ConfigException;
import dev.todoplatform.service.Settings;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;

/** Versioned schema changes (src/main/resources/db/migration), applied by the `migrate` mode only. */
public final class Migrations {
    private final Flyway flyway;

    public Migrations(Settings.Database settings) {
        this.flyway = Flyway.configure()
                .dataSource(settings.url(), settings.user(), settings.password())
                .locations("classpath:db/migration")
                .connectRetries(30)
                .connectRetriesInterval(2)
                .load();
    }

    public MigrateResult migrate() {
        return flyway.migrate();
    }

    /** The `todo` mode refuses to serve a schema older than the code it runs. */
    public void requireCurrent() {
        MigrationInfo[] pending = flyway.info().pending();
        if (pending.length > 0) {
            MigrationInfo current = flyway.info().current();
            throw new ConfigException("database schema is at version "
                    + (current == null ? "none" : current.getVersion())
                    + " but this build needs " + pending[pending.length - 1].getVersion()
                    + ": run the service in mode `migrate` first");
        }
    }
}
