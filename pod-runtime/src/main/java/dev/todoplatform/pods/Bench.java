package dev.todoplatform.pods;

import dev.todoplatform.daemons.RunAs;
import dev.todoplatform.daemons.Wrk;
import dev.todoplatform.infra.Render;
import dev.todoplatform.infra.StackFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * scripts/bench: the production path. A stack (prod by default: 2 nginx, 3 todo, 4 counter, 2 PgPool, 3 PostgreSQL
 * with synchronous replication, the read fence) as pods on the pod runtime, wrk on the same machine through the
 * LoadBalancer address. Per figure it prints {@code bench <name>: <n> requests/s, p99 <x> ms, cpu <y> ms/request}
 * (the CPU every container of the stack spent over the run, divided by the requests served), then where that CPU
 * went per component, the read-your-writes check of the mixed load, start-to-ready times and resident memory.
 */
public final class Bench {
    /** The component of the containers that belong to no pod: the LoadBalancer Service's proxy. */
    private static final String LOAD_BALANCER = "load balancer";
    private static final int WARM_ROUND_SECONDS = 5;
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        String stack = args.length > 0 ? args[0] : "prod";
        int seconds = Integer.parseInt(System.getProperty("bench.seconds", "15"));
        int connections = Integer.parseInt(System.getProperty("bench.connections", "32"));
        String name = "bench";
        Cluster.down(name, true);
        Cluster cluster = Cluster.load(name, Render.run(StackFiles.config(stack)).objects(),
                new Cluster.Options(Cli.stateRoot(), Cli.repo(), 0, false));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> cluster.close(true)));
        long start = System.nanoTime();
        cluster.apply();
        System.out.printf("bench ready: stack %s (%d pods) applied in %.1f s; per workload, created to ready: %s%n",
                stack, cluster.servingPods(), (System.nanoTime() - start) / 1e9, cluster.readyTimes().entrySet()
                        .stream().map(e -> e.getKey() + " " + e.getValue().toMillis() / 100 / 10.0 + " s")
                        .collect(Collectors.joining(", ")));
        String url = cluster.loadBalancerUrl();
        System.out.printf("bench path: %s, the LoadBalancer's own address%n", url);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (int i = 1; i <= 50; i++) {
            post(http, url, "benchmark item " + i);
        }
        // Owned by the user wrk runs as (RunAs): a root-only directory left wrk without its scripts, and it sent GETs.
        Path dir = RunAs.tempDir("todo-bench");
        Path create = lua(dir, "create.lua", "wrk.method = \"POST\"\nwrk.body = '{\"name\":\"written by wrk\"}'\n"
                + "wrk.headers[\"Content-Type\"] = \"application/json\"\n");
        // 9 reads of the JSON list's first 50 items (the seeded ones; creates add after them) for each create, in a
        // fixed rotation.
        Path mixed = lua(dir, "mixed.lua", """
                local n = 0
                request = function()
                  n = n + 1
                  if n % 10 == 0 then
                    return wrk.format("POST", "/api/todos", {["Content-Type"] = "application/json"},
                      '{"name":"mixed load"}')
                  end
                  return wrk.format("GET", "/api/todos?limit=50")
                end
                """);
        // What the stack costs doing nothing: probes, repmgrd, the fencing and failback loops, PgPool's checks.
        // The machine's busy time shows what no container is charged for: the exec probes' runtime work.
        Map<String, Usage> idleBefore = usageByComponent(cluster);
        long idleMachineBefore = machineTicks();
        long idleStart = System.nanoTime();
        Thread.sleep(10_000);
        Map<String, Usage> idleAfter = usageByComponent(cluster);
        double idleSeconds = (System.nanoTime() - idleStart) / 1e9;
        System.out.printf("bench idle: %s cores; the machine %.2f cores busy%n", idleAfter.entrySet().stream()
                .filter(e -> !e.getKey().startsWith("Job/"))
                .map(e -> e.getKey() + " " + String.format("%.3f", e.getValue().minus(idleBefore.get(e.getKey()))
                        .cpuNanos() / 1e9 / idleSeconds)).collect(Collectors.joining(", ")),
                (machineTicks() - idleMachineBefore) / 100.0 / idleSeconds);
        Map<String, String> figures = new LinkedHashMap<>();
        // The lists first, while the database holds the 50 seeded items; the creates add thousands.
        figures.put("list-page", url);
        figures.put("list-json", url + "api/todos");
        figures.put("counter", url + "counter");
        figures.put("create", url + "api/todos");
        figures.put("mixed", url);
        // Warm the JITs the way running pods are warm: each route until its rate settles. Seven service JVMs
        // share two cores, so a fixed 10 s left the counter at two thirds of its steady rate (measured).
        // The creates' warm-up comes right before their figure, after the lists'.
        System.out.printf("bench warm-up: %s%n", String.join(", ", warm("list-page", url, connections, null),
                warm("list-json", url + "api/todos", connections, null),
                warm("counter", url + "counter", connections, null)));
        for (Map.Entry<String, String> figure : figures.entrySet()) {
            String what = figure.getKey();
            Path script = what.equals("create") ? create : what.equals("mixed") ? mixed : null;
            if (what.equals("create")) {
                System.out.printf("bench warm-up: %s%n", warm("create", url + "api/todos", connections, create));
            }
            long idBefore = what.equals("create") ? post(http, url, "before the creates") : 0;
            ReadYourWrites check = what.equals("mixed") ? new ReadYourWrites(http, url).start() : null;
            Map<String, Usage> before = usageByComponent(cluster);
            long machineBefore = machineTicks();
            long runStart = System.nanoTime();
            Wrk.Result r = Wrk.run(figure.getValue(), seconds, connections, script);
            double runSeconds = (System.nanoTime() - runStart) / 1e9;
            long machineAfter = machineTicks();
            Map<String, Usage> after = usageByComponent(cluster);
            if (check != null) {
                check.stop();
            }
            if (what.equals("create")) {
                // Every request a create, or the figure is not one (ids are never reused, and may skip).
                long created = post(http, url, "after the creates") - idBefore - 1;
                if (created < r.requests()) {
                    throw new IllegalStateException("create: " + r.requests() + " requests made " + created + " items");
                }
            }
            Map<String, Usage> used = new TreeMap<>();
            after.forEach((component, usage) -> {
                if (!component.startsWith("Job/")) {
                    used.put(component, usage.minus(before.get(component)));
                }
            });
            Map<String, Double> perRequest = new TreeMap<>();
            used.forEach((component, usage) -> perRequest.put(component, usage.cpuNanos() / 1e6 / r.requests()));
            // The load balancer is the cloud's, outside the cluster: shown, not counted in the stack's CPU.
            double total = perRequest.entrySet().stream().filter(e -> !e.getKey().equals(LOAD_BALANCER))
                    .mapToDouble(Map.Entry::getValue).sum();
            System.out.printf("bench %s: %.0f requests/s, p99 %.2f ms, cpu %.3f ms/request%n", what,
                    r.requestsPerSecond(), r.p99Millis(), total);
            System.out.printf("bench %s cpu by component: %s ms/request%s%n", what, perRequest.entrySet().stream()
                    .map(e -> e.getKey() + " " + String.format("%.3f", e.getValue())).collect(Collectors.joining(", ")),
                    r.errors().isEmpty() ? "" : "; errors: " + r.errors());
            // How the CPU was spent: a component that switches threads often spends it in the kernel, not serving.
            System.out.printf("bench %s kernel and switches by component: %s%n", what, used.entrySet().stream()
                    .filter(e -> perRequest.get(e.getKey()) >= 0.005) // below that, ticks of 10 ms are noise
                    .map(e -> String.format("%s %.0f %% kernel, %.1f switches/request", e.getKey(),
                            100 * e.getValue().kernelShare(), e.getValue().switches() / (double) r.requests()))
                    .collect(Collectors.joining("; ")));
            double busy = (machineAfter - machineBefore) / 100.0 / runSeconds;
            double stackCores = total * r.requests() / 1e3 / runSeconds;
            double lbCores = perRequest.getOrDefault(LOAD_BALANCER, 0.0) * r.requests() / 1e3 / runSeconds;
            System.out.printf("bench %s machine: %.2f of %d cores busy: the stack %.2f, the load balancer %.2f, "
                    + "the rest (wrk, the engine, the runtime, the kernel) %.2f%n", what, busy,
                    Runtime.getRuntime().availableProcessors(), stackCores - lbCores, lbCores, busy - stackCores);
            if (check != null) {
                System.out.printf("bench read-your-writes: %d samples, %d misses%n", check.samples.get(),
                        check.misses.get());
            }
            // A container restarted under load (a probe that timed out on starved cores) skews every figure.
            String restarted = cluster.pods().stream().filter(p -> p.restarts() > 0)
                    .map(p -> p.name() + " " + p.restarts()).collect(Collectors.joining(", "));
            if (!restarted.isEmpty()) {
                System.out.printf("bench %s restarts so far: %s%n", what, restarted);
            }
        }
        System.out.printf("bench memory: %s MiB resident%n", memoryByComponent(cluster).entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
        System.out.printf("bench machine: %d cores; wrk, the runtime and every container on it%n",
                Runtime.getRuntime().availableProcessors());
        cluster.close(true);
        System.exit(0);
    }

    /**
     * Runs a route in 5 s rounds until a round's rate is within 5 % of the one before (at most 60 s), and says how
     * long that took and the last round's rate. Not merely "no faster": a round slowed by the young stack's own
     * work (the other JVMs' JITs, pools filling) ended the warm-up at a third of the measured rate (seen).
     */
    private static String warm(String name, String url, int connections, Path script) throws Exception {
        double previous = 0;
        for (int round = 1; ; round++) {
            double rate = Wrk.run(url, WARM_ROUND_SECONDS, connections, script).requestsPerSecond();
            if (Math.abs(rate - previous) < previous * 0.05 || round * WARM_ROUND_SECONDS >= 60) {
                return String.format("%s %d s (%.0f requests/s)", name, round * WARM_ROUND_SECONDS, rate);
            }
            previous = rate;
        }
    }

    /** During the mixed load: create an item, then read the list right after it; a miss is a stale read. */
    private static final class ReadYourWrites {
        final AtomicLong samples = new AtomicLong();
        final AtomicLong misses = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final HttpClient http;
        private final String url;
        private Thread thread;

        ReadYourWrites(HttpClient http, String url) {
            this.http = http;
            this.url = url;
        }

        ReadYourWrites start() {
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        long id = post(http, url, "read-your-writes sample");
                        String listed = http.send(HttpRequest.newBuilder(URI.create(url + "api/todos?after=" + (id - 1)
                                + "&limit=1")).build(), HttpResponse.BodyHandlers.ofString()).body();
                        samples.incrementAndGet();
                        Matcher m = ID.matcher(listed);
                        if (!m.find() || Long.parseLong(m.group(1)) != id) {
                            misses.incrementAndGet();
                        }
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // a failed request is wrk's to count; this check counts stale reads only
                    }
                }
            }, "read-your-writes");
            thread.start();
            return this;
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    private static long post(HttpClient http, String url, String name) throws IOException, InterruptedException {
        String body = http.send(HttpRequest.newBuilder(URI.create(url + "api/todos"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = ID.matcher(body);
        if (!m.find()) {
            throw new IllegalStateException("no id in " + body);
        }
        return Long.parseLong(m.group(1));
    }

    private static Path lua(Path dir, String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    /**
     * What a component's containers have used so far: CPU time (ns), its user and kernel parts (in the cgroup's
     * own unit), and the context switches (voluntary and forced) of each of their threads, by thread id.
     */
    record Usage(long cpuNanos, long user, long kernel, Map<String, Long> threadSwitches) {
        Usage plus(Usage o) {
            Map<String, Long> threads = new HashMap<>(threadSwitches);
            threads.putAll(o.threadSwitches);
            return new Usage(cpuNanos + o.cpuNanos, user + o.user, kernel + o.kernel, threads);
        }

        /**
         * Since {@code earlier} (a component that had no containers then has used all of it since). A thread's
         * switches count from its first sight; those of threads that have exited since are lost, not subtracted.
         */
        Usage minus(Usage earlier) {
            if (earlier == null) {
                return this;
            }
            Map<String, Long> threads = new HashMap<>();
            threadSwitches.forEach((tid, n) -> threads.put(tid, n - earlier.threadSwitches.getOrDefault(tid, 0L)));
            return new Usage(cpuNanos - earlier.cpuNanos, user - earlier.user, kernel - earlier.kernel, threads);
        }

        double kernelShare() {
            return user + kernel == 0 ? 0 : kernel / (double) (user + kernel);
        }

        long switches() {
            return threadSwitches.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** What every container of the stack has used, per component (the LoadBalancer's proxy: {@link #LOAD_BALANCER}). */
    private static Map<String, Usage> usageByComponent(Cluster cluster) {
        Map<String, Usage> out = new TreeMap<>();
        containers(cluster).forEach((id, component) -> out.merge(component, Cgroups.usage(id), Usage::plus));
        return out;
    }

    private static Map<String, Long> memoryByComponent(Cluster cluster) {
        Map<String, Long> out = new TreeMap<>();
        containers(cluster).forEach((id, component) -> {
            if (!component.startsWith("Job/")) {
                out.merge(component, Cgroups.residentBytes(id) >> 20, Long::sum);
            }
        });
        return out;
    }

    /** Container id to the component it belongs to: the workload that owns its pod, or a part of the runtime. */
    private static Map<String, String> containers(Cluster cluster) {
        Map<String, String> owners = new LinkedHashMap<>();
        cluster.pods().forEach(p -> owners.put(p.name(), p.owner()));
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : Docker.run("ps", "--no-trunc", "--filter", "label=" + Cluster.STACK_LABEL + "="
                + cluster.stack(), "--format", "{{.ID}} {{.Names}} {{.Label \"" + Cluster.POD_LABEL + "\"}}").split("\n")) {
            String[] parts = line.trim().split(" ", 3);
            if (parts.length < 2) {
                continue;
            }
            String pod = parts.length > 2 ? parts[2].trim() : "";
            // The runtime's own containers: the load balancer's proxy, and the cluster DNS (CoreDNS's part).
            out.put(parts[0], !pod.isEmpty() ? owners.getOrDefault(pod, pod)
                    : parts[1].endsWith("-dns") ? "cluster DNS" : LOAD_BALANCER);
        }
        return out;
    }

    /** The whole machine's busy time (ticks of 1/100 s: all but idle and iowait), from /proc/stat. */
    private static long machineTicks() {
        try {
            String[] cpu = Files.readString(Path.of("/proc/stat")).lines().findFirst().orElseThrow().trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < Math.min(cpu.length, 9); i++) {
                busy += i == 4 || i == 5 ? 0 : Long.parseLong(cpu[i]);
            }
            return busy;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A container's cgroup counters, cgroup v1 (cgroupfs driver) or v2. */
    static final class Cgroups {
        private Cgroups() {
        }

        private static long cpuNanos(String id) {
            Path v1 = Path.of("/sys/fs/cgroup/cpuacct/docker", id, "cpuacct.usage");
            if (Files.exists(v1)) {
                return Long.parseLong(read(v1).trim());
            }
            return stat(v2(id).resolve("cpu.stat"), "usage_usec") * 1000;
        }

        /** CPU time, its user and kernel parts (v1: ticks of 1/100 s; v2: µs), and each thread's switches. */
        static Usage usage(String id) {
            Path v1 = Path.of("/sys/fs/cgroup/cpuacct/docker", id);
            boolean isV1 = Files.exists(v1);
            Path stat = isV1 ? v1.resolve("cpuacct.stat") : v2(id).resolve("cpu.stat");
            Map<String, Long> threads = new HashMap<>();
            for (String tid : read(isV1 ? v1.resolve("tasks") : v2(id).resolve("cgroup.threads")).split("\n")) {
                Path status = Path.of("/proc", tid.trim(), "status");
                if (!tid.isBlank() && Files.exists(status)) {
                    threads.put(tid.trim(), stat(status, "voluntary_ctxt_switches:")
                            + stat(status, "nonvoluntary_ctxt_switches:"));
                }
            }
            return new Usage(cpuNanos(id), stat(stat, isV1 ? "user" : "user_usec"),
                    stat(stat, isV1 ? "system" : "system_usec"), threads);
        }

        static long residentBytes(String id) {
            Path v1 = Path.of("/sys/fs/cgroup/memory/docker", id, "memory.stat");
            if (Files.exists(v1)) {
                return stat(v1, "rss");
            }
            return stat(v2(id).resolve("memory.stat"), "anon");
        }

        private static Path v2(String id) {
            Path cgroupfs = Path.of("/sys/fs/cgroup/docker", id);
            return Files.exists(cgroupfs) ? cgroupfs : Path.of("/sys/fs/cgroup/system.slice", "docker-" + id + ".scope");
        }

        private static long stat(Path file, String key) {
            if (!Files.exists(file)) {
                return 0; // a container that just exited
            }
            for (String line : read(file).split("\n")) {
                // "key value" in cgroup files, "key:\tvalue" in /proc's status
                if (line.startsWith(key) && line.length() > key.length()
                        && Character.isWhitespace(line.charAt(key.length()))) {
                    return Long.parseLong(line.substring(key.length()).trim());
                }
            }
            return 0;
        }

        private static String read(Path file) {
            try {
                return Files.readString(file);
            } catch (IOException e) {
                return "0";
            }
        }
    }
}
