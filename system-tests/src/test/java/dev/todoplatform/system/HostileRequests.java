package dev.todoplatform.system;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Malformed and hostile requests, written byte for byte to the front door over raw sockets (an HTTP library
 * would refuse to send most of them). Slow clients count as rejected when nginx cuts them off.
 */
final class HostileRequests {
    record Result(String name, int status) {
    }

    private record Case(String name, byte[] bytes, boolean slow) {
    }

    private HostileRequests() {
    }

    static List<Result> sendAll(String url) throws Exception {
        URI uri = URI.create(url);
        List<Result> results = new ArrayList<>();
        for (Case c : cases()) {
            results.add(new Result(c.name(), c.slow() ? slow(uri, c.bytes()) : send(uri, c.bytes())));
        }
        return results;
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        String json = "application/json";
        for (String body : List.of("{", "{\"name\":}", "{\"name\":\"x\",}", "[]", "null", "{\"name\":\"x\"}}",
                "{\"name\":\"x\",\"name\":\"y\"}", "{\"name\":123}", "{\"name\":\"\"}", "{\"name\":\"" + "n".repeat(101) + "\"}",
                "{\"name\":\"a\\u0000b\"}", "{\"name\":\"a\\nb\"}", "{\"name\":\"\\u202egnp.exe\"}", "{\"nom\":\"x\"}",
                "{\"name\":\"x\",\"admin\":true}", "{\"name\":\"<script>alert(1)</script>\\u0007\"}",
                "{\"name\":\"'; DROP TABLE todos; --\",\"id\":1}", "{\"name\":{\"$gt\":\"\"}}")) {
            cases.add(request("JSON " + body, "POST", "/api/todos", json, body.getBytes(StandardCharsets.UTF_8)));
        }
        cases.add(request("invalid UTF-8", "POST", "/api/todos", json, bytes('{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', 0xC3, 0x28, '"', '}')));
        cases.add(request("overlong UTF-8 slash", "POST", "/api/todos", json, bytes('{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', 0xC0, 0xAF, '"', '}')));
        cases.add(request("text/plain", "POST", "/api/todos", "text/plain", "{\"name\":\"x\"}".getBytes()));
        cases.add(request("XML", "POST", "/api/todos", "application/xml", "<todo><name>x</name></todo>".getBytes()));
        cases.add(request("no content type", "POST", "/api/todos", null, "{\"name\":\"x\"}".getBytes()));
        cases.add(request("UTF-16 charset", "POST", "/api/todos", "application/json; charset=utf-16", "{\"name\":\"x\"}".getBytes()));
        cases.add(request("multipart", "POST", "/api/todos", "multipart/form-data; boundary=x", "--x\r\n\r\nx\r\n--x--".getBytes()));
        cases.add(request("20 KiB body", "POST", "/api/todos", json, ("{\"name\":\"" + "z".repeat(20 * 1024) + "\"}").getBytes()));
        cases.add(new Case("20 KiB chunked body", ("POST /api/todos HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(20 * 1024)
                + "\r\n" + "z".repeat(20 * 1024) + "\r\n0\r\n\r\n").getBytes(), false));
        cases.add(new Case("huge Content-Length", ("POST /api/todos HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\nContent-Length: 99999999\r\n\r\n{").getBytes(), false));
        for (String path : List.of("/api/todos/abc", "/api/todos/-5", "/api/todos/0", "/api/todos/1%20OR%201=1",
                "/api/todos/1;DROP%20TABLE%20todos", "/api/todos/99999999999999999999999", "/api/todos/%00",
                "/api/todos/1e3", "/api/todos/0x10", "/api/todos?limit=-1", "/api/todos?limit=%27%20OR%201=1",
                "/api/todos?after=abc", "/api/todos?sort=name", "/api/todos?limit=%C3%28")) {
            cases.add(request("GET " + path, "GET", path, null, null));
        }
        cases.add(request("DELETE bogus id", "DELETE", "/api/todos/abc", null, null));
        cases.add(request("PATCH bogus id", "PATCH", "/api/todos/abc", json, "{\"completed\":true}".getBytes()));
        for (String[] m : List.of(new String[] {"PUT", "/api/todos"}, new String[] {"DELETE", "/api/todos"},
                new String[] {"POST", "/"}, new String[] {"PUT", "/"}, new String[] {"TRACE", "/"},
                new String[] {"PATCH", "/counter"}, new String[] {"DELETE", "/counter"})) {
            cases.add(request(m[0] + " " + m[1], m[0], m[1], json, "{}".getBytes()));
        }
        String form = "application/x-www-form-urlencoded";
        cases.add(request("form: empty name", "POST", "/todos", form, "name=".getBytes()));
        cases.add(request("form: invalid UTF-8", "POST", "/todos", form, "name=%FF".getBytes()));
        cases.add(request("form: bogus id", "POST", "/todos/abc/delete", form, new byte[0]));
        cases.add(request("form: bad completed", "POST", "/todos/1", form, "completed=maybe".getBytes()));
        cases.add(new Case("garbage request line", "HELLO THERE\r\n\r\n".getBytes(), false));
        cases.add(new Case("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n".getBytes(), false));
        cases.add(new Case("10 KiB header", ("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Big: "
                + "b".repeat(10 * 1024) + "\r\n\r\n").getBytes(), false));
        cases.add(new Case("path traversal", "GET /../../etc/passwd HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(), false));
        cases.add(new Case("slow body (slowloris)", ("POST /api/todos HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na").getBytes(), true));
        cases.add(new Case("slow headers (slowloris)", "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(), true));
        return cases;
    }

    private static Case request(String name, String method, String path, String contentType, byte[] body) {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            out.writeBytes(body);
        }
        return new Case(name, out.toByteArray(), false);
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static int send(URI uri, byte[] request) throws Exception {
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            return status(socket.getInputStream());
        }
    }

    /** Sends a partial request and stops: nginx must cut the client off (408, or closing) within its timeouts. */
    private static int slow(URI uri, byte[] partial) throws Exception {
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(partial);
            socket.getOutputStream().flush();
            try {
                int status = status(socket.getInputStream());
                return status == 0 ? 408 : status;
            } catch (SocketTimeoutException e) {
                return 0;
            }
        }
    }

    /** The status code of the response, 0 when the server closed without answering. */
    private static int status(InputStream in) throws Exception {
        byte[] head = in.readNBytes(12);
        String line = new String(head, StandardCharsets.ISO_8859_1);
        in.readAllBytes();
        return line.startsWith("HTTP/1.") && line.length() >= 12 ? Integer.parseInt(line.substring(9, 12)) : 0;
    }
}
