package dev.todoplatform.pods;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A StatefulSet: pods NAME-0..N-1 with stable names (and stable DNS names under their headless Service), one
 * volume per claim template and ordinal that outlives its pod, created all at once (Parallel) or each after
 * the one before it is Ready (OrderedReady). A deleted pod comes back with the same name and volumes.
 */
final class StatefulSetController extends Workload {
    final int replicas;
    final String serviceName;
    final boolean parallel;
    final PodSpec template;
    final List<String> claims;
    private final Map<Integer, Pod> pods = new ConcurrentHashMap<>();

    StatefulSetController(Cluster cluster, String name, int replicas, String serviceName, boolean parallel,
                          PodSpec template, List<String> claims) {
        super(cluster, "StatefulSet", name);
        this.replicas = replicas;
        this.serviceName = serviceName;
        this.parallel = parallel;
        this.template = template;
        this.claims = claims;
    }

    String podName(int ordinal) {
        return name + "-" + ordinal;
    }

    /** The engine volume of claim {@code claim} for {@code ordinal}: CLAIM-NAME-ORDINAL, as a PVC is named. */
    String claimVolume(String claim, int ordinal) {
        return cluster.prefix() + "-" + claim + "-" + podName(ordinal);
    }

    @Override
    synchronized void reconcile() {
        for (int i = 0; i < replicas; i++) {
            Pod pod = pods.get(i);
            if (pod != null && pod.deleting()) {
                if (cluster.exists(pod)) {
                    return; // a StatefulSet never runs two pods of one ordinal: wait until the old one is gone
                }
                pods.remove(i);
                pod = null;
            }
            if (pod == null) {
                create(i);
                if (!parallel) {
                    return;
                }
            } else if (!parallel && !pod.ready()) {
                return;
            }
        }
    }

    private void create(int ordinal) {
        Map<String, String> volumes = new LinkedHashMap<>();
        for (String claim : claims) {
            String volume = claimVolume(claim, ordinal);
            cluster.ensureClaimVolume(volume);
            volumes.put(claim, volume);
        }
        String podName = podName(ordinal);
        List<String> aliases = new ArrayList<>(cluster.podNames(podName, serviceName, template));
        Pod pod = new Pod(cluster, podName, toString(), template, aliases, volumes);
        pods.put(ordinal, pod);
        cluster.started(pod);
    }

    /** Deletes the pod of {@code ordinal} (it comes back); {@code withVolumes}: its claims go too, as new empty disks. */
    void deletePod(int ordinal, Duration grace, boolean withVolumes) {
        Pod pod = pods.get(ordinal);
        if (pod == null) {
            return;
        }
        synchronized (this) {
            pod.delete(grace);
            if (withVolumes) {
                for (String claim : claims) {
                    cluster.removeVolume(claimVolume(claim, ordinal));
                }
            }
        }
        cluster.reconcileSoon(this);
    }

    @Override
    boolean done() {
        if (pods.size() < replicas) {
            return false;
        }
        return pods.values().stream().allMatch(Pod::ready);
    }

    @Override
    List<Pod> pods() {
        List<Pod> out = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            Pod p = pods.get(i);
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }
}
