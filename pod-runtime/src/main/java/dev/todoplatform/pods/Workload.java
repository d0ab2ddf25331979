package dev.todoplatform.pods;

import java.util.List;

/**
 * A controller of pods (StatefulSet, Deployment, Job): it keeps its pods as the spec says, one reconcile step
 * per tick, as the Kubernetes controllers do; {@link #done} is what `pulumi up` awaits for the kind.
 */
abstract class Workload {
    final Cluster cluster;
    final String kind;
    final String name;

    Workload(Cluster cluster, String kind, String name) {
        this.cluster = cluster;
        this.kind = kind;
        this.name = name;
    }

    /** One reconcile step; called every tick and whenever a pod changes. */
    abstract void reconcile();

    /** Pulumi's await condition: every replica of the current template ready (a Job: complete). */
    abstract boolean done();

    /** Why it cannot get there any more (a Job past its back-off limit), or null. */
    String failure() {
        return null;
    }

    abstract List<Pod> pods();

    @Override
    public String toString() {
        return kind + "/" + name;
    }
}
