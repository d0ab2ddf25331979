package dev.todoplatform.infra;

/**
 * A stack setting that cannot be used: the message names the key, the value and what is allowed. It carries no
 * stack trace, so `pulumi up` shows the user the one line that matters.
 */
public final class ConfigError extends RuntimeException {
    public ConfigError(String message) {
        super(message, null, false, false);
    }
}
