package dev.todoplatform.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Provider settings that arrive as JSON text (objects and lists in a stack file), read with errors naming the key. */
public final class Json {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Json() {
    }

    /** A list of strings, or one string. */
    public static List<String> strings(String key, String text) {
        JsonNode node = read(key, text);
        List<String> out = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        } else {
            out.add(node.asText());
        }
        return out;
    }

    /** An object of string fields, only the {@code allowed} ones; the first one is required. */
    public static Map<String, String> fields(String key, String text, List<String> allowed) {
        JsonNode node = read(key, text);
        if (!node.isObject() || !node.hasNonNull(allowed.get(0))) {
            throw new ConfigError(key + "=" + text + " is invalid: expected an object with " + allowed.get(0)
                    + " and optionally " + allowed.subList(1, allowed.size()));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new ConfigError(key + "." + name + " is not forwarded to the provider: supported are " + allowed);
            }
            out.put(name, node.get(name).asText());
        }
        return out;
    }

    private static JsonNode read(String key, String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            return JSON.getNodeFactory().textNode(text);
        }
    }
}
