package dev.todoplatform.service;

import java.net.URI;
import java.util.List;
import java.util.Map;

/** Reads typed settings from environment variables; every failure names the variable and what it accepts. */
public final class Env {
    private final Map<String, String> vars;

    public Env(Map<String, String> vars) {
        this.vars = vars;
    }

    public String required(String name, String expected) {
        String value = vars.get(name);
        if (value == null || value.isBlank()) {
            throw new ConfigError(name + " is not set: expected " + expected);
        }
        return value.trim();
    }

    public String optional(String name, String fallback) {
        String value = vars.get(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    public int integer(String name, int fallback, int min, int max) {
        String value = vars.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the allowed range
        }
        throw new ConfigError(name + "=" + value + " is invalid: expected an integer from " + min + " to " + max);
    }

    /** One of {@code allowed}, compared without case. */
    public String oneOf(String name, String fallback, List<String> allowed) {
        String value = optional(name, fallback);
        return allowed.stream().filter(value::equalsIgnoreCase).findFirst().orElseThrow(() -> new ConfigError(
                name + "=" + value + " is invalid: expected one of " + String.join(", ", allowed)));
    }

    public String jdbcUrl(String name) {
        String value = required(name, "a URL like jdbc:postgresql://pgpool:5432/todo");
        if (!value.startsWith("jdbc:postgresql://")) {
            throw new ConfigError(name + "=" + value + " is invalid: expected a URL like jdbc:postgresql://pgpool:5432/todo");
        }
        try {
            URI uri = URI.create(value.substring("jdbc:".length()));
            if (uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
                throw new IllegalArgumentException("host and database are required");
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigError(name + "=" + value + " is invalid: expected a URL like jdbc:postgresql://pgpool:5432/todo");
        }
        return value;
    }
}
