package dev.todoplatform.infra;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/**
 * Reads the real Pulumi.&lt;stack&gt;.yaml files and hands their settings over as the engine would (the tests and
 * {@link Render} run the program on them under mocks). The repository is {@code -Dtodo.repo}, or the parent of
 * the working directory (a module's tests run in the module).
 */
public final class StackFiles {
    static final Path ROOT = Path.of(System.getProperty("todo.repo", "..")).toAbsolutePath().normalize();

    private StackFiles() {
    }

    /** "project:key" to string: scalars as text, lists and objects as JSON (what PULUMI_CONFIG carries). */
    public static Map<String, String> raw(String stack) {
        try (Reader reader = Files.newBufferedReader(ROOT.resolve("Pulumi." + stack + ".yaml"))) {
            Map<String, Object> file = new Yaml().load(reader);
            @SuppressWarnings("unchecked")
            Map<String, Object> config = (Map<String, Object>) file.getOrDefault("config", Map.of());
            Map<String, String> raw = new LinkedHashMap<>();
            ObjectMapper json = new ObjectMapper();
            for (Map.Entry<String, Object> e : config.entrySet()) {
                Object v = e.getValue();
                raw.put(e.getKey(), v instanceof Map || v instanceof Iterable ? json.writeValueAsString(v) : String.valueOf(v));
            }
            return raw;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static StackConfig config(String stack) {
        return StackConfig.parse(stack, raw(stack));
    }
}
