package dev.todoplatform.service;

/** A missing or invalid environment variable: the message is the one line an operator sees. */
public final class ConfigError extends RuntimeException {
    public ConfigError(String message) {
        super(message);
    }
}
