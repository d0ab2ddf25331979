package dev.todoplatform.service.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** One request and its response: the few operations the routes need, with input limits enforced here. */
public final class Exchange {
    public static final int MAX_BODY_BYTES = 16 * 1024;
    private static final HttpField NOSNIFF = new HttpField("X-Content-Type-Options", "nosniff");
    private static final byte[] UP = "{\"status\":\"UP\"}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DOWN = "{\"status\":\"DOWN\"}".getBytes(StandardCharsets.US_ASCII);

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final Executor threads;
    private final String path;
    private Map<String, String> pathParams = Map.of();
    private volatile boolean sent;

    Exchange(Request request, Response response, Callback callback, Executor threads) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.threads = threads;
        this.path = Request.getPathInContext(request);
    }

    public String path() {
        return path;
    }

    public String header(String name) {
        return request.getHeaders().get(name);
    }

    void pathParams(Map<String, String> params) {
        this.pathParams = params;
    }

    public String pathParam(String name) {
        return pathParams.get(name);
    }

    /** Query parameters; a repeated or undecodable parameter is a 400 naming it. */
    public Map<String, String> query() {
        String raw = request.getHttpURI().getQuery();
        return raw == null ? Map.of() : FormCodec.decode(raw, "query");
    }

    /**
     * The request body, at most {@link #MAX_BODY_BYTES}, after checking its media type is {@code mediaType}
     * (with no charset or UTF-8). Anything else is a 413 or 415 and the body is not read further.
     */
    public byte[] body(String mediaType) throws IOException {
        requireContentType(mediaType);
        long declared = request.getLength();
        if (declared > MAX_BODY_BYTES) {
            throw new HttpError(413, "request body is larger than " + MAX_BODY_BYTES + " bytes", "body");
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw new HttpError(413, "request body is larger than " + MAX_BODY_BYTES + " bytes", "body");
            }
            return body;
        } catch (IOException e) {
            // A client that stops sending (slow or truncated body) hits the idle timeout here.
            throw new HttpError(408, "request body was not received in time", "body");
        }
    }

    private void requireContentType(String mediaType) {
        String header = header(HttpHeader.CONTENT_TYPE.asString());
        String expected = mediaType + " (charset utf-8, if any)";
        if (header == null) {
            throw new HttpError(415, "Content-Type is missing: expected " + expected, "Content-Type");
        }
        String[] parts = header.split(";");
        if (!parts[0].trim().toLowerCase(Locale.ROOT).equals(mediaType)) {
            throw new HttpError(415, "Content-Type " + parts[0].trim() + " is not supported: expected " + expected,
                    "Content-Type");
        }
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].trim().split("=", 2);
            if (kv[0].trim().equalsIgnoreCase("charset")
                    && (kv.length < 2 || !kv[1].trim().replace("\"", "").equalsIgnoreCase("utf-8"))) {
                throw new HttpError(415, "charset is not supported: expected utf-8", "Content-Type");
            }
        }
    }

    public void header(String name, String value) {
        response.getHeaders().put(name, value);
    }

    public void send(int status, String contentType, byte[] body) {
        if (sent) {
            return;
        }
        sent = true;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(NOSNIFF);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    public void text(int status, String body) {
        send(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    public void html(int status, String body) {
        html(status, body.getBytes(StandardCharsets.UTF_8));
    }

    /** A page already encoded as UTF-8. */
    public void html(int status, byte[] body) {
        header("Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
        header("Referrer-Policy", "no-referrer");
        header("Cache-Control", "no-store");
        send(status, "text/html; charset=utf-8", body);
    }

    public void json(int status, Object value) {
        jsonBytes(status, Json.bytes(value));
    }

    /** A JSON body already serialised ({@link Json#bytes}). */
    public void jsonBytes(int status, byte[] body) {
        send(status, "application/json", body);
    }

    /** A health answer: 200 {"status":"UP"} or 503 {"status":"DOWN"}. */
    public void health(boolean up) {
        send(up ? 200 : 503, "application/json", up ? UP : DOWN);
    }

    public void noContent() {
        if (!sent) {
            sent = true;
            response.setStatus(204);
            response.write(true, null, callback);
        }
    }

    /** 303 See Other: the form POSTs answer with it so a reload does not post again. */
    public void redirect(String location) {
        header("Location", location);
        send(303, "text/plain; charset=utf-8", new byte[0]);
    }

    /**
     * An async route's answer: {@code answer} with the value once {@code result} completes, or the error it
     * failed with (an HttpError as itself, anything else a 500), on whichever thread completes it, which then
     * also reads the connection's next request ({@link WebServer.RequestThreads#inPlace}).
     */
    public <T> void complete(CompletableFuture<T> result, Consumer<T> answer) {
        result.whenComplete((value, failure) -> WebServer.RequestThreads.inPlace(() -> serve(ex -> {
            Throwable cause = failure instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure;
            if (cause instanceof Exception e) {
                throw e;
            } else if (cause != null) {
                throw (Error) cause;
            }
            answer.accept(value);
        }, false)));
    }

    /**
     * Hands the rest of an async route to a request thread, for a step that may block (the database); the step
     * answers the request.
     */
    public void blocking(Route step) {
        try {
            // The request thread that answers also reads the connection's next request.
            threads.execute(() -> WebServer.RequestThreads.inPlace(() -> serve(step, true)));
        } catch (RejectedExecutionException e) {
            error(new HttpError(503, "too many requests queued, retry later"));
        }
    }

    /**
     * Runs a route or a step of one: an HttpError it throws is the answer, anything else a 500. With {@code
     * answers}, it must have answered by its end (an async route or step may answer later, from another thread).
     */
    void serve(Route step, boolean answers) {
        try {
            try {
                step.handle(this);
                if (answers && !sent) {
                    throw new IllegalStateException("route sent no response");
                }
            } catch (HttpError error) {
                error(error);
            } catch (Throwable t) {
                WebServer.failed(request, t);
                error(new HttpError(500, "internal error"));
            }
        } catch (RuntimeException | Error e) {
            // Answering failed too: without this, the response would never end and the drain would wait for it.
            WebServer.failed(request, e);
            if (!sent) {
                sent = true;
                callback.failed(e);
            }
        }
    }

    public void error(HttpError error) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error.getMessage());
        if (error.field() != null) {
            body.put("field", error.field());
        }
        json(error.status(), body);
    }

    int status() {
        return response.getStatus();
    }

    /** Parses an application/x-www-form-urlencoded body strictly (UTF-8, no repeats). */
    public Map<String, String> form() throws IOException {
        return FormCodec.decode(new String(body("application/x-www-form-urlencoded"), StandardCharsets.ISO_8859_1),
                "form");
    }

}
