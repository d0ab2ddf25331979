package dev.todoplatform.service.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The `todo` mode's schema check reads versions itself; these keep it in step with Flyway's rules and files. */
class MigrationsTest {
    private static final Pattern VERSIONED = Pattern.compile("V([\\d._]+)__.+\\.sql");

    @Test
    void latestIsTheHighestMigrationThisBuildShips() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
            String highest = files.map(f -> VERSIONED.matcher(f.getFileName().toString()))
                    .filter(Matcher::matches)
                    .map(m -> m.group(1))
                    .max(Migrations.VERSIONS)
                    .orElseThrow();
            assertEquals(highest, Migrations.LATEST, "update Migrations.LATEST with the new migration");
        }
    }

    @ParameterizedTest(name = "{0} vs {1}")
    @CsvSource({"1,1,0", "1,2,-1", "2,1,1", "1.10,1.9,1", "1.1,1,1", "1.0,1,0", "2_1,2.1,0", "10,9,1"})
    void versionsCompareAsNumbersPartByPart(String a, String b, int expected) {
        assertEquals(expected, Integer.signum(Migrations.VERSIONS.compare(a, b)));
    }
}
