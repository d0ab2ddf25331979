package dev.todoplatform.pods;

import dev.todoplatform.daemons.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The rendered objects of one stack, run on the container engine as a cluster runs them (one node): Secrets
 * and ConfigMaps as files, Services as stable addresses over ready endpoints, StatefulSets, Deployments and
 * Jobs as controllers of pods. {@link #apply} creates them in the order `pulumi up` does and awaits each
 * workload as Pulumi's await logic does.
 *
 * <p>Loading refuses any field the runtime does not implement, naming the object and the field; the fields it
 * accepts without effect (scheduling across nodes, identities for an API server that is not there) are listed
 * with the reason in the README.
 */
public final class Cluster implements AutoCloseable {
    static final String STACK_LABEL = "dev.todoplatform.stack";
    static final String POD_LABEL = "dev.todoplatform.pod";
    static final String CLAIM_LABEL = "dev.todoplatform.claim";
    private static final Duration AWAIT = Duration.ofMinutes(10); // Pulumi's default for workloads

    /** Where a stack's state lives, which images the runtime itself uses, and the LoadBalancer's local port. */
    public record Options(Path stateRoot, Path repo, int loadBalancerPort, boolean verbose) {
    }

    /** A pod as `kubectl get pods` shows it. */
    public record PodStatus(String name, String owner, boolean ready, int restarts, String ip, Map<String, String> containers) {
    }

    private final String stack;
    private final Options options;
    private final String namespace;
    private final Path stateDir;
    private final String proxyImage;
    private final Map<String, Map<String, String>> secrets = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> configMaps = new LinkedHashMap<>();
    private final Map<String, ServiceProxy> services = new LinkedHashMap<>();
    private KernelServices kernelServices;
    private final ClusterDns dns;
    /** Headless Services: name -> selector (their names resolve to the selected pods). */
    private final Map<String, Map<String, String>> headless = new LinkedHashMap<>();
    private final List<Workload> workloads = new ArrayList<>();
    /** The workloads apply has created so far: only these are reconciled. */
    private final List<Workload> active = new CopyOnWriteArrayList<>();
    private final Set<Pod> pods = ConcurrentHashMap.newKeySet();
    private final Map<String, String> imageUsers = new ConcurrentHashMap<>();
    private final ConcurrentLinkedDeque<String> events = new ConcurrentLinkedDeque<>();
    private final ExecutorService endpoints = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "pods-endpoints");
        t.setDaemon(true);
        return t;
    });
    /** Per workload, in the order applied: from its creation to done (Pulumi's await). */
    private final Map<String, Duration> readyTimes = new LinkedHashMap<>();
    private ScheduledFuture<?> ticker;
    private volatile boolean closed;

    private Cluster(String stack, Options options, List<Map<String, Object>> objects) {
        this.stack = stack;
        this.options = options;
        this.stateDir = options.stateRoot().resolve(stack);
        this.proxyImage = imageOf(options.repo().resolve("images/service-proxy/Dockerfile"));
        this.dns = new ClusterDns(this);
        String ns = null;
        List<String> errors = new ArrayList<>();
        for (Map<String, Object> object : objects) {
            Fields f = Fields.of(object);
            String kind = f.required("kind");
            Fields meta = f.obj("metadata");
            String name = meta.required("name");
            try {
                f.required("apiVersion");
                meta.stringMap("labels");
                meta.accept("annotations", "cloud load-balancer and rollout annotations: nothing here reads them");
                meta.accept("namespace", "one namespace per stack");
                switch (kind) {
                    case "Namespace" -> ns = name;
                    case "Secret" -> {
                        String type = f.str("type", "Opaque");
                        if (!type.equals("Opaque") && !type.equals("kubernetes.io/tls")) {
                            throw new IllegalArgumentException("type=" + type + " is not implemented");
                        }
                        Map<String, String> data = new LinkedHashMap<>(f.stringMap("stringData"));
                        f.stringMap("data").forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
                        secrets.put(name, data);
                    }
                    case "ConfigMap" -> configMaps.put(name, f.stringMap("data"));
                    case "ServiceAccount" -> f.accept("automountServiceAccountToken", "no API server, so no token to mount");
                    case "PodDisruptionBudget" -> f.accept("spec", "no node drains on one machine; rollouts follow maxUnavailable");
                    case "NetworkPolicy" -> f.accept("spec", "not enforced by this runtime (README: what the runtime does not do)");
                    case "StorageClass" -> f.acceptRest("one volume driver here: every class is an engine volume");
                    case "PersistentVolumeClaim" -> f.accept("spec", "a claim's size (the program patches it): engine volumes have no size (README)");
                    case "Service" -> service(name, f.obj("spec"));
                    case "StatefulSet" -> workloads.add(statefulSet(name, f.obj("spec")));
                    case "Deployment" -> workloads.add(deployment(name, f.obj("spec")));
                    case "Job" -> workloads.add(job(name, f.obj("spec")));
                    default -> throw new IllegalArgumentException("kind " + kind + " is not implemented");
                }
                f.unread().forEach(field -> errors.add(kind + "/" + name + ": " + field + " is not implemented by the pod runtime"));
            } catch (IllegalArgumentException | ClassCastException e) {
                errors.add(kind + "/" + name + ": " + e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("the pod runtime cannot run stack " + stack + ":\n  " + String.join("\n  ", errors));
        }
        this.namespace = ns == null ? "default" : ns;
    }

    /** Loads the objects (refusing what it cannot run faithfully); nothing runs until {@link #apply}. */
    public static Cluster load(String stack, List<Map<String, Object>> objects, Options options) {
        return new Cluster(stack, options, objects);
    }

    // ---- loading ------------------------------------------------------------------------------------------

    private void service(String name, Fields spec) {
        String type = spec.str("type", "ClusterIP");
        Map<String, String> selector = spec.stringMap("selector");
        List<ServiceProxy.Port> ports = new ArrayList<>();
        for (Fields p : spec.list("ports")) {
            p.expect("protocol", "TCP");
            int port = p.integer("port", 0);
            ports.add(new ServiceProxy.Port(p.str("name"), port, p.str("targetPort", Integer.toString(port))));
        }
        if ("None".equals(spec.str("clusterIP"))) {
            spec.expect("publishNotReadyAddresses", true); // names exist from pod creation, ready or not
            headless.put(name, selector);
            return;
        }
        if (type.equals("LoadBalancer")) {
            spec.accept("externalTrafficPolicy", "one node: traffic is always local");
            spec.accept("loadBalancerSourceRanges", "the address is published on 127.0.0.1 only: no other client exists here");
        } else if (!type.equals("ClusterIP")) {
            throw new IllegalArgumentException("spec.type=" + type + " is not implemented");
        }
        services.put(name, new ServiceProxy(this, name, selector, ports, type.equals("LoadBalancer")));
    }

    /** spec.selector.matchLabels, which the API server requires to match the template's labels. */
    private static void checkSelector(Fields spec, PodSpec template) {
        Map<String, String> selector = spec.obj("selector").stringMap("matchLabels");
        if (!template.matches(selector)) {
            throw new IllegalArgumentException("spec.selector " + selector + " does not match the template's labels");
        }
    }

    private StatefulSetController statefulSet(String name, Fields spec) {
        List<String> claims = new ArrayList<>();
        for (Fields claim : spec.list("volumeClaimTemplates")) {
            Fields meta = claim.obj("metadata");
            claims.add(meta.required("name"));
            meta.stringMap("labels");
            Fields cs = claim.obj("spec");
            cs.strings("accessModes");
            cs.accept("storageClassName", "one engine volume driver: every class is a local volume");
            cs.obj("resources").accept("requests", "engine volumes have no size (README)");
        }
        spec.accept("revisionHistoryLimit", "no rollbacks here");
        spec.accept("persistentVolumeClaimRetentionPolicy", "claims here go with `down --volumes` (README)");
        String policy = spec.str("podManagementPolicy", "OrderedReady");
        if (!policy.equals("Parallel") && !policy.equals("OrderedReady")) {
            throw new IllegalArgumentException("spec.podManagementPolicy=" + policy + " is not implemented");
        }
        PodSpec template = PodSpec.parse(spec.obj("template"), claims);
        checkSelector(spec, template);
        return new StatefulSetController(this, name, spec.integer("replicas", 1), spec.required("serviceName"),
                policy.equals("Parallel"), template, claims);
    }

    private DeploymentController deployment(String name, Fields spec) {
        spec.accept("revisionHistoryLimit", "no rollbacks here");
        Fields strategy = spec.obj("strategy");
        strategy.expect("type", "RollingUpdate");
        Fields rolling = strategy.obj("rollingUpdate");
        String surge = rolling.str("maxSurge", "25%");
        String unavailable = rolling.str("maxUnavailable", "25%");
        Fields templateFields = spec.obj("template");
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("template", templateFields.raw("spec"));
        PodSpec template = PodSpec.parse(templateFields, List.of());
        checkSelector(spec, template);
        if (!template.restartPolicy().equals("Always")) {
            throw new IllegalArgumentException("a Deployment's restartPolicy must be Always");
        }
        return new DeploymentController(this, name, spec.integer("replicas", 1), surge, unavailable, template,
                hash(String.valueOf(raw)));
    }

    private JobController job(String name, Fields spec) {
        PodSpec template = PodSpec.parse(spec.obj("template"), List.of());
        if (template.restartPolicy().equals("Always")) {
            throw new IllegalArgumentException("a Job's restartPolicy must be OnFailure or Never");
        }
        return new JobController(this, name, template, spec.integer("backoffLimit", 6),
                spec.integer("activeDeadlineSeconds", 0));
    }

    // ---- running ------------------------------------------------------------------------------------------

    /**
     * Creates everything, in the order `pulumi up` does: the inert objects first, then the Services, then each
     * workload in the program's order, awaited before the next (Pulumi awaits a workload before creating what
     * depends on it).
     */
    public void apply() {
        images();
        try {
            Files.createDirectories(stateDir);
            Files.setPosixFilePermissions(stateDir, Modes.of(0700));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        down(stack, false); // what a previous run left: containers, emptyDirs (claims stay)
        Docker.run("network", "create", "--label", STACK_LABEL + "=" + stack, network());
        kernelServices = new KernelServices(stack,
                Docker.run("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", network()).trim());
        kernelServices.start();
        dns.start();
        services.values().forEach(s -> s.start(s.loadBalancer ? options.loadBalancerPort() : 0));
        ticker = Threads.TICKS.scheduleWithFixedDelay(this::tick, 500, 500, TimeUnit.MILLISECONDS);
        for (Workload w : workloads) {
            event("creating " + w);
            long created = System.nanoTime();
            active.add(w);
            w.reconcile();
            await(w, AWAIT);
            readyTimes.put(w.toString(), Duration.ofNanos(System.nanoTime() - created));
        }
        awaitEndpoints(Duration.ofSeconds(30));
        event("stack " + stack + " applied");
    }

    /** Waits until the workload is done (Pulumi's await), or fails with its pods' state. */
    void await(Workload w, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!w.done()) {
            if (w.failure() != null) {
                throw new IllegalStateException(w.failure() + "\n" + status());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(w + " not ready after " + timeout.toSeconds() + " s\n" + status()
                        + "\nlast events:\n" + String.join("\n", lastEvents(30)));
            }
            sleep(100);
        }
    }

    private void tick() {
        if (closed) {
            return;
        }
        for (Workload w : active) {
            try {
                w.reconcile();
            } catch (RuntimeException e) {
                event(w + ": reconcile failed: " + e.getMessage());
            }
        }
    }

    boolean closed() {
        return closed;
    }

    void reconcileSoon(Workload w) {
        Threads.IO.execute(() -> {
            try {
                w.reconcile();
            } catch (RuntimeException e) {
                event(w + ": reconcile failed: " + e.getMessage());
            }
        });
    }

    void started(Pod pod) {
        pods.add(pod);
        event("pod " + pod.name + " created");
        Threads.IO.execute(() -> {
            try {
                pod.start();
            } catch (RuntimeException e) {
                event("pod " + pod.name + " could not start: " + e.getMessage());
                Threads.IO.execute(() -> pod.delete(Duration.ZERO));
            }
        });
    }

    boolean exists(Pod pod) {
        return pods.contains(pod);
    }

    void podGone(Pod pod) {
        dns.withdraw(pod.dnsRecords());
        forgetPodDir(pod.name); // before a pod of the same name can be made (it is one once this one is gone)
        pods.remove(pod);
        podChanged(pod);
        event("pod " + pod.name + " deleted");
    }

    /** A pod's readiness or life changed: Services get their new endpoints (in order, one update at a time). */
    void podChanged(Pod pod) {
        if (closed) {
            return;
        }
        endpoints.execute(() -> {
            for (ServiceProxy s : services.values()) {
                try {
                    s.update(readyPods(s));
                } catch (RuntimeException e) {
                    event("service " + s.name + ": " + e.getMessage());
                }
            }
        });
    }

    private List<Pod> readyPods(ServiceProxy s) {
        return pods.stream().filter(p -> p.spec.matches(s.selector) && p.ready())
                .sorted(Comparator.comparing(p -> p.name)).toList();
    }

    /**
     * Waits until every Service sends new connections to exactly its ready pods. Endpoint updates follow a
     * readiness change on their own thread, and a workload is done on its pods' readiness alone, so without this
     * the first request after apply could reach a load balancer with no server yet (Pulumi awaits a Service with a
     * selector until it has endpoints).
     */
    private void awaitEndpoints(Duration timeout) {
        Poll.until(timeout, "every Service to serve its ready pods",
                () -> services.values().stream().allMatch(s -> s.serves(readyPods(s))));
    }

    // ---- what pods and services need ----------------------------------------------------------------------

    String stack() {
        return stack;
    }

    String namespace() {
        return namespace;
    }

    KernelServices kernelServices() {
        return kernelServices;
    }

    String network() {
        return prefix(stack);
    }

    /** What the engine's names of a stack's containers, volumes and network begin with. */
    String prefix() {
        return prefix(stack);
    }

    private static String prefix(String stack) {
        return "tp-" + stack;
    }

    Path stateDir() {
        return stateDir;
    }

    String baseImage() {
        return proxyImage;
    }

    String proxyImage() {
        return proxyImage;
    }

    List<String> searchDomains() {
        return List.of(namespace + ".svc.cluster.local", "svc.cluster.local", "cluster.local");
    }

    Map<String, String> secret(String name) {
        return secrets.get(name);
    }

    Map<String, String> configMap(String name) {
        return configMaps.get(name);
    }

    Path podDir(String pod) {
        return stateDir.resolve("pods").resolve(pod);
    }

    void forgetPodDir(String pod) {
        Path dir = podDir(pod);
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                event("cannot remove " + dir + ": " + e.getMessage());
            }
        }
    }

    ClusterDns dns() {
        return dns;
    }

    /** The DNS name of a Service in this namespace (pods reach the shorter forms through their search domains). */
    String serviceName(String service) {
        return service + "." + namespace + ".svc.cluster.local";
    }

    /** A pod's DNS names: its own under its governing headless Service, and every headless Service selecting it. */
    List<String> podNames(String pod, String subdomain, PodSpec spec) {
        List<String> names = new ArrayList<>();
        if (subdomain != null && headless.containsKey(subdomain)) {
            names.add(pod + "." + serviceName(subdomain));
        }
        headless.forEach((service, selector) -> {
            if (spec.matches(selector)) {
                names.add(serviceName(service));
            }
        });
        return names;
    }

    String imageUser(String image) {
        return imageUsers.computeIfAbsent(image, i -> Docker.run("image", "inspect", "-f", "{{.Config.User}}", i));
    }

    /**
     * Provisions a claim's volume unless it exists. One that exists without this stack's label was not provisioned
     * here: the engine makes a volume it is asked to mount, so a container started while its pod or stack was
     * going away re-created a removed volume, empty or with what that container then wrote. A disk a cluster
     * deleted never comes back: it is removed and provisioned afresh.
     */
    void ensureClaimVolume(String volume) {
        Docker.Result owner = Docker.call(Docker.DEFAULT_TIMEOUT, "volume", "inspect", "-f", labels(STACK_LABEL), volume);
        if (owner.ok() && owner.out().strip().equals(stack)) {
            return;
        }
        if (owner.ok()) {
            Docker.run("volume", "rm", "-f", volume);
            event("volume " + volume + " was made by the engine, not provisioned: removed");
        }
        Docker.run("volume", "create", "--label", STACK_LABEL + "=" + stack, "--label", CLAIM_LABEL + "=true", volume);
        event("volume " + volume + " provisioned");
    }

    void removeVolume(String volume) {
        Docker.call(Docker.DEFAULT_TIMEOUT, "volume", "rm", "-f", volume);
        event("volume " + volume + " deleted");
    }

    void event(String message) {
        String line = Instant.now() + " " + message;
        events.add(line);
        while (events.size() > 2000) {
            events.pollFirst();
        }
        if (options.verbose()) {
            System.out.println("pods: " + message);
        }
        try {
            if (Files.isDirectory(stateDir)) {
                Files.writeString(stateDir.resolve("events.log"), line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            // the in-memory list still has it
        }
    }

    List<String> lastEvents(int n) {
        List<String> all = new ArrayList<>(events);
        return all.subList(Math.max(0, all.size() - n), all.size());
    }

    private void images() {
        Set<String> wanted = new TreeSet<>();
        wanted.add(proxyImage);
        workloads.forEach(w -> templateOf(w).containers().forEach(c -> wanted.add(c.image())));
        List<String> missing = wanted.stream().filter(i -> !Docker.call(Docker.DEFAULT_TIMEOUT, "image", "inspect", i).ok()).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("images not built: " + missing + " (./scripts/images builds them; the "
                    + "service image: mvn -Pimage package)");
        }
    }

    private static PodSpec templateOf(Workload w) {
        if (w instanceof StatefulSetController s) {
            return s.template;
        }
        if (w instanceof DeploymentController d) {
            return d.template();
        }
        return ((JobController) w).template;
    }

    static String imageOf(Path dockerfile) {
        try {
            String first = Files.readAllLines(dockerfile).get(0);
            if (!first.startsWith("# image: ")) {
                throw new IllegalStateException(dockerfile + ": the first line must be '# image: NAME:TAG'");
            }
            return first.substring("# image: ".length()).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 10);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    // ---- what tests and operators do ----------------------------------------------------------------------

    /** How long each workload took from its creation to ready (done, for a Job), in the order applied. */
    public Map<String, Duration> readyTimes() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(readyTimes));
    }

    /** The LoadBalancer Service's address on this machine. */
    public String url() {
        return "http://127.0.0.1:" + loadBalancer().publishedPort() + "/";
    }

    /**
     * The LoadBalancer Service's own address, as a cloud's external IP: what the benchmark measures through, with
     * no port forwarder of the engine (its userland proxy) on the way, which no cloud has.
     */
    public String loadBalancerUrl() {
        ServiceProxy lb = loadBalancer();
        return "http://" + Docker.address(lb.container()) + ":" + lb.ports.get(0).port() + "/";
    }

    /** The 127.0.0.1 port the LoadBalancer Service's {@code servicePort} (e.g. 443) is published on. */
    public int loadBalancerPort(int servicePort) {
        return loadBalancer().publishedPort(servicePort);
    }

    private ServiceProxy loadBalancer() {
        return services.values().stream().filter(s -> s.loadBalancer).findFirst()
                .orElseThrow(() -> new IllegalStateException("stack " + stack + " has no LoadBalancer Service"));
    }

    public List<PodStatus> pods() {
        return pods.stream().filter(p -> !p.deleting()).sorted(Comparator.comparing(p -> p.name)).map(p -> {
            Map<String, String> states = new LinkedHashMap<>();
            p.containers().forEach(c -> states.put(c.spec.name(), c.state()));
            return new PodStatus(p.name, p.owner, p.ready(), p.restarts(), p.ip(), states);
        }).toList();
    }

    /** The running pods of a workload, e.g. ("StatefulSet", "postgres"). */
    public List<String> podsOf(String kind, String name) {
        return workload(kind, name).pods().stream().filter(p -> !p.deleting()).map(p -> p.name).toList();
    }

    public boolean ready(String pod) {
        return pods.stream().anyMatch(p -> p.name.equals(pod) && p.ready());
    }

    public int restarts(String pod) {
        return pod(pod).restarts();
    }

    /** Runs a command in a container, as `kubectl exec` does. */
    public Docker.Result exec(String pod, String container, Duration timeout, String... command) {
        return pod(pod).container(container).exec(timeout, command);
    }

    /** `kubectl logs POD -c CONTAINER`. */
    public String logs(String pod, String container) {
        return pod(pod).container(container).logs();
    }

    /** SIGKILL to a container (a crash); the runtime restarts it as kubelet would. */
    public void kill(String pod, String container) {
        pod(pod).container(container).kill();
    }

    public void pause(String pod) {
        pod(pod).pause();
    }

    public void unpause(String pod) {
        pod(pod).unpause();
    }

    /** Freezes one container of a pod (the others run on). */
    public void pause(String pod, String container) {
        pod(pod).container(container).pause();
    }

    public void unpause(String pod, String container) {
        pod(pod).container(container).unpause();
    }

    /** Cuts the pod off the network: from the other pods named, or from everything when none are. */
    public void partition(String pod, List<String> fromPods) {
        pod(pod).partition(fromPods.stream().map(this::podIp).toList());
    }

    public void heal(String pod) {
        pod(pod).heal();
    }

    /** `kubectl delete pod` of a StatefulSet's pod (it comes back), optionally with its volumes (new empty disks). */
    public void deleteStatefulPod(String statefulSet, int ordinal, boolean withVolumes) {
        StatefulSetController s = (StatefulSetController) workload("StatefulSet", statefulSet);
        s.deletePod(ordinal, Duration.ofSeconds(s.template.terminationGraceSeconds()), withVolumes);
    }

    /** `kubectl rollout restart deployment NAME` and `kubectl rollout status`: returns when the rollout is done. */
    public void rolloutRestart(String deployment, Duration timeout) {
        DeploymentController d = (DeploymentController) workload("Deployment", deployment);
        d.rollOut(d.template(), hash(d.revision() + System.nanoTime()));
        await(d, timeout);
        awaitEndpoints(timeout);
    }

    /** Waits until every workload is as its spec says (all pods of the current templates ready). */
    public void awaitReady(Duration timeout) {
        for (Workload w : workloads) {
            if (!(w instanceof JobController)) {
                await(w, timeout);
            }
        }
        awaitEndpoints(timeout);
    }

    /** Every non-Job pod is ready: the figure the tests print. */
    public long readyPods() {
        return pods().stream().filter(p -> p.ready() && !p.owner().startsWith("Job/")).count();
    }

    public long servingPods() {
        return pods().stream().filter(p -> !p.owner().startsWith("Job/")).count();
    }

    public Map<String, String> secretData(String name) {
        return Map.copyOf(secrets.get(name));
    }

    /** The pod's address on the stack's network (tests reach a pod's port directly, as a node can). */
    public String podIp(String pod) {
        return pod(pod).ip();
    }

    public String status() {
        StringBuilder out = new StringBuilder(String.format("%-40s %-6s %-9s %-16s %s%n", "NAME", "READY", "RESTARTS", "IP", "CONTAINERS"));
        for (PodStatus p : pods()) {
            out.append(String.format("%-40s %-6s %-9d %-16s %s%n", p.name(), p.ready(), p.restarts(), p.ip(), p.containers()));
        }
        return out.toString();
    }

    private Pod pod(String name) {
        return pods.stream().filter(p -> p.name.equals(name) && !p.deleting()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no pod " + name + "\n" + status()));
    }

    private Workload workload(String kind, String name) {
        return workloads.stream().filter(w -> w.kind.equals(kind) && w.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no " + kind + " " + name));
    }

    /**
     * Removes every container of the stack (and its network); {@code wipe}: its volumes too. Fails if anything
     * stays: a later run must never find a volume of this one (a node would start on another cluster's data).
     */
    public static void down(String stack, boolean wipe) {
        KernelServices.remove(stack);
        Poll.until(Duration.ofSeconds(60), "stack " + stack + " removed", () -> {
            String ids = Docker.run("ps", "-aq", "--filter", "label=" + STACK_LABEL + "=" + stack);
            if (!ids.isBlank()) {
                List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(ids.lines().toList());
                Docker.call(Docker.DEFAULT_TIMEOUT, rm);
            }
            boolean networkLeft = !removeNetwork(prefix(stack));
            boolean left = false;
            // By name too: a volume the engine made for a container started as the stack went away has no labels
            // (see ensureClaimVolume), and the next run of the stack must not find it.
            String volumes = Docker.run("volume", "ls", "-q", "--filter", "name=" + prefix(stack) + "-");
            for (String v : volumes.lines().filter(v -> v.startsWith(prefix(stack) + "-")).toList()) {
                String[] labels = Docker.run("volume", "inspect", "-f", labels(STACK_LABEL, CLAIM_LABEL), v).split(" ", -1);
                String owner = labels[0];
                boolean claim = labels.length > 1 && labels[1].equals("true");
                if (owner.equals(stack) ? wipe || !claim : wipe && owner.isEmpty()) {
                    left |= !Docker.call(Docker.DEFAULT_TIMEOUT, "volume", "rm", "-f", v).ok();
                }
            }
            return ids.isBlank() && !left && !networkLeft;
        });
    }

    /** The engine volumes provisioned for the claims of a stack (its data). */
    static List<String> claimVolumes(String stack) {
        return Docker.run("volume", "ls", "-q", "--filter", "label=" + STACK_LABEL + "=" + stack,
                "--filter", "label=" + CLAIM_LABEL + "=true").lines().filter(v -> !v.isBlank()).sorted().toList();
    }

    /** An inspect format printing the values of these labels, separated by spaces (empty where unset). */
    private static String labels(String... keys) {
        return String.join(" ", Arrays.stream(keys).map(k -> "{{index .Labels \"" + k + "\"}}").toList());
    }

    /**
     * Removes the network; true once it is gone. The engine once kept an endpoint of a container it had removed
     * ("has active endpoints" with no container left), and the stack's next apply could not create its network:
     * such an endpoint is disconnected by force, which is what `docker network disconnect -f` is for.
     */
    private static boolean removeNetwork(String network) {
        if (Docker.call(Docker.DEFAULT_TIMEOUT, "network", "rm", network).ok()) {
            return true;
        }
        Docker.Result endpoints = Docker.call(Docker.DEFAULT_TIMEOUT, "network", "inspect", "-f",
                "{{range .Containers}}{{.Name}} {{end}}", network);
        if (!endpoints.ok()) {
            return true; // no such network
        }
        for (String endpoint : endpoints.out().strip().split("\\s+")) {
            if (!endpoint.isEmpty()) {
                Docker.call(Docker.DEFAULT_TIMEOUT, "network", "disconnect", "-f", network, endpoint);
            }
        }
        return Docker.call(Docker.DEFAULT_TIMEOUT, "network", "rm", network).ok();
    }

    /** Stops everything this runtime started for the stack; {@code wipe}: the volumes go too. */
    public void close(boolean wipe) {
        closed = true;
        if (ticker != null) {
            ticker.cancel(false);
        }
        endpoints.shutdownNow();
        down(stack, wipe); // until nothing is left: a restart under way when closing began may still create one
        pods.clear();
    }

    @Override
    public void close() {
        close(true);
    }
}
