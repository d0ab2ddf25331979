package dev.todoplatform.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigFileTest {
    @Test
    void everyFileShipsAndNamesItsPlaceholders() {
        for (String file : List.of("nginx/nginx.conf", "redis/redis.conf", "postgres/postgresql.conf",
                "postgres/pg_hba.conf", "postgres/repmgr.conf", "postgres/node.sh", "pgpool/pgpool.conf",
                "pgpool/pool_hba.conf", "pgpool/pgpool.sh")) {
            assertTrue(ConfigFile.load(file).text().length() > 50, file);
        }
        assertEquals(Set.of("ACCESS_LOG", "COUNTER_SERVERS", "LISTEN", "RUN_DIR", "TODO_SERVERS", "TRIES"),
                ConfigFile.load("nginx/nginx.conf").placeholders());
        assertEquals(Set.of(), ConfigFile.load("redis/redis.conf").placeholders(), "redis.conf runs as it is");
    }

    @Test
    void renderingFillsEveryPlaceholderOrSaysWhichAreMissing() {
        ConfigFile hba = ConfigFile.load("pgpool/pool_hba.conf");
        assertTrue(hba.render(Map.of("CLIENT_NETWORK", "127.0.0.1/32")).contains("all   127.0.0.1/32  scram-sha-256"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> hba.render(Map.of()));
        assertEquals("pgpool/pool_hba.conf needs values for [CLIENT_NETWORK]", missing.getMessage());
        IllegalArgumentException extra = assertThrows(IllegalArgumentException.class,
                () -> hba.render(Map.of("CLIENT_NETWORK", "x", "PORT", "1")));
        assertEquals("pgpool/pool_hba.conf has no placeholders [PORT]", extra.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConfigFile.load("nope.conf"));
    }

    @Test
    void theHashFollowsTheContent() {
        assertEquals(ConfigFile.hash("a", "b"), ConfigFile.hash("a", "b"));
        assertNotEquals(ConfigFile.hash("a", "b"), ConfigFile.hash("a", "c"));
        assertNotEquals(ConfigFile.hash("ab", ""), ConfigFile.hash("a", "b"), "boundaries count");
        assertEquals(10, ConfigFile.hash("x").length());
    }
}
