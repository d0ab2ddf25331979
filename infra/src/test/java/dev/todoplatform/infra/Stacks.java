package dev.todoplatform.infra;

import java.util.concurrent.ConcurrentHashMap;

/** The graphs of the real stack files, built once per test run. */
final class Stacks {
    private static final ConcurrentHashMap<String, Graph> GRAPHS = new ConcurrentHashMap<>();

    private Stacks() {
    }

    /**
     * The application graph of a stack file. The prod stack names platform gke; until the cloud platforms are
     * wired, its application stack is checked on the existing-cluster target (identical by construction).
     */
    static Graph graph(String stack) {
        return GRAPHS.computeIfAbsent(stack, s -> Graph.of(onExistingCluster(StackFiles.config(s))));
    }

    static StackConfig onExistingCluster(StackConfig c) {
        return new StackConfig(c.stack(), StackConfig.Platform.EXISTING, c.kubeContext(), c.namespace(), c.images(),
                c.replicas(), c.postgresNodes(), c.synchronousReplication(), c.storageClass(), c.postgresStorage(),
                c.redisStorage(), c.allowedSourceRanges(), c.requiredAntiAffinity(), c.resources());
    }
}
