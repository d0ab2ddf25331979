package dev.todoplatform.infra;

/** A stack setting that cannot be used: the message names the key, the value and what is allowed. */
public final class ConfigError extends RuntimeException {
    public ConfigError(String message) {
        super(message);
    }
}
