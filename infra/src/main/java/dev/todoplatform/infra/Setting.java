package dev.todoplatform.infra;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One stack setting, declared once: its key (dotted below an object, e.g. {@code replicas.todo} or
 * {@code cluster.zones}), what it is, its default and what is allowed, and the platforms it applies to. The parser
 * reads defaults and ranges from here, the error messages name it, and the README's settings table is generated
 * from the catalog ({@link StackConfig#SETTINGS}, held to the README by a test).
 *
 * @param min, max   the range of an integer setting
 * @param choices    the allowed values of a choice (also of a number from a fixed list)
 * @param allowed    what is allowed, in words (the README table shows it)
 * @param platforms  where it applies: empty means every platform
 */
public record Setting(String key, String defaultValue, int min, int max, List<String> choices,
                      String allowed, List<StackConfig.Platform> platforms, String description) {

    static Setting text(String key, String defaultValue, String allowed, String description) {
        return new Setting(key, defaultValue, 0, 0, List.of(), allowed, List.of(), description);
    }

    static Setting integer(String key, int defaultValue, int min, int max, String description) {
        return new Setting(key, Integer.toString(defaultValue), min, max, List.of(),
                min + ".." + max, List.of(), description);
    }

    static Setting choice(String key, String defaultValue, List<String> choices, String description) {
        return new Setting(key, defaultValue, 0, 0, List.copyOf(choices),
                choices.stream().map(c -> "`" + c + "`").collect(Collectors.joining(", ")), List.of(), description);
    }

    static Setting bool(String key, boolean defaultValue, String description) {
        return new Setting(key, Boolean.toString(defaultValue), 0, 0, List.of(), "`true`, `false`",
                List.of(), description);
    }

    static Setting quantity(String key, String defaultValue, String description) {
        return new Setting(key, defaultValue, 0, 0, List.of(), "a Kubernetes quantity", List.of(),
                description);
    }

    static Setting image(String key, String defaultValue) {
        return new Setting(key, defaultValue, 0, 0, List.of(), "pinned tag or digest, never `latest`",
                List.of(), "the " + key.substring(key.indexOf('.') + 1) + " image");
    }

    static Setting list(String key, String defaultValue, String allowed, String description) {
        return new Setting(key, defaultValue, 0, 0, List.of(), allowed, List.of(), description);
    }

    static Setting object(String key, String allowed, String description) {
        return new Setting(key, null, 0, 0, List.of(), allowed, List.of(), description);
    }

    /** The same setting, for the listed platforms only. */
    Setting on(StackConfig.Platform... only) {
        return new Setting(key, defaultValue, min, max, choices, allowed, List.of(only), description);
    }

    /** The same setting with its default described in words (a default that depends on something else). */
    Setting defaultText(String words) {
        return new Setting(key, words, min, max, choices, allowed, platforms, description);
    }

    boolean appliesTo(StackConfig.Platform platform) {
        return platforms.isEmpty() || platforms.contains(platform);
    }

    /** The key below its object: {@code todo} for {@code replicas.todo}; the key itself at the top. */
    String field() {
        return key.substring(key.lastIndexOf('.') + 1);
    }

    /** The object it belongs to: {@code replicas} for {@code replicas.todo}; empty at the top. */
    String parent() {
        return key.contains(".") ? key.substring(0, key.lastIndexOf('.')) : "";
    }
}
