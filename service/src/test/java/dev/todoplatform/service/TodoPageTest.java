package dev.todoplatform.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The HTML page and its forms, over plain HTTP (the browser test drives the same page in Chromium). */
@ExtendWith(Backends.class)
class TodoPageTest {
    private static ServiceProcess service;
    private static Http http;
    private static long seeded;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceProcess.todoOnFreshDatabase();
        http = new Http(service.uri("/"));
        seeded = http.json("POST", "/api/todos", "{\"name\":\"seed\"}").json().get("id").asLong();
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void formsAddToggleAndDeleteWithPostRedirectGet() {
        Http.Reply added = http.form("/todos", "name=water+the+plants");
        assertEquals(303, added.status());
        assertEquals("/", added.header("Location"));
        var item = http.get("/api/todos").json().findParents("name").stream()
                .filter(n -> n.get("name").asText().equals("water the plants")).findFirst().orElseThrow();
        long id = item.get("id").asLong();

        assertEquals(303, http.form("/todos/" + id, "completed=true").status());
        assertTrue(http.get("/api/todos/" + id).json().get("completed").asBoolean());
        String page = http.get("/").body();
        assertTrue(page.contains("<li id=\"todo-" + id + "\" class=\"done\">"), page);
        // One form per item: its toggle posts completed=<the other state>, its delete button the /delete action.
        assertTrue(page.contains("<form method=\"post\" action=\"/todos/" + id + "\">"
                + "<button class=\"toggle\" name=\"completed\" value=\"false\""), page);
        assertTrue(page.contains("<button class=\"delete\" formaction=\"/todos/" + id + "/delete\">"), page);

        assertEquals(303, http.form("/todos/" + id + "/delete", "").status());
        assertEquals(404, http.get("/api/todos/" + id).status());
    }

    @Test
    void thePageEscapesEverythingItPrints() {
        http.json("POST", "/api/todos", "{\"name\":\"<script>alert('x')</script> & \\\"q\\\"\"}");
        Http.Reply page = http.get("/");
        assertEquals(200, page.status());
        assertTrue(page.body().contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"), page.body());
        assertFalse(page.body().contains("<script>"));
        assertTrue(page.header("Content-Type").startsWith("text/html"));
        assertTrue(page.header("Content-Security-Policy").contains("default-src 'none'"));
        assertEquals("nosniff", page.header("X-Content-Type-Options"));
    }

    record Case(String name, String path, String contentType, String body, int status, String field) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> malformedForms() {
        String form = "application/x-www-form-urlencoded";
        return Stream.of(
                new Case("empty name", "/todos", form, "name=", 400, "name"),
                new Case("missing name", "/todos", form, "", 400, "name"),
                new Case("blank name", "/todos", form, "name=+++", 400, "name"),
                new Case("name too long", "/todos", form, "name=" + "a".repeat(101), 400, "name"),
                new Case("control character", "/todos", form, "name=a%07b", 400, "name"),
                new Case("broken escape", "/todos", form, "name=%ZZ", 400, "name"),
                new Case("invalid UTF-8", "/todos", form, "name=%C3%28", 400, "name"),
                new Case("repeated field", "/todos", form, "name=a&name=b", 400, "name"),
                new Case("unknown field", "/todos", form, "name=a&admin=1", 400, "admin"),
                new Case("JSON to the form", "/todos", "application/json", "{\"name\":\"x\"}", 415, "Content-Type"),
                new Case("bad id", "/todos/abc", form, "completed=true", 400, "id"),
                new Case("bad completed", "/todos/SEED", form, "completed=maybe", 400, "completed"),
                new Case("absent item", "/todos/999999999", form, "completed=true", 404, "id"),
                new Case("delete absent item", "/todos/999999999/delete", form, "", 404, "id"),
                new Case("delete with a field", "/todos/SEED/delete", form, "really=yes", 400, "really"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedForms")
    void badFormsReRenderThePageWithTheErrorAndChangeNothing(Case bad) {
        String before = http.get("/api/todos").body();
        Http.Reply reply = http.send("POST", bad.path().replace("SEED", Long.toString(seeded)), bad.contentType(),
                bad.body().getBytes());
        assertEquals(bad.status(), reply.status(), reply.body());
        assertTrue(reply.body().contains("role=\"alert\" id=\"error\">" + bad.field() + ": "), reply.body());
        assertTrue(reply.body().contains("<form class=\"add\""), "the page is shown again");
        assertEquals(before, http.get("/api/todos").body(), "data unchanged");
    }

    @Test
    void wrongMethodOnAFormRoute() {
        Http.Reply reply = http.get("/todos");
        assertEquals(405, reply.status());
        assertEquals("POST", reply.header("Allow"));
    }
}
