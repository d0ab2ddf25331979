package dev.todoplatform.pods;

import java.util.List;
import java.util.Map;

/**
 * A Job: one pod run to completion. With restartPolicy OnFailure its container restarts in the pod; with Never
 * a failed pod is replaced. Past backoffLimit failures or activeDeadlineSeconds the Job has failed.
 */
final class JobController extends Workload {
    final PodSpec template;
    final int backoffLimit;
    final int activeDeadlineSeconds;
    private final long createdNanos = System.nanoTime();
    private volatile Pod pod;
    private int failedPods;
    private volatile String failure;

    JobController(Cluster cluster, String name, PodSpec template, int backoffLimit, int activeDeadlineSeconds) {
        super(cluster, "Job", name);
        this.template = template;
        this.backoffLimit = backoffLimit;
        this.activeDeadlineSeconds = activeDeadlineSeconds;
    }

    @Override
    synchronized void reconcile() {
        if (failure != null || done()) {
            return;
        }
        if (activeDeadlineSeconds > 0 && System.nanoTime() - createdNanos > activeDeadlineSeconds * 1_000_000_000L) {
            fail("it ran past activeDeadlineSeconds=" + activeDeadlineSeconds);
            return;
        }
        if (pod == null || pod.phase() == Pod.Phase.FAILED) {
            if (pod != null) {
                failedPods++;
            }
            if (failedPods > backoffLimit) {
                fail("backoffLimit " + backoffLimit + " reached");
                return;
            }
            String podName = name + "-" + Integer.toHexString((int) (System.nanoTime() & 0xfffff));
            pod = new Pod(cluster, podName, toString(), template, cluster.podNames(podName, null, template), Map.of());
            cluster.started(pod);
        } else if (pod.restarts() > backoffLimit) {
            fail("its container failed " + pod.restarts() + " times (backoffLimit " + backoffLimit + ")");
        }
    }

    private void fail(String why) {
        failure = "Job " + name + " failed: " + why;
        Pod p = pod;
        if (p != null) {
            Threads.IO.execute(() -> p.delete(java.time.Duration.ofSeconds(0)));
        }
    }

    @Override
    boolean done() {
        Pod p = pod;
        return p != null && p.phase() == Pod.Phase.SUCCEEDED;
    }

    @Override
    String failure() {
        return failure;
    }

    @Override
    List<Pod> pods() {
        Pod p = pod;
        return p == null ? List.of() : List.of(p);
    }
}
