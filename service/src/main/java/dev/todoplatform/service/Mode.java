package dev.todoplatform.service;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What the one jar runs as, with what each mode needs by default. */
enum Mode {
    /** The todo list: the database pool (10) plus room for probes and requests queueing for it. */
    TODO(32),
    /** The hit counter: its hits take no request thread (the Redis reply reader answers them); health and metrics do. */
    COUNTER(8),
    /** The schema migration, then exit (the Job): serves nothing. */
    MIGRATE(0);

    /** HTTP threads by default (HTTP_THREADS overrides). */
    final int httpThreads;

    Mode(int httpThreads) {
        this.httpThreads = httpThreads;
    }

    /** The mode a command line names, or a usage error. */
    static Mode of(String[] args) {
        String given = args.length == 1 ? args[0] : "";
        return Arrays.stream(values()).filter(m -> m.toString().equals(given)).findFirst()
                .orElseThrow(() -> new ConfigError("usage: service " + Arrays.stream(values()).map(Mode::toString)
                        .collect(Collectors.joining("|")) + " (got " + (args.length == 0 ? "no mode"
                        : String.join(" ", args)) + ")"));
    }

    /** As written on the command line and in the metrics' mode tag. */
    @Override
    public String toString() {
        return name().toLowerCase();
    }
}
