package dev.todoplatform.service.http;

/**
 * A request that cannot be served, with the status and the message the client sees.
 * {@code field} names the offending input (a JSON field, form field, query or path parameter) when there is one.
 */
public class HttpError extends RuntimeException {
    private final int status;
    private final String field;

    public HttpError(int status, String message, String field) {
        super(message, null, false, false);
        this.status = status;
        this.field = field;
    }

    public HttpError(int status, String message) {
        this(status, message, null);
    }

    public static HttpError badRequest(String field, String message) {
        return new HttpError(400, message, field);
    }

    public int status() {
        return status;
    }

    public String field() {
        return field;
    }
}
