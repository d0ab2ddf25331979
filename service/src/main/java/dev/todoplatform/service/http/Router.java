package dev.todoplatform.service.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Maps method + path to a route. Patterns are literal segments and {@code {name}} captures;
 * a known path with an unknown method is a 405 listing the allowed ones.
 */
public final class Router {
    private record Entry(String method, String pattern, String[] segments, Route route, boolean async) {
    }

    /**
     * The route chosen for a request; {@code pattern} is its low-cardinality name for metrics. An {@code async}
     * route never blocks: it runs on the thread that read the request and may answer later, from another thread.
     */
    public record Match(String pattern, Route route, Map<String, String> params, boolean async) {
        Match(String pattern, Route route, Map<String, String> params) {
            this(pattern, route, params, false);
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    /** A route that may block (a database, a fresh connection): it runs on a request thread of its own. */
    public Router route(String method, String pattern, Route route) {
        entries.add(new Entry(method, pattern, split(pattern), route, false));
        return this;
    }

    /** A route that never blocks: it answers at once, or later through {@link Exchange#complete}. */
    public Router routeAsync(String method, String pattern, Route route) {
        entries.add(new Entry(method, pattern, split(pattern), route, true));
        return this;
    }

    public Match match(String method, String path) {
        String[] parts = split(path);
        TreeSet<String> allowed = new TreeSet<>();
        for (Entry entry : entries) {
            Map<String, String> params = bind(entry.segments, parts);
            if (params == null) {
                continue;
            }
            if (entry.method.equals(method) || (method.equals("HEAD") && entry.method.equals("GET"))) {
                return new Match(entry.pattern, entry.route, params, entry.async);
            }
            allowed.add(entry.method);
        }
        if (!allowed.isEmpty()) {
            String allow = String.join(", ", allowed);
            return new Match("method_not_allowed", exchange -> {
                exchange.header("Allow", allow);
                throw new HttpError(405, "method " + method + " is not allowed here: use " + allow, "method");
            }, Map.of(), true);
        }
        return new Match("not_found", exchange -> {
            throw new HttpError(404, "no such resource", "path");
        }, Map.of(), true);
    }

    private static Map<String, String> bind(String[] pattern, String[] path) {
        if (pattern.length != path.length) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < pattern.length; i++) {
            String p = pattern[i];
            if (p.startsWith("{") && p.endsWith("}")) {
                params.put(p.substring(1, p.length() - 1), path[i]);
            } else if (!p.equals(path[i])) {
                return null;
            }
        }
        return params;
    }

    private static String[] split(String path) {
        String trimmed = path.startsWith("/") ? path.substring(1) : path;
        return trimmed.isEmpty() ? new String[0] : trimmed.split("/", -1);
    }
}
