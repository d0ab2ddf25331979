package dev.todoplatform.service.http;

/** Whether the dependency this process needs answers now; must return within a short timeout. */
@FunctionalInterface
public interface Readiness {
    boolean check();
}
