package dev.todoplatform.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

/** Runs the `migrate` mode as a process against a database and checks it succeeded. */
final class Migrate {
    private Migrate() {
    }

    static String run(String jdbcUrl) throws Exception {
        ServiceProcess migrate = ServiceProcess.launch("migrate", ServiceProcess.todoEnv(jdbcUrl));
        migrate.process().waitForExit(Duration.ofSeconds(60));
        assertEquals(0, migrate.process().exitCode(), migrate.log());
        return migrate.log();
    }
}
