package dev.todoplatform.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ConfigFileTest {
    /** Each daemon's list is exactly its directory (what the poms ship), and every file is on the classpath. */
    @Test
    void everyFileShipsAndNamesItsPlaceholders() throws Exception {
        for (Daemon daemon : Daemon.values()) {
            try (var listing = Files.list(Path.of(daemon.directory()))) {
                assertEquals(new TreeSet<>(daemon.files()), listing.map(f -> f.getFileName().toString())
                        .collect(Collectors.toCollection(TreeSet::new)), daemon.directory());
            }
            for (String file : daemon.files()) {
                assertTrue(daemon.load(file).text().length() > 50, file);
            }
        }
        assertEquals(Set.of("ACCESS_LOG", "CONFIG_DIR", "COUNTER_SERVERS", "LISTEN", "PLAIN_HTTP", "RUN_DIR",
                "TODO_SERVERS"), ConfigFile.load("nginx/nginx.conf").placeholders());
        assertEquals(Set.of(), ConfigFile.load("redis/redis.conf").placeholders(), "redis.conf runs as it is");
    }

    /**
     * The rule of README.md beside the files: postgres's files are filled by node.sh at pod start (${X}, values
     * that differ per pod), every other file by the program ({{X}}), never both.
     */
    @Test
    void eachFileIsFilledByTheProgramOrByThePodNeverBoth() {
        for (Daemon daemon : Daemon.values()) {
            for (String file : daemon.files()) {
                ConfigFile f = daemon.load(file);
                boolean atStart = f.text().matches("(?s).*\\$\\{[A-Z][A-Z0-9_]*}.*") && !file.endsWith(".sh");
                if (daemon == Daemon.POSTGRES) {
                    assertEquals(Set.of(), f.placeholders(), file + " is filled at pod start only");
                } else {
                    assertTrue(!atStart, file + " is filled by the program only");
                }
            }
        }
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
    void nginxGetsTheHttpsServerAndTheRedirectOnlyWithACertificate() {
        NginxConfig plain = new NginxConfig("/c", "/r", "/dev/stdout", "8080", "server a;", "server b;", null);
        assertEquals(List.of("nginx.conf", "routes.conf"), List.copyOf(plain.files().keySet()));
        assertTrue(plain.files().get("nginx.conf").contains("include /c/routes.conf;"));
        NginxConfig tls = new NginxConfig("/c", "/r", "/dev/stdout", "8080", "server a;", "server b;",
                new NginxConfig.Tls("8443", "/t"));
        Map<String, String> files = tls.files();
        assertEquals(List.of("nginx.conf", "routes.conf", "redirect.conf", "https.conf"), List.copyOf(files.keySet()));
        assertTrue(files.get("nginx.conf").contains("include /c/redirect.conf;"));
        assertTrue(files.get("https.conf").contains("listen 8443 ssl;"));
        assertTrue(files.get("https.conf").contains("ssl_certificate_key /t/tls.key;"));
        assertTrue(files.get("https.conf").contains("add_header Strict-Transport-Security"));
    }

    @Test
    void theHashFollowsTheContent() {
        assertEquals(ConfigFile.hash("a", "b"), ConfigFile.hash("a", "b"));
        assertNotEquals(ConfigFile.hash("a", "b"), ConfigFile.hash("a", "c"));
        assertNotEquals(ConfigFile.hash("ab", ""), ConfigFile.hash("a", "b"), "boundaries count");
        assertEquals(10, ConfigFile.hash("x").length());
    }
}
