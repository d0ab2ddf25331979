package dev.todoplatform.service.todo;

import dev.todoplatform.service.http.Exchange;
import dev.todoplatform.service.http.HttpError;
import dev.todoplatform.service.http.Json;
import dev.todoplatform.service.http.Router;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/** The JSON API under /api/todos. */
public final class TodoApi {
    private final TodoRepository todos;
    private final LastRendering lists = new LastRendering();

    public TodoApi(TodoRepository todos) {
        this.todos = todos;
    }

    public void register(Router router) {
        router.routeAsync("GET", "/api/todos", this::list)
                .route("POST", "/api/todos", this::create)
                .route("GET", "/api/todos/{id}", this::get)
                .route("PATCH", "/api/todos/{id}", this::patch)
                .route("DELETE", "/api/todos/{id}", this::delete);
    }

    private void list(Exchange ex) {
        TodoInput.Page page = TodoInput.page(ex.query());
        list(ex, todos, page.limit(), page.after(), items -> ex.jsonBytes(200, lists.of(items, Json::bytes)));
    }

    /**
     * Answers a list request with its page: from the thread that read it or the one that completes the position
     * lookup it joined, when the page is kept at that position ({@link TodoRepository#joined}), and else from a
     * request thread that reads it. A kept page then costs no thread a wait: under load most lists join a lookup,
     * and parking and waking a thread for each cost the JVM more than the rest of the request (BENCHMARKS.md).
     */
    static void list(Exchange ex, TodoRepository todos, long limit, long afterId, Consumer<List<Todo>> answer) {
        ex.complete(todos.joined(limit, afterId, System.nanoTime()), joined -> {
            if (joined.page() != null) {
                answer.accept(joined.page());
            } else {
                ex.blocking(e -> answer.accept(todos.list(limit, afterId, joined.at())));
            }
        });
    }

    private void create(Exchange ex) throws Exception {
        String name = TodoInput.create(ex.body("application/json"));
        Todo todo = todos.create(name, idempotencyKey(ex));
        ex.header("Location", "/api/todos/" + todo.id());
        ex.json(201, todo);
    }

    private void get(Exchange ex) {
        long id = TodoInput.id(ex.pathParam("id"));
        ex.json(200, todos.find(id).orElseThrow(() -> notFound(id)));
    }

    private void patch(Exchange ex) throws Exception {
        long id = TodoInput.id(ex.pathParam("id"));
        TodoInput.Patch patch = TodoInput.patch(ex.body("application/json"));
        ex.json(200, todos.update(id, patch).orElseThrow(() -> notFound(id)));
    }

    private void delete(Exchange ex) {
        long id = TodoInput.id(ex.pathParam("id"));
        if (!todos.delete(id)) {
            throw notFound(id);
        }
        ex.noContent();
    }

    static HttpError notFound(long id) {
        return new HttpError(404, "no todo with id " + id, "id");
    }

    /**
     * The client's Idempotency-Key, else the one nginx sets per client request (the same on its retries),
     * else a fresh one: a create is never applied twice for one key.
     */
    static String idempotencyKey(Exchange ex) {
        String key = ex.header("Idempotency-Key");
        if (key == null) {
            return UUID.randomUUID().toString();
        }
        if (key.isEmpty() || key.length() > 100 || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw HttpError.badRequest("Idempotency-Key", "Idempotency-Key must be 1 to 100 printable ASCII characters");
        }
        return key;
    }
}
