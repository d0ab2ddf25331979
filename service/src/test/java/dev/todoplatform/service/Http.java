package dev.todoplatform.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small HTTP client for tests: raw bytes in, status + body + headers out. */
public final class Http {
    public static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).followRedirects(HttpClient.Redirect.NEVER).build();

    /** One response. */
    public record Reply(int status, String body, HttpResponse<byte[]> raw) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    private final String base;

    public Http(URI base) {
        this.base = base.toString().replaceAll("/$", "");
    }

    public Reply get(String path) {
        return send("GET", path, null, null);
    }

    public Reply json(String method, String path, String body) {
        return send(method, path, "application/json", body == null ? null : body.getBytes());
    }

    public Reply form(String path, String body) {
        return send("POST", path, "application/x-www-form-urlencoded", body.getBytes());
    }

    public Reply send(String method, String path, String contentType, byte[] body) {
        return sendWith(method, path, contentType == null ? Map.of() : Map.of("Content-Type", contentType), body);
    }

    public Reply sendWith(String method, String path, Map<String, String> headers, byte[] body) {
        // As long as nginx waits (30 s): longer than the service's retry budget (Main.RETRY_BUDGET_MS), after which
        // a request whose database is down gets its 503.
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        try {
            HttpResponse<byte[]> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(response.statusCode(), new String(response.body()), response);
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
