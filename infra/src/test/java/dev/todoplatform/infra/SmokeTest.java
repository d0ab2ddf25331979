package dev.todoplatform.infra;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void dev() {
        Graph g = Graph.of(StackFiles.config("dev"));
        g.kubernetes().forEach(r -> System.out.println(r.type() + " " + r.objectName() + " " + r.provider()));
        System.out.println(g.outputs);
    }
}
