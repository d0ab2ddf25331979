package dev.todoplatform.pods;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One pod on the container engine, with the semantics a kubelet gives it:
 * <ul>
 * <li>a sandbox container holds the pod's network namespace (its address and host name); every
 * container joins it, each with its own PID namespace and root filesystem;</li>
 * <li>emptyDir volumes live as long as the pod (they survive container restarts), claims outlive it, ConfigMap
 * and Secret volumes are read-only files with their modes; fsGroup owns the writable volumes as kubelet sets
 * it (group, g+rw, setgid directories);</li>
 * <li>containers restart by the restart policy with kubelet's back-off, and when their liveness or startup
 * probe fails; the pod is Ready when every container's readiness probe passes.</li>
 * </ul>
 */
final class Pod {
    enum Phase { PENDING, RUNNING, SUCCEEDED, FAILED }

    final Cluster cluster;
    final String name;
    final PodSpec spec;
    final String owner;
    /** DNS names of this pod's address in the cluster DNS (its own, and headless Services that select it). */
    final List<String> aliases;
    /** claim name -> the engine volume that holds it (it outlives the pod). */
    final Map<String, String> claims;
    /** Like a pod's UID: what makes this pod's emptyDirs its own (a new pod of the same name gets new ones). */
    final String uid = Long.toHexString(Double.doubleToLongBits(Math.random())).substring(0, 8);
    private final Map<String, PodContainer> containers = new ConcurrentHashMap<>();
    private volatile String ip;
    private volatile boolean deleting;
    private volatile Phase phase = Phase.PENDING;

    Pod(Cluster cluster, String name, String owner, PodSpec spec, List<String> aliases, Map<String, String> claims) {
        this.cluster = cluster;
        this.name = name;
        this.owner = owner;
        this.spec = spec;
        this.aliases = aliases;
        this.claims = claims;
    }

    String sandbox() {
        return cluster.prefix() + "-" + name;
    }

    String ip() {
        return ip;
    }

    Phase phase() {
        return phase;
    }

    boolean deleting() {
        return deleting;
    }

    List<PodContainer> containers() {
        return List.copyOf(containers.values());
    }

    PodContainer container(String containerName) {
        PodContainer c = containers.get(containerName);
        if (c == null) {
            throw new IllegalArgumentException("pod " + name + " has no container " + containerName);
        }
        return c;
    }

    /** Ready: running, not being deleted, every container ready (kubelet's PodReady condition). */
    boolean ready() {
        return !deleting && phase == Phase.RUNNING && !containers.isEmpty()
                && containers.values().stream().allMatch(PodContainer::ready);
    }

    int restarts() {
        return containers.values().stream().mapToInt(PodContainer::restarts).sum();
    }

    /** Creates the sandbox and the volumes, then starts every container; returns once they were created. */
    void start() {
        List<String> run = new ArrayList<>(List.of("run", "-d", "--name", sandbox(), "--hostname", hostname(),
                "--network", cluster.network(), "--label", Cluster.STACK_LABEL + "=" + cluster.stack(),
                "--label", Cluster.POD_LABEL + "=" + name,
                "--read-only", "--user", "65535:65535", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                "--memory", "32m"));
        run.addAll(List.of(cluster.baseImage(), "sleep", "infinity"));
        Docker.run(run);
        ip = Docker.address(sandbox());
        cluster.dns().publish(dnsRecords(), ip, aliases);
        writeResolvConf();
        prepareVolumes();
        for (PodSpec.Container c : spec.containers()) {
            containers.put(c.name(), new PodContainer(this, c));
        }
        phase = Phase.RUNNING;
        containers.values().forEach(PodContainer::start);
    }

    /** The pod's record set in the cluster DNS: from its address until it is gone. */
    String dnsRecords() {
        return "pod-" + name + "-" + uid;
    }

    /** kubelet's resolv.conf for the pod (dnsPolicy ClusterFirst), mounted into every container. */
    Path resolvConf() {
        return cluster.podDir(name).resolve("resolv.conf");
    }

