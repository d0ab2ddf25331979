package dev.todoplatform.service.todo;

import dev.todoplatform.service.http.Exchange;
import dev.todoplatform.service.http.HttpError;
import dev.todoplatform.service.http.Route;
import dev.todoplatform.service.http.Router;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The HTML page: plain forms, no JavaScript. Each POST answers 303 to / so a reload never posts twice;
 * bad input re-renders the page with a 400 and the message, changing nothing.
 */
public final class TodoPage {
    private static final String STYLE = """
            body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#1d2330}
            main{max-width:40rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;\
            box-shadow:0 2px 12px rgba(0,0,0,.08)}
            h1{margin-top:0}.add{display:flex;gap:.5rem}.add input{flex:1;padding:.5rem;font-size:1rem}
            button{padding:.4rem .8rem;font-size:1rem;cursor:pointer}ul{list-style:none;padding:0}
            li{padding:.5rem 0;border-bottom:1px solid #eee}li form{display:flex;align-items:center;gap:.6rem}
            li .name{flex:1;overflow-wrap:anywhere}li.done .name{text-decoration:line-through;color:#888}
            .error{background:#fde8e8;color:#9b1c1c;padding:.6rem;border-radius:6px}.count{color:#666}
            form{margin:0}""";

    private final TodoRepository todos;
    private final LastRendering pages = new LastRendering();

    public TodoPage(TodoRepository todos) {
        this.todos = todos;
    }

    public void register(Router router) {
        router.routeAsync("GET", "/", ex -> TodoApi.list(ex, todos, TodoInput.MAX_LIST_LIMIT, 0,
                        items -> ex.html(200, pages.of(items, i -> page(i, null)))))
                .route("POST", "/todos", form(ex -> {
                    Map<String, String> form = ex.form();
                    TodoInput.onlyFields(form, Set.of("name"), "form");
                    todos.create(TodoInput.name(form.getOrDefault("name", ""), "name"), TodoApi.idempotencyKey(ex));
                    ex.redirect("/");
                }))
                .route("POST", "/todos/{id}", form(ex -> {
                    long id = TodoInput.id(ex.pathParam("id"));
                    Map<String, String> form = ex.form();
                    TodoInput.onlyFields(form, Set.of("completed"), "form");
                    todos.update(id, new TodoInput.Patch(TodoInput.completed(form), null))
                            .orElseThrow(() -> TodoApi.notFound(id));
                    ex.redirect("/");
                }))
                .route("POST", "/todos/{id}/delete", form(ex -> {
                    long id = TodoInput.id(ex.pathParam("id"));
                    TodoInput.onlyFields(ex.form(), Set.of(), "form");
                    if (!todos.delete(id)) {
                        throw TodoApi.notFound(id);
                    }
                    ex.redirect("/");
                }));
    }

    /** Form errors come back as the page with the message, not as JSON: a person is reading. */
    private Route form(Route route) {
        return ex -> {
            try {
                route.handle(ex);
            } catch (HttpError e) {
                if (e.status() == 503) {
                    throw e;
                }
                render(ex, e.status(), (e.field() == null ? "" : e.field() + ": ") + e.getMessage());
            }
        };
    }

    /** The page with a form's error: a 4xx, on the form's request thread. */
    private void render(Exchange ex, int status, String error) {
        ex.html(status, page(todos.list(TodoInput.MAX_LIST_LIMIT, 0), error));
    }

    private static byte[] page(List<Todo> items, String error) {
        long done = items.stream().filter(Todo::completed).count();
        StringBuilder html = new StringBuilder(2048 + items.size() * 300);
        html.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>Todo</title><style>").append(STYLE).append("</style></head><body><main>")
                .append("<h1>Todo</h1>");
        if (error != null) {
            html.append("<p class=\"error\" role=\"alert\" id=\"error\">");
            Html.escape(html, error);
            html.append("</p>");
        }
        html.append("<form class=\"add\" method=\"post\" action=\"/todos\">")
                .append("<input id=\"name\" name=\"name\" maxlength=\"100\" required placeholder=\"What needs doing?\"")
                .append(" aria-label=\"New item\"><button type=\"submit\" id=\"add\">Add</button></form><ul id=\"todos\">");
        for (Todo todo : items) {
            // One form per item, its buttons posting the toggle or (formaction) the delete: 14 KB for 50 items, not
            // 19 (no CPU figure moved with it: BENCHMARKS.md).
            html.append("<li id=\"todo-").append(todo.id()).append('"')
                    .append(todo.completed() ? " class=\"done\"" : "").append('>')
                    .append("<form method=\"post\" action=\"/todos/").append(todo.id()).append("\">")
                    .append("<button class=\"toggle\" name=\"completed\" value=\"").append(!todo.completed())
                    .append(todo.completed() ? "\" title=\"Mark not complete\">\u2611" : "\" title=\"Mark complete\">\u2610")
                    .append("</button><span class=\"name\">");
            Html.escape(html, todo.name());
            html.append("</span><button class=\"delete\" formaction=\"/todos/").append(todo.id())
                    .append("/delete\">Delete</button></form></li>");
        }
        html.append("</ul><p class=\"count\">").append(items.size()).append(items.size() == 1 ? " item, " : " items, ")
                .append(done).append(" done</p></main></body></html>");
        return html.toString().getBytes(StandardCharsets.UTF_8);
    }
}
