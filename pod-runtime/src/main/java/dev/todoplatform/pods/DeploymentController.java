package dev.todoplatform.pods;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Deployment: {@code replicas} pods of the current template, replaced by a rolling update when the template
 * changes (a new image, a changed ConfigMap name, `kubectl rollout restart`): at most replicas + maxSurge pods
 * exist, at least replicas - maxUnavailable are Ready, and old pods go (not-ready ones first) only as new ones
 * become Ready, as the Deployment controller does it.
 */
final class DeploymentController extends Workload {
    private static final SecureRandom RANDOM = new SecureRandom();
    final int replicas;
    final String maxSurge;
    final String maxUnavailable;
    private volatile PodSpec template;
    private volatile String revision;
    private final List<Pod> pods = new CopyOnWriteArrayList<>();
    private final Map<Pod, String> revisions = new ConcurrentHashMap<>();

    DeploymentController(Cluster cluster, String name, int replicas, String maxSurge, String maxUnavailable,
                         PodSpec template, String revision) {
        super(cluster, "Deployment", name);
        this.replicas = replicas;
        this.maxSurge = maxSurge;
        this.maxUnavailable = maxUnavailable;
        this.template = template;
        this.revision = revision;
    }

    /** A new revision of the pod template: what `kubectl rollout restart` does (a new annotation). */
    void rollOut(PodSpec newTemplate, String newRevision) {
        this.template = newTemplate;
        this.revision = newRevision;
        cluster.reconcileSoon(this);
    }

    @Override
    synchronized void reconcile() {
        pods.removeIf(p -> p.deleting() && !cluster.exists(p));
        List<Pod> live = pods.stream().filter(p -> !p.deleting()).toList();
        List<Pod> current = live.stream().filter(p -> revision.equals(revisions.get(p))).toList();
        List<Pod> old = live.stream().filter(p -> !revision.equals(revisions.get(p))).toList();
        int surge = Rollout.surge(maxSurge, replicas);
        int unavailable = Rollout.unavailable(maxUnavailable, replicas);
        if (surge == 0 && unavailable == 0) {
            unavailable = 1; // what the API server's validation enforces
        }
        int room = replicas + surge - live.size();
        int wanted = replicas - current.size();
        for (int i = 0; i < Math.min(room, wanted); i++) {
            create();
        }
        if (old.isEmpty() && current.size() > replicas) {
            current.stream().sorted(Comparator.comparing(Pod::ready)).limit(current.size() - replicas)
                    .forEach(this::delete);
            return;
        }
        long ready = live.stream().filter(Pod::ready).count();
        long deletable = ready - (replicas - unavailable);
        List<Pod> victims = old.stream().sorted(Comparator.comparing(Pod::ready)).toList();
        for (Pod p : victims) {
            if (!p.ready()) {
                delete(p); // an old pod that is not ready counts for nothing: it may always go
            } else if (deletable > 0) {
                delete(p);
                deletable--;
            }
        }
    }

    private void create() {
        String podName = name + "-" + revision + "-" + suffix();
        PodSpec spec = template;
        Pod pod = new Pod(cluster, podName, toString(), spec, cluster.podNames(podName, null, spec), Map.of());
        revisions.put(pod, revision);
        pods.add(pod);
        cluster.started(pod);
    }

    private void delete(Pod pod) {
        Threads.IO.execute(() -> pod.delete(Duration.ofSeconds(pod.spec.terminationGraceSeconds())));
    }

    private static String suffix() {
        String chars = "bcdfghjklmnpqrstvwxz2456789";
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            out.append(chars.charAt(RANDOM.nextInt(chars.length())));
        }
        return out.toString();
    }

    @Override
    boolean done() {
        List<Pod> live = pods.stream().filter(p -> !p.deleting()).toList();
        return live.size() == replicas && live.stream().allMatch(p -> revision.equals(revisions.get(p)) && p.ready());
    }

    @Override
    List<Pod> pods() {
        return pods.stream().filter(p -> !p.deleting()).toList();
    }

    String revision() {
        return revision;
    }

    PodSpec template() {
        return template;
    }
}
