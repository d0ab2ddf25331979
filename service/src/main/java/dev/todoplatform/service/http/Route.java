package dev.todoplatform.service.http;

/** Handles one method + path pattern. */
@FunctionalInterface
public interface Route {
    void handle(Exchange exchange) throws Exception;
}
