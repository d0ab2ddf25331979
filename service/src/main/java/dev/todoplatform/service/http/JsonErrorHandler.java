package dev.todoplatform.service.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/** Errors Jetty raises itself (unparseable requests, oversized headers) answer in the same JSON shape as ours. */
final class JsonErrorHandler extends ErrorHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        int status = response.getStatus() > 0 ? response.getStatus() : 500;
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, body(status), callback);
        return true;
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return body(status);
    }

    private static ByteBuffer body(int status) {
        String reason = HttpStatus.getMessage(status);
        try {
            return ByteBuffer.wrap(Json.MAPPER.writeValueAsBytes(
                    Map.of("error", reason == null ? "request failed" : reason.toLowerCase())));
        } catch (Exception e) {
            return ByteBuffer.wrap("{\"error\":\"request failed\"}".getBytes(StandardCharsets.UTF_8));
        }
    }
}