    private void writeResolvConf() {
        try {
            Files.createDirectories(resolvConf().getParent());
            Files.writeString(resolvConf(), cluster.dns().resolvConf());
            Files.setPosixFilePermissions(resolvConf(), Modes.of(0644));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String hostname() {
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    /** The engine volume of an emptyDir of this pod. */
    String emptyDirVolume(String volume) {
        return sandbox() + "-" + uid + "-" + volume;
    }

    Path volumeDir(String volume) {
        return cluster.podDir(name).resolve(volume);
    }

    private void prepareVolumes() {
        List<String> writable = new ArrayList<>();
        for (PodSpec.Volume v : spec.volumes()) {
            switch (v.kind()) {
                case "emptyDir" -> {
                    Docker.run("volume", "create", "--label", Cluster.STACK_LABEL + "=" + cluster.stack(),
                            "--label", Cluster.POD_LABEL + "=" + name, emptyDirVolume(v.name()));
                    writable.add(emptyDirVolume(v.name()));
                }
                case "claim" -> writable.add(claims.get(v.name()));
                case "configMap" -> writeFiles(v, cluster.configMap(v.source()));
                case "secret" -> writeFiles(v, cluster.secret(v.source()));
                default -> throw new IllegalStateException(v.kind());
            }
        }
        List<String> emptyDirs = spec.volumes().stream().filter(v -> v.kind().equals("emptyDir"))
                .map(v -> emptyDirVolume(v.name())).toList();
        if (!emptyDirs.isEmpty() || (spec.fsGroup() != null && !writable.isEmpty())) {
            // kubelet makes an emptyDir 0777; with fsGroup, SetVolumeOwnership then gives everything on a writable
            // volume group fsGroup, files g+rw, directories g+rwx and setgid (on every mount, claims included).
            List<String> fix = new ArrayList<>(List.of("run", "--rm", "--user", "0", "--network", "none", "--label",
                    Cluster.STACK_LABEL + "=" + cluster.stack()));
            StringBuilder script = new StringBuilder("set -e");
            for (int i = 0; i < writable.size(); i++) {
                fix.addAll(List.of("-v", writable.get(i) + ":/v/" + i + ":nocopy"));
                if (emptyDirs.contains(writable.get(i))) {
                    script.append("; chmod 0777 /v/").append(i);
                }
            }
            if (spec.fsGroup() != null) {
                String g = Integer.toString(spec.fsGroup());
                script.append("; find /v -mindepth 1 ! -type l -exec chgrp ").append(g).append(" {} +")
                        .append("; find /v -mindepth 1 -type f -exec chmod ug+rw {} +")
                        .append("; find /v -mindepth 1 -type d -exec chmod ug+rwx,g+s {} +");
            }
            fix.addAll(List.of(cluster.baseImage(), "sh", "-c", script.toString()));
            Docker.run(fix);
        }
    }

    private void writeFiles(PodSpec.Volume v, Map<String, String> files) {
        if (files == null) {
            throw new IllegalStateException("pod " + name + ": volume " + v.name() + " needs " + v.kind() + " "
                    + v.source() + ", which does not exist");
        }
        try {
            Path dir = volumeDir(v.name());
            Files.createDirectories(dir);
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path file = dir.resolve(f.getKey());
                Files.writeString(file, f.getValue());
                Files.setPosixFilePermissions(file, Modes.of(v.defaultMode()));
                if (spec.fsGroup() != null) {
                    // kubelet gives a ConfigMap's or Secret's files the pod's fsGroup: 0440 is readable by it only.
                    Files.setAttribute(file, "unix:gid", spec.fsGroup());
                }
            }
            Files.setPosixFilePermissions(dir, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE,
                    PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every container exited and none is restarted: the pod's final phase (a Job's pods). */
    void containerFinished() {
        if (containers.values().stream().allMatch(PodContainer::finished)) {
            phase = containers.values().stream().allMatch(c -> c.lastExit() == 0) ? Phase.SUCCEEDED : Phase.FAILED;
        }
        cluster.podChanged(this);
    }

    /**
     * Deletes the pod as the API server and kubelet do: it leaves every Service at once, its containers get
     * SIGTERM and, after the grace period, SIGKILL; then the sandbox and its emptyDirs go. Claims stay.
     */
    void delete(Duration grace) {
        if (deleting) {
            return;
        }
        deleting = true;
        cluster.podChanged(this);
        List<CompletableFuture<Void>> stops = containers.values().stream()
                .map(c -> CompletableFuture.runAsync(() -> c.stop(grace), Threads.IO)).toList();
        stops.forEach(CompletableFuture::join);
        Docker.call(Docker.DEFAULT_TIMEOUT, "rm", "-f", sandbox());
        for (PodSpec.Volume v : spec.volumes()) {
            if (v.kind().equals("emptyDir")) {
                Docker.call(Docker.DEFAULT_TIMEOUT, "volume", "rm", "-f", emptyDirVolume(v.name()));
            }
        }
        cluster.podGone(this);
    }

    /** Freezes every process of the pod (a VM stall, a stuck disk): nothing runs until {@link #unpause}. */
    void pause() {
        containers.values().forEach(PodContainer::pause);
    }

    void unpause() {
        containers.values().forEach(PodContainer::unpause);
    }

    /**
     * Cuts the pod off from the given addresses, or from everything when there are none (a node or zone cut off):
     * packets in and out are dropped in the pod's network namespace, as a lost link drops them, with no reset,
     * so connections hang until their timeouts. Loopback and the node's own calls into the pod (exec probes)
     * stay, as on a partitioned node.
     */
    void partition(List<String> addresses) {
        if (addresses.isEmpty()) {
            netfilter("-I", "INPUT", "-i", "eth0", "-j", "DROP");
            netfilter("-I", "OUTPUT", "-o", "eth0", "-j", "DROP");
        }
        for (String address : addresses) {
            netfilter("-I", "INPUT", "-s", address, "-j", "DROP");
            netfilter("-I", "OUTPUT", "-d", address, "-j", "DROP");
        }
    }

    /** Ends every partition of the pod. */
    void heal() {
        netfilter("-F", "INPUT");
        netfilter("-F", "OUTPUT");
    }

    private void netfilter(String... rule) {
        String pid = Docker.run("inspect", "-f", "{{.State.Pid}}", sandbox());
        List<String> command = new ArrayList<>(List.of("nsenter", "-t", pid, "-n", "iptables", "-w"));
        command.addAll(List.of(rule));
        try {
            HostCommand.run(command, null);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("pod " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
