package dev.todoplatform.service;

/** A missing or invalid environment variable: the message is the one line an operator sees. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
