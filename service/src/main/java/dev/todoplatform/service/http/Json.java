package dev.todoplatform.service.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The response mapper, in its own class so that Jackson's few hundred classes load with the first JSON response,
 * not with the first request: the probes answer fixed bytes ({@link Exchange#health}), so a pod turns ready sooner.
 */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    /** A response body. */
    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise response", e);
        }
    }
}
