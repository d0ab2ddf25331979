package dev.todoplatform.pods;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.StampedLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One container of a pod, restarted the way kubelet restarts it: a fresh container (new root filesystem layer)
 * in the same pod, after a back-off of 0 s, then 10 s doubling to 5 minutes, reset after 10 minutes of running.
 * Its probes run as kubelet runs them: exec inside the container, HTTP and TCP from the node to the pod address.
 */
final class PodContainer {
    private static final Pattern VAR = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)|\\$\\$");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();
    private static final long MAX_BACKOFF_SECONDS = 300;

    private final Pod pod;
    final PodSpec.Container spec;
    private final Object lock = new Object();
    private String id;
    /** What the last failed exec probe printed (kubelet's "Liveness probe failed: ..." event). */
    private volatile String lastProbeFailure = "";
    private int generation;
    private int restarts;
    private long backoffSeconds;
    private long startedNanos;
    private boolean running;
    private boolean started;
    private boolean ready;
    private boolean finished;
    private boolean stopping;
    private boolean paused;
    private boolean pausing;
    /** Held (write) while paused; every exec holds it (read) while it runs. */
    private final StampedLock execs = new StampedLock();
    private long pauseStamp;
    private int lastExit = -1;
    private String waiting = "ContainerCreating";
    private ProbeLoop readinessLoop;

    PodContainer(Pod pod, PodSpec.Container spec) {
        this.pod = pod;
        this.spec = spec;
    }

    String name() {
        return pod.sandbox() + "-" + spec.name();
    }

    boolean ready() {
        synchronized (lock) {
            return ready;
        }
    }

    boolean finished() {
        synchronized (lock) {
            return finished;
        }
    }

    int restarts() {
        synchronized (lock) {
            return restarts;
        }
    }

    int lastExit() {
        synchronized (lock) {
            return lastExit;
        }
    }

    /** What kubectl would show: Running, Ready, Waiting (with its reason), Terminated. */
    String state() {
        synchronized (lock) {
            if (running) {
                return ready ? "Ready" : started ? "Running" : "Starting";
            }
            return finished ? "Terminated(" + lastExit + ")" : waiting;
        }
    }

    void start() {
        Threads.IO.execute(this::create);
    }

    /** Creates and starts a fresh container, then waits for it to exit (on this thread). */
    private void create() {
        int gen;
        synchronized (lock) {
            if (stopping || pod.deleting() || pod.cluster.closed()) {
                return;
            }
            gen = ++generation;
        }
        List<String> run;
        try {
            run = runCommand();
        } catch (IllegalStateException e) {
            // kubelet's CreateContainerConfigError (a missing Secret key): retried after the back-off.
            pod.cluster.event(pod.name + "/" + spec.name() + ": " + e.getMessage());
            synchronized (lock) {
                waiting = "CreateContainerConfigError";
            }
            scheduleRestart(gen);
            return;
        }
        Docker.call(Docker.DEFAULT_TIMEOUT, "rm", "-f", name());
        if (pod.deleting() || pod.cluster.closed()) {
            return; // not now (the engine would make again a claim volume removed meanwhile)
        }
        Docker.Result created = Docker.call(Docker.DEFAULT_TIMEOUT, run);
        if (!created.ok()) {
            pod.cluster.event(pod.name + "/" + spec.name() + ": cannot start: " + created.err().strip());
            synchronized (lock) {
                waiting = "CreateContainerError";
            }
            scheduleRestart(gen);
            return;
        }
        synchronized (lock) {
            id = created.out().strip();
            running = true;
            started = spec.startup() == null;
            ready = false;
            startedNanos = System.nanoTime();
        }
        schedule(gen, "startup", spec.startup());
        schedule(gen, "liveness", spec.liveness());
        schedule(gen, "readiness", spec.readiness());
        if (spec.readiness() == null) {
            readinessFollowsStartup(gen);
        }
        pod.cluster.podChanged(pod);
        String exit = Docker.call(Duration.ofDays(365), "wait", id).out().strip();
        exited(gen, exit.isEmpty() ? -1 : Integer.parseInt(exit));
    }

    private void exited(int gen, int code) {
        boolean restart;
        synchronized (lock) {
            if (gen != generation) {
                return;
            }
            running = false;
            ready = false;
            started = false;
            lastExit = code;
            waiting = "CrashLoopBackOff";
            long ranSeconds = (System.nanoTime() - startedNanos) / 1_000_000_000L;
            if (ranSeconds >= 2 * MAX_BACKOFF_SECONDS) {
                backoffSeconds = 0;
            }
            String policy = pod.spec.restartPolicy();
            restart = !stopping && !pod.deleting()
                    && (policy.equals("Always") || (policy.equals("OnFailure") && code != 0));
            finished = !restart;
        }
        pod.cluster.event(pod.name + "/" + spec.name() + " exited with " + code + (restart ? ", restarting" : "")
                + lastWords(code));
        if (restart) {
            scheduleRestart(gen);
        }
        pod.containerFinished();
    }

    /**
     * What a container that failed by itself said last (`kubectl logs --previous`): the container is removed at
     * its restart, and a start-up failure is otherwise lost. Not for kills (137) and clean exits.
     */
    private String lastWords(int code) {
        String container;
        synchronized (lock) {
            container = id;
        }
        return code == 0 || code == 137 ? "" : lastOutput(container);
    }

    /** A container's last lines, for an event: "; last output:" and the lines, indented; empty without any. */
    private static String lastOutput(String container) {
        if (container == null) {
            return "";
        }
        Docker.Result logs = Docker.call(Duration.ofSeconds(10), "logs", "--tail", "8", container);
        String said = (logs.out() + logs.err()).strip();
        return said.isEmpty() ? "" : "; last output:\n  " + said.replace("\n", "\n  ");
    }

    private void scheduleRestart(int gen) {
        long delay;
        synchronized (lock) {
            if (gen != generation || stopping) {
                return;
            }
            delay = backoffSeconds;
            backoffSeconds = backoffSeconds == 0 ? 10 : Math.min(MAX_BACKOFF_SECONDS, backoffSeconds * 2);
        }
        Threads.TICKS.schedule(() -> Threads.IO.execute(() -> {
            synchronized (lock) {
                restarts++;
            }
            create();
        }), delay, TimeUnit.SECONDS);
    }

    /** The current run's log, stdout and stderr (`kubectl logs`); empty when none runs. */
    String logs() {
        String current = currentId();
        if (current == null) {
            return "";
        }
        Docker.Result r = Docker.call(Docker.DEFAULT_TIMEOUT, "logs", current);
        return r.out() + r.err();
    }

    /** SIGKILL now (a crash, an OOM kill); the restart policy brings it back. */
    void kill() {
        String current = currentId();
        if (current != null) {
            Docker.call(Docker.DEFAULT_TIMEOUT, "kill", "--signal", "KILL", current);
        }
    }

    /** SIGTERM, then SIGKILL after the grace period; not restarted. */
    void stop(Duration grace) {
        String current;
        synchronized (lock) {
            stopping = true;
            current = id;
            thaw();
        }
        if (current != null) {
            Docker.call(grace.plusMinutes(1), "stop", "-t", Long.toString(grace.toSeconds()), current);
            Docker.call(Docker.DEFAULT_TIMEOUT, "rm", "-f", current);
        }
    }

    /**
     * Freezes the container. No `docker exec` may be starting meanwhile: runc's init of an exec frozen half-way
     * holds the container's lock in the engine, and `docker unpause` then hangs for good (seen here). So pause
     * waits for the execs in flight (probes, `kubectl exec`) and execs fail at once while it is paused, as an
     * exec probe of a frozen container times out.
     */
    void pause() {
        synchronized (lock) {
            if (!running || paused || pausing) {
                return;
            }
            pausing = true;
        }
        long stamp = execs.writeLock();
        synchronized (lock) {
            pausing = false;
            if (!running) {
                execs.unlockWrite(stamp);
                return;
            }
            // The cgroup freezer gives up ("unable to freeze", and thaws again) when it catches a process
            // forking, which a container that runs a command every second often is: tried again, up to 10 s.
            Docker.Result r = Docker.call(Docker.DEFAULT_TIMEOUT, "pause", name());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!r.ok() && r.err().contains("unable to freeze") && System.nanoTime() < deadline) {
                r = Docker.call(Docker.DEFAULT_TIMEOUT, "pause", name());
            }
            if (!r.ok()) {
                execs.unlockWrite(stamp);
                throw new IllegalStateException("docker pause " + name() + ": " + r.err().strip());
            }
            paused = true;
            pauseStamp = stamp;
        }
    }

    void unpause() {
        synchronized (lock) {
            thaw();
        }
    }

    private void thaw() {
        if (paused) {
            Docker.call(Docker.DEFAULT_TIMEOUT, "unpause", name());
            paused = false;
            execs.unlockWrite(pauseStamp);
        }
    }

    /** Runs a command inside the container, as `kubectl exec` does; fails at once while it is paused. */
    Docker.Result exec(Duration timeout, String... command) {
        long stamp = execs.tryReadLock();
        if (stamp == 0) {
            return new Docker.Result(-1, "", "container " + name() + " is paused");
        }
        try {
            return EngineSocket.exec(timeout, name(), List.of(command));
        } finally {
            execs.unlockRead(stamp);
        }
    }

    private String currentId() {
        synchronized (lock) {
            return running ? id : null;
        }
    }

    // ---- probes -------------------------------------------------------------------------------------------

    private void readinessFollowsStartup(int gen) {
        Threads.TICKS.schedule(() -> {
            synchronized (lock) {
                if (gen != generation || !running) {
                    return;
                }
                if (started) {
                    ready = true;
                }
            }
            if (ready()) {
                pod.cluster.podChanged(pod);
            } else {
                readinessFollowsStartup(gen);
            }
        }, 200, TimeUnit.MILLISECONDS);
    }

    private void schedule(int gen, String kind, PodSpec.Probe probe) {
        if (probe == null) {
            return;
        }
        ProbeLoop loop = new ProbeLoop(gen, kind, probe);
        if (kind.equals("readiness")) {
            synchronized (lock) {
                readinessLoop = loop;
            }
        }
        Threads.TICKS.schedule(loop::tick, probe.initialDelaySeconds() * 1000L, TimeUnit.MILLISECONDS);
    }

    /** One probe of one container generation: every periodSeconds, and once more on demand. */
    private final class ProbeLoop {
        final int gen;
        final String kind;
        final PodSpec.Probe probe;
        final int[] counts = new int[2]; // consecutive successes, failures

        ProbeLoop(int gen, String kind, PodSpec.Probe probe) {
            this.gen = gen;
            this.kind = kind;
            this.probe = probe;
        }

        void tick() {
            Threads.IO.execute(() -> {
                if (once()) {
                    Threads.TICKS.schedule(this::tick, probe.periodSeconds(), TimeUnit.SECONDS);
                }
            });
        }

        /** Kubelet probes readiness at once when the startup probe succeeds (not a period later). */
        void now() {
            Threads.IO.execute(this::once);
        }

        /** Runs the probe if it is due; returns whether it keeps running for this container. */
        synchronized boolean once() {
            synchronized (lock) {
                if (gen != generation || !running || stopping) {
                    return false;
                }
                if (paused || (!kind.equals("startup") && !started) || (kind.equals("startup") && started)) {
                    return true;
                }
            }
            boolean ok = probe(probe);
            if (ok) {
                counts[0]++;
                counts[1] = 0;
            } else {
                counts[1]++;
                counts[0] = 0;
            }
            return handle(gen, kind, probe, ok, counts);
        }
    }

    /** Applies one probe result; returns whether the probe keeps running for this container. */
    private boolean handle(int gen, String kind, PodSpec.Probe probe, boolean ok, int[] counts) {
        boolean changed = false;
        boolean kill = false;
        synchronized (lock) {
            if (gen != generation || !running) {
                return false;
            }
            switch (kind) {
                case "startup" -> {
                    if (ok) {
                        started = true;
                        changed = true;
                    } else if (counts[1] >= probe.failureThreshold()) {
                        kill = true;
                    }
                }
                case "liveness" -> kill = !ok && counts[1] >= probe.failureThreshold();
                default -> {
                    if (ok && counts[0] >= probe.successThreshold() && !ready) {
                        ready = true;
                        changed = true;
                    } else if (!ok && counts[1] >= probe.failureThreshold() && ready) {
                        ready = false;
                        changed = true;
                    }
                }
            }
        }
        if (changed) {
            pod.cluster.podChanged(pod);
        }
        if (changed && kind.equals("startup")) {
            ProbeLoop readiness;
            synchronized (lock) {
                readiness = readinessLoop;
            }
            if (readiness != null && readiness.gen == gen) {
                readiness.now();
            }
        }
        if (kill) {
            // With what the container said last: why it was stuck is otherwise lost with it at its restart.
            String current = currentId();
            pod.cluster.event(pod.name + "/" + spec.name() + " failed its " + kind + " probe " + counts[1]
                    + " times: killing it (restarted by policy)"
                    + (probe.exec() != null ? "; last failure: " + lastProbeFailure : "") + lastOutput(current));
            if (current != null) {
                Docker.call(Duration.ofSeconds(pod.spec.terminationGraceSeconds() + 60L), "stop", "-t",
                        Integer.toString(pod.spec.terminationGraceSeconds()), current);
            }
            return false;
        }
        return !(kind.equals("startup") && ok);
    }

    private boolean probe(PodSpec.Probe probe) {
        Duration timeout = Duration.ofSeconds(probe.timeoutSeconds());
        if (probe.exec() != null) {
            Docker.Result r = exec(timeout, probe.exec().toArray(String[]::new));
            if (!r.ok()) {
                lastProbeFailure = (r.out() + " " + r.err()).strip();
            }
            return r.ok();
        }
        Integer port = spec.port(probe.port());
        if (port == null) {
            return false;
        }
        if (probe.httpPath() != null) {
            try {
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + pod.ip() + ":" + port
                        + probe.httpPath())).timeout(timeout).header("User-Agent", "kube-probe/1.31").GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                return r.statusCode() >= 200 && r.statusCode() < 400;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(pod.ip(), port), (int) timeout.toMillis());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ---- the docker run command ---------------------------------------------------------------------------

    private List<String> runCommand() {
        Map<String, String> env = environment();
        PodSpec ps = pod.spec;
        Integer uid = spec.runAsUser() != null ? spec.runAsUser() : ps.runAsUser();
        Integer gid = spec.runAsGroup() != null ? spec.runAsGroup() : ps.runAsGroup();
        boolean nonRoot = spec.runAsNonRoot() != null ? spec.runAsNonRoot() : ps.runAsNonRoot();
        String user = uid != null ? uid + (gid != null ? ":" + gid : "") : pod.cluster.imageUser(spec.image());
        if (nonRoot && (user.isEmpty() || user.equals("0") || user.startsWith("0:") || !user.matches("\\d+(:\\d+)?"))) {
            throw new IllegalStateException("runAsNonRoot and the image runs as '" + user + "' (kubelet refuses it)");
        }
        List<String> run = new ArrayList<>(List.of("run", "-d", "--name", name(),
                "--network", "container:" + pod.sandbox(),
                "--label", Cluster.STACK_LABEL + "=" + pod.cluster.stack(), "--label", Cluster.POD_LABEL + "=" + pod.name,
                "--log-opt", "max-size=20m"));
        if (!user.isEmpty()) {
            run.addAll(List.of("--user", user));
        }
        if (ps.fsGroup() != null) {
            run.addAll(List.of("--group-add", Integer.toString(ps.fsGroup())));
        }
        if (ps.shareProcessNamespace()) {
            run.addAll(List.of("--pid", "container:" + pod.sandbox()));
        }
        if (spec.readOnlyRootFilesystem()) {
            run.add("--read-only");
        }
        if (!spec.allowPrivilegeEscalation()) {
            run.addAll(List.of("--security-opt", "no-new-privileges"));
        }
        spec.dropCapabilities().forEach(c -> run.addAll(List.of("--cap-drop", c)));
        spec.addCapabilities().forEach(c -> run.addAll(List.of("--cap-add", c)));
        if (spec.memoryLimit() != null) {
            String bytes = Long.toString(Quantity.bytes(spec.memoryLimit()));
            run.addAll(List.of("--memory", bytes, "--memory-swap", bytes));
        }
        if (spec.cpuRequest() != null) {
            run.addAll(List.of("--cpu-shares", Long.toString(Math.max(2, Quantity.millicores(spec.cpuRequest()) * 1024 / 1000))));
        }
        if (spec.cpuLimit() != null) {
            run.addAll(List.of("--cpus", String.format("%.3f", Quantity.millicores(spec.cpuLimit()) / 1000.0)));
        }
        for (PodSpec.Mount m : spec.mounts()) {
            PodSpec.Volume v = ps.volumes().stream().filter(x -> x.name().equals(m.volume())).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no volume " + m.volume()));
            String source = switch (v.kind()) {
                case "emptyDir" -> pod.emptyDirVolume(v.name());
                case "claim" -> pod.claims.get(v.name());
                default -> pod.volumeDir(v.name()).toString();
            };
            boolean files = v.kind().equals("configMap") || v.kind().equals("secret");
            // nocopy: a volume starts empty, as in a cluster (the engine would copy the image's files into it).
            String mode = files ? "ro" : m.readOnly() ? "ro,nocopy" : "nocopy";
            run.addAll(List.of("-v", source + ":" + m.path() + ":" + mode));
        }
        run.addAll(List.of("-v", pod.resolvConf() + ":/etc/resolv.conf:ro"));
        run.addAll(List.of("--env-file", envFile(env).toString()));
        List<String> command = spec.command().stream().map(s -> expand(s, env)).toList();
        List<String> args = spec.args().stream().map(s -> expand(s, env)).toList();
        if (!command.isEmpty()) {
            run.addAll(List.of("--entrypoint", command.get(0)));
        }
        run.add(spec.image());
        if (!command.isEmpty()) {
            run.addAll(command.subList(1, command.size()));
        }
        run.addAll(args);
        return run;
    }

    /** The container's environment, in order, with $(VAR) references to earlier variables expanded. */
    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        for (PodSpec.Env e : spec.env()) {
            String value;
            if (e.secretName() != null) {
                Map<String, String> secret = pod.cluster.secret(e.secretName());
                value = secret == null ? null : secret.get(e.secretKey());
                if (value == null) {
                    throw new IllegalStateException("secret " + e.secretName() + " has no key " + e.secretKey());
                }
            } else if (e.fieldPath() != null) {
                value = switch (e.fieldPath()) {
                    case "metadata.name" -> pod.name;
                    case "metadata.namespace" -> pod.cluster.namespace();
                    case "status.podIP" -> pod.ip();
                    case "spec.nodeName" -> "localhost";
                    default -> throw new IllegalArgumentException("fieldRef " + e.fieldPath() + " is not implemented");
                };
            } else {
                value = expand(e.value(), env);
            }
            env.put(e.name(), value);
        }
        return env;
    }

    /** Kubernetes' $(VAR) expansion: defined variables are replaced, $$ is a literal $, others stay as written. */
    static String expand(String s, Map<String, String> env) {
        Matcher m = VAR.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = m.group(1) == null ? "\\$" : env.containsKey(m.group(1))
                    ? Matcher.quoteReplacement(env.get(m.group(1))) : Matcher.quoteReplacement(m.group());
            m.appendReplacement(out, replacement);
        }
        m.appendTail(out);
        return out.toString();
    }

    private Path envFile(Map<String, String> env) {
        try {
            Path dir = pod.cluster.podDir(pod.name);
            Files.createDirectories(dir);
            Path file = dir.resolve("env-" + spec.name());
            StringBuilder text = new StringBuilder();
            env.forEach((k, v) -> {
                if (v.contains("\n")) {
                    throw new IllegalStateException("env " + k + " holds a line break, which the engine cannot pass");
                }
                text.append(k).append('=').append(v).append('\n');
            });
            Files.writeString(file, text);
            Files.setPosixFilePermissions(file, Modes.of(0600));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
