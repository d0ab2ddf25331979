package dev.todoplatform.service.todo;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.todoplatform.service.http.HttpError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** Turns untrusted input into valid values, or a 400 that names the field. Nothing is stored before this passes. */
public final class TodoInput {
    public static final int MAX_NAME_LENGTH = 100;
    public static final int MAX_LIST_LIMIT = 1000;
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** One page of the list: at most {@code limit} items with ids above {@code after}. */
    public record Page(int limit, long after) {
    }

    /** A change to an item: either part may be absent, not both. */
    public record Patch(Boolean completed, String name) {
    }

    private TodoInput() {
    }

    public static String name(Object raw, String field) {
        if (!(raw instanceof String text)) {
            throw HttpError.badRequest(field, field + " must be a string");
        }
        String trimmed = text.strip();
        int length = trimmed.codePointCount(0, trimmed.length());
        if (length < 1 || length > MAX_NAME_LENGTH) {
            throw HttpError.badRequest(field, field + " must be 1 to " + MAX_NAME_LENGTH + " characters after trimming");
        }
        if (trimmed.codePoints().anyMatch(TodoInput::isControl)) {
            throw HttpError.badRequest(field, field + " must not contain control characters");
        }
        return trimmed;
    }

    /** Control characters, line/paragraph separators, lone surrogates and bidi overrides ("Trojan source"). */
    private static boolean isControl(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.CONTROL || type == Character.SURROGATE
                || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                || (codePoint >= 0x202A && codePoint <= 0x202E) || (codePoint >= 0x2066 && codePoint <= 0x2069);
    }

    public static long id(String raw) {
        if (raw == null || raw.isEmpty() || raw.length() > 18 || !raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw HttpError.badRequest("id", "id must be a positive integer");
        }
        long id = Long.parseLong(raw);
        if (id < 1) {
            throw HttpError.badRequest("id", "id must be a positive integer");
        }
        return id;
    }

    public static String create(byte[] body) {
        JsonNode node = object(body, Set.of("name"));
        if (!node.has("name")) {
            throw HttpError.badRequest("name", "name is required");
        }
        JsonNode name = node.get("name");
        return name(name.isTextual() ? name.textValue() : name, "name");
    }

    public static Patch patch(byte[] body) {
        JsonNode node = object(body, Set.of("completed", "name"));
        if (node.isEmpty()) {
            throw HttpError.badRequest("body", "give at least one of completed, name");
        }
        Boolean completed = null;
        if (node.has("completed")) {
            if (!node.get("completed").isBoolean()) {
                throw HttpError.badRequest("completed", "completed must be true or false");
            }
            completed = node.get("completed").booleanValue();
        }
        String name = null;
        if (node.has("name")) {
            JsonNode value = node.get("name");
            name = name(value.isTextual() ? value.textValue() : value, "name");
        }
        return new Patch(completed, name);
    }

    /** A form's "completed" field: exactly "true" or "false". */
    public static boolean completed(Map<String, String> form) {
        String value = form.get("completed");
        if (!"true".equals(value) && !"false".equals(value)) {
            throw HttpError.badRequest("completed", "completed must be true or false");
        }
        return Boolean.parseBoolean(value);
    }

    public static void onlyFields(Map<String, String> fields, Set<String> allowed, String what) {
        for (String key : fields.keySet()) {
            if (!allowed.contains(key)) {
                throw HttpError.badRequest(key, "unknown " + what + " field " + key + ": allowed are " + allowed);
            }
        }
    }

    /** ?limit=N&after=ID for the list: both optional. */
    public static Page page(Map<String, String> query) {
        onlyFields(query, Set.of("limit", "after"), "query");
        int limit = MAX_LIST_LIMIT;
        if (query.containsKey("limit")) {
            String raw = query.get("limit");
            if (raw.isEmpty() || raw.length() > 4 || !raw.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(raw) < 1 || Integer.parseInt(raw) > MAX_LIST_LIMIT) {
                throw HttpError.badRequest("limit", "limit must be an integer from 1 to " + MAX_LIST_LIMIT);
            }
            limit = Integer.parseInt(raw);
        }
        long after = 0;
        if (query.containsKey("after")) {
            String raw = query.get("after");
            after = "0".equals(raw) ? 0 : idOf(raw, "after");
        }
        return new Page(limit, after);
    }

    private static long idOf(String raw, String field) {
        try {
            return id(raw);
        } catch (HttpError e) {
            throw HttpError.badRequest(field, field + " must be a non-negative integer");
        }
    }

    private static JsonNode object(byte[] body, Set<String> allowed) {
        JsonNode node;
        try {
            // Strict UTF-8 first: the JSON parser would accept overlong forms (C0 AF is a disguised "/").
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
            node = STRICT.readTree(text);
        } catch (CharacterCodingException e) {
            throw HttpError.badRequest("body", "body is not valid UTF-8");
        } catch (JsonProcessingException e) {
            throw HttpError.badRequest("body", "body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw HttpError.badRequest("body", "body is not valid JSON");
        }
        if (node == null || node.isMissingNode()) {
            throw HttpError.badRequest("body", "body is empty: expected a JSON object");
        }
        if (!node.isObject()) {
            throw HttpError.badRequest("body", "body must be a JSON object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw HttpError.badRequest(name, "unknown field " + name + ": allowed are " + allowed);
            }
        }
        return node;
    }
}
