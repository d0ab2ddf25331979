package dev.todoplatform.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The jar carries the image's JVM flags (service/pom.xml's jib.container.jvmFlags, declared once), so the local
 * stack and the benchmark run the jar as the container does.
 */
class JvmFlagsTest {
    @Test
    void theJarCarriesTheImagesJvmFlags() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/todo-platform/jvm-flags")) {
            assertNotNull(in, "META-INF/todo-platform/jvm-flags is not on the classpath");
            List<String> flags = List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip().split(","));
            assertEquals(List.of(), flags.stream().filter(f -> !f.matches("-[A-Za-z].*") || f.contains("${")).toList(),
                    "one JVM flag per entry, filtered from the pom property: " + flags);
            assertTrue(flags.contains("-XX:+UseSerialGC"), flags.toString());
        }
    }
}
