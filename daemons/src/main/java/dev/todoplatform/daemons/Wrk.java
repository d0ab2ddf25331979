package dev.todoplatform.daemons;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** wrk, the load generator both benchmarks use, and what they read from its report. */
public final class Wrk {
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([\\d.]+)");
    private static final Pattern P99 = Pattern.compile("\\s99%\\s+([\\d.]+)(us|ms|s)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");
    private static final Pattern ERRORS = Pattern.compile("Non-2xx or 3xx responses: (\\d+)|Socket errors: (.*)");

    /** One run's figures; {@code errors} is empty when every response was 2xx or 3xx. */
    public record Result(double requestsPerSecond, double p99Millis, long requests, String errors) {
    }

    private Wrk() {
    }

    /** {@code script}: a Lua file (method, body, a request mix), or null for GETs of {@code url}. */
    public static Result run(String url, int seconds, int connections, Path script) {
        List<String> command = new ArrayList<>(List.of("wrk", "-t2", "-c" + connections,
                "-d" + seconds + "s", "--latency"));
        if (script != null) {
            command.addAll(List.of("-s", script.toString()));
        }
        command.add(url);
        String output = Commands.run(command, Map.of(), Duration.ofSeconds(seconds + 60L));
        if (script != null && output.contains(script + ": ")) {
            // wrk reports a script it cannot open or run, and then sends plain GETs instead.
            throw new IllegalStateException("wrk did not run " + script + ":\n" + output);
        }
        return parse(output);
    }

    static Result parse(String output) {
        Matcher rps = RPS.matcher(output);
        Matcher p99 = P99.matcher(output);
        Matcher total = TOTAL.matcher(output);
        if (!rps.find() || !p99.find() || !total.find()) {
            throw new IllegalStateException("cannot read wrk output:\n" + output);
        }
        double p99ms = Double.parseDouble(p99.group(1)) * switch (p99.group(2)) {
            case "us" -> 0.001;
            case "s" -> 1000;
            default -> 1;
        };
        Matcher errors = ERRORS.matcher(output);
        StringBuilder failed = new StringBuilder();
        while (errors.find()) {
            failed.append(failed.length() == 0 ? "" : ", ").append(errors.group().trim());
        }
        return new Result(Double.parseDouble(rps.group(1)), p99ms, Long.parseLong(total.group(1)), failed.toString());
    }
}
