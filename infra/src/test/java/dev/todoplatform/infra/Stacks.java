package dev.todoplatform.infra;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** The graphs of the real stack files, built once per test run. */
final class Stacks {
    /** Every stack file in the repository: dev (existing cluster), prod (GKE), prod-aws (EKS). */
    static final List<String> ALL = List.of("dev", "prod", "prod-aws");
    private static final ConcurrentHashMap<String, Graph> GRAPHS = new ConcurrentHashMap<>();

    private Stacks() {
    }

    static Graph graph(String stack) {
        return GRAPHS.computeIfAbsent(stack, s -> Graph.of(StackFiles.config(s)));
    }
}
