package dev.todoplatform.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(Backends.class)
class TodoApiTest {
    private static ServiceProcess service;
    private static Http http;
    private static long seeded;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceProcess.todoOnFreshDatabase();
        http = new Http(service.uri("/"));
        seeded = http.json("POST", "/api/todos", "{\"name\":\"seed item\"}").json().get("id").asLong();
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void createReadUpdateDelete() {
        Http.Reply created = http.json("POST", "/api/todos", "{\"name\":\"  buy milk  \"}");
        assertEquals(201, created.status(), created.body());
        JsonNode item = created.json();
        long id = item.get("id").asLong();
        assertEquals("buy milk", item.get("name").asText(), "name is trimmed");
        assertFalse(item.get("completed").asBoolean());
        assertTrue(item.get("created_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), item.toString());
        assertEquals("/api/todos/" + id, created.header("Location"));
        assertEquals("application/json", created.header("Content-Type"));

        assertEquals(item, http.get("/api/todos/" + id).json());
        assertTrue(ids(http.get("/api/todos").json()).contains(id));

        JsonNode done = http.json("PATCH", "/api/todos/" + id, "{\"completed\":true}").json();
        assertTrue(done.get("completed").asBoolean());
        assertEquals("buy milk", done.get("name").asText());
        JsonNode renamed = http.json("PATCH", "/api/todos/" + id, "{\"name\":\"buy oat milk\",\"completed\":false}").json();
        assertEquals("buy oat milk", renamed.get("name").asText());
        assertFalse(renamed.get("completed").asBoolean());

        Http.Reply deleted = http.send("DELETE", "/api/todos/" + id, null, null);
        assertEquals(204, deleted.status());
        assertEquals("", deleted.body());
        assertEquals(404, http.get("/api/todos/" + id).status());
    }

    @Test
    void listIsOldestFirstAndPages() {
        long a = create("first");
        long b = create("second");
        long c = create("third");
        List<Long> all = ids(http.get("/api/todos").json());
        assertTrue(all.indexOf(a) < all.indexOf(b) && all.indexOf(b) < all.indexOf(c), all.toString());
        assertEquals(List.of(b, c), ids(http.get("/api/todos?after=" + a + "&limit=2").json()));
        assertEquals(1, http.get("/api/todos?limit=1").json().size());
    }

    /** Lists are kept while the position stays put (ListCache, for reads on standbys); any write, anyone's, moves it. */
    @Test
    void aListIsReadAgainOnceTheDatabaseChangedWhoeverChangedIt() throws Exception {
        try (ServiceProcess other = ServiceProcess.todoOnFreshDatabase()) {
            Http h = new Http(other.uri("/"));
            h.json("POST", "/api/todos", "{\"name\":\"one\"}");
            assertEquals(1, h.get("/api/todos").json().size());
            assertEquals(1, h.get("/api/todos").json().size());
            try (var c = Backends.postgres().superuser(other.database()); var st = c.createStatement()) {
                st.execute("UPDATE todos SET name = 'renamed elsewhere'");
                st.execute("INSERT INTO todos (name) VALUES ('written elsewhere')");
            }
            JsonNode list = h.get("/api/todos").json();
            assertEquals(2, list.size(), list.toString());
            assertEquals("renamed elsewhere", list.get(0).get("name").asText());
        }
    }

    @Test
    void namesAtTheLimitsAreAccepted() {
        String hundred = "x".repeat(100);
        assertEquals(hundred, http.json("POST", "/api/todos", "{\"name\":\"" + hundred + "\"}").json().get("name").asText());
        // 100 characters, not 100 bytes: emoji and accents count once.
        String emoji = "\uD83D\uDE00".repeat(100);
        assertEquals(201, http.json("POST", "/api/todos", "{\"name\":\"" + emoji + "\"}").status());
        assertEquals("<script>alert(1)</script> & 'quotes'", http.json("POST", "/api/todos",
                "{\"name\":\"<script>alert(1)</script> & 'quotes'\"}").json().get("name").asText(), "stored verbatim");
    }

    @Test
    void aRepeatedCreateWithTheSameIdempotencyKeyCreatesOneItem() {
        byte[] body = "{\"name\":\"once\"}".getBytes(StandardCharsets.UTF_8);
        var first = http.sendWith("POST", "/api/todos", Map.of("Content-Type", "application/json", "Idempotency-Key", "k-123"), body);
        var second = http.sendWith("POST", "/api/todos", Map.of("Content-Type", "application/json", "Idempotency-Key", "k-123"), body);
        assertEquals(201, first.status());
        assertEquals(first.json(), second.json(), "the retry returns the first result");
        assertEquals(1, http.get("/api/todos").json().findValuesAsText("name").stream().filter("once"::equals).count());
        var other = http.sendWith("POST", "/api/todos", Map.of("Content-Type", "application/json", "Idempotency-Key", "k-124"), body);
        assertNotEquals(first.json().get("id"), other.json().get("id"));
    }

    /** A malformed request: what is sent, and the status and field the error must name. */
    record Case(String name, String method, String path, String contentType, byte[] body, int status, String field) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case c(String name, String method, String path, String contentType, String body, int status, String field) {
        return new Case(name, method, path, contentType, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                status, field);
    }

    static Stream<Case> malformed() {
        String json = "application/json";
        String item = "/api/todos/SEED";
        List<Case> cases = new ArrayList<>(List.of(
                c("empty body", "POST", "/api/todos", json, "", 400, "body"),
                c("empty object", "POST", "/api/todos", json, "{}", 400, "name"),
                c("empty name", "POST", "/api/todos", json, "{\"name\":\"\"}", 400, "name"),
                c("blank name", "POST", "/api/todos", json, "{\"name\":\"   \"}", 400, "name"),
                c("name of 101 characters", "POST", "/api/todos", json, "{\"name\":\"" + "y".repeat(101) + "\"}", 400, "name"),
                c("NUL in name", "POST", "/api/todos", json, "{\"name\":\"a\\u0000b\"}", 400, "name"),
                c("newline in name", "POST", "/api/todos", json, "{\"name\":\"a\\nb\"}", 400, "name"),
                c("escape character in name", "POST", "/api/todos", json, "{\"name\":\"a\\u001b[31mred\"}", 400, "name"),
                c("bidi override in name", "POST", "/api/todos", json, "{\"name\":\"a\\u202eb\"}", 400, "name"),
                c("lone surrogate in name", "POST", "/api/todos", json, "{\"name\":\"a\\ud800b\"}", 400, "name"),
                c("number as name", "POST", "/api/todos", json, "{\"name\":123}", 400, "name"),
                c("null name", "POST", "/api/todos", json, "{\"name\":null}", 400, "name"),
                c("array as name", "POST", "/api/todos", json, "{\"name\":[\"x\"]}", 400, "name"),
                c("unknown field", "POST", "/api/todos", json, "{\"name\":\"x\",\"owner\":\"me\"}", 400, "owner"),
                c("array body", "POST", "/api/todos", json, "[{\"name\":\"x\"}]", 400, "body"),
                c("string body", "POST", "/api/todos", json, "\"x\"", 400, "body"),
                c("truncated JSON", "POST", "/api/todos", json, "{\"name\":\"x\"", 400, "body"),
                c("trailing garbage", "POST", "/api/todos", json, "{\"name\":\"x\"} {", 400, "body"),
                c("duplicate key", "POST", "/api/todos", json, "{\"name\":\"x\",\"name\":\"y\"}", 400, "body"),
                c("SQL injection is just text", "POST", "/api/todos", json, "{\"name\":\"x'); DROP TABLE todos;--\",\"x\":1}", 400, "x"),
                c("text/plain", "POST", "/api/todos", "text/plain", "{\"name\":\"x\"}", 415, "Content-Type"),
                c("no content type", "POST", "/api/todos", null, "{\"name\":\"x\"}", 415, "Content-Type"),
                c("form content type on the API", "POST", "/api/todos", "application/x-www-form-urlencoded", "name=x", 415, "Content-Type"),
                c("latin1 charset", "POST", "/api/todos", "application/json; charset=iso-8859-1", "{\"name\":\"x\"}", 415, "Content-Type"),
                c("body over 16 KiB", "POST", "/api/todos", json, "{\"name\":\"" + "z".repeat(17 * 1024) + "\"}", 413, "body"),
                c("non-numeric id", "GET", "/api/todos/abc", null, null, 400, "id"),
                c("zero id", "GET", "/api/todos/0", null, null, 400, "id"),
                c("negative id", "GET", "/api/todos/-1", null, null, 400, "id"),
                c("id beyond 64 bits", "GET", "/api/todos/99999999999999999999", null, null, 400, "id"),
                c("fractional id", "GET", "/api/todos/1.5", null, null, 400, "id"),
                c("absent id", "GET", "/api/todos/999999999", null, null, 404, "id"),
                c("empty patch", "PATCH", item, json, "{}", 400, "body"),
                c("string completed", "PATCH", item, json, "{\"completed\":\"yes\"}", 400, "completed"),
                c("numeric completed", "PATCH", item, json, "{\"completed\":1}", 400, "completed"),
                c("unknown patch field", "PATCH", item, json, "{\"done\":true}", 400, "done"),
                c("empty name in patch", "PATCH", item, json, "{\"name\":\"\"}", 400, "name"),
                c("valid patch, invalid name", "PATCH", item, json, "{\"completed\":true,\"name\":\"\\t\"}", 400, "name"),
                c("patch of absent id", "PATCH", "/api/todos/999999999", json, "{\"completed\":true}", 404, "id"),
                c("patch as text/plain", "PATCH", item, "text/plain", "{\"completed\":true}", 415, "Content-Type"),
                c("delete non-numeric id", "DELETE", "/api/todos/abc", null, null, 400, "id"),
                c("delete absent id", "DELETE", "/api/todos/999999999", null, null, 404, "id"),
                c("PUT on the collection", "PUT", "/api/todos", json, "{\"name\":\"x\"}", 405, "method"),
                c("DELETE on the collection", "DELETE", "/api/todos", null, null, 405, "method"),
                c("POST on an item", "POST", item, json, "{\"name\":\"x\"}", 405, "method"),
                c("limit zero", "GET", "/api/todos?limit=0", null, null, 400, "limit"),
                c("limit not a number", "GET", "/api/todos?limit=ten", null, null, 400, "limit"),
                c("limit too large", "GET", "/api/todos?limit=5000", null, null, 400, "limit"),
                c("negative after", "GET", "/api/todos?after=-1", null, null, 400, "after"),
                c("unknown query parameter", "GET", "/api/todos?sort=name", null, null, 400, "sort"),
                c("repeated query parameter", "GET", "/api/todos?limit=1&limit=2", null, null, 400, "limit"),
                c("invalid UTF-8 in query", "GET", "/api/todos?limit=%E0%A4", null, null, 400, "limit"),
                c("unknown path", "GET", "/api/nothing", null, null, 404, "path"),
                c("path parameters", "GET", "/api/todos/SEED;DROP", null, null, 400, "path")));
        byte[] invalidUtf8 = {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        cases.add(new Case("invalid UTF-8", "POST", "/api/todos", json, invalidUtf8, 400, "body"));
        byte[] overlong = {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', 'a', (byte) 0xC0, (byte) 0xAF, '"', '}'};
        cases.add(new Case("overlong UTF-8 (a disguised slash)", "POST", "/api/todos", json, overlong, 400, "body"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedRequestsGetA4xxNamingTheProblemAndChangeNothing(Case bad) {
        String before = http.get("/api/todos").body();
        Http.Reply reply = http.send(bad.method(), bad.path().replace("SEED", Long.toString(seeded)),
                bad.contentType(), bad.body());
        assertEquals(bad.status(), reply.status(), reply.body());
        JsonNode error = reply.json();
        assertEquals(bad.field(), error.path("field").asText(null), reply.body());
        assertFalse(error.path("error").asText("").isBlank(), reply.body());
        assertFalse(reply.body().contains("Exception") || reply.body().contains("\tat "), "no stack trace: " + reply.body());
        assertEquals(before, http.get("/api/todos").body(), "data unchanged");
    }

    @Test
    void theMalformedTableIsLargeEnough() {
        assertTrue(malformed().count() >= 30);
    }

    private static long create(String name) {
        return http.json("POST", "/api/todos", "{\"name\":\"" + name + "\"}").json().get("id").asLong();
    }

    static List<Long> ids(JsonNode list) {
        List<Long> ids = new ArrayList<>();
        list.forEach(n -> ids.add(n.get("id").asLong()));
        return ids;
    }
}
