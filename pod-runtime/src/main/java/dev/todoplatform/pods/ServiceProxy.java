package dev.todoplatform.pods;

import dev.todoplatform.daemons.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Service: one stable address under the Service's DNS names that spreads each new connection over the endpoints
 * that are ready now. Endpoints that leave keep their open connections (as conntrack does) but get no new ones.
 * A ClusterIP Service is made in the kernel, as kube-proxy makes it ({@link KernelServices}). A LoadBalancer
 * Service stands for the cloud's load balancer, a part outside the cluster: an HAProxy container in TCP mode
 * whose servers the runtime sets through HAProxy's runtime API, reached at its own address (the external IP) or
 * published on 127.0.0.1.
 */
final class ServiceProxy {
    /** One port of the Service: what clients connect to, and the container port (number or name) behind it. */
    record Port(String name, int port, String targetPort) {
    }

    private static final int SLOTS = 64;
    final String name;
    final Map<String, String> selector;
    final List<Port> ports;
    final boolean loadBalancer;
    private final Cluster cluster;
    private final Path dir;
    private Map<String, String> current = Map.of();
    /** A ClusterIP Service's virtual address. */
    private String address;
    /** Service port -> its 127.0.0.1 port, for a LoadBalancer. */
    private final Map<Integer, Integer> published = new LinkedHashMap<>();

    ServiceProxy(Cluster cluster, String name, Map<String, String> selector, List<Port> ports, boolean loadBalancer) {
        this.cluster = cluster;
        this.name = name;
        this.selector = selector;
        this.ports = ports;
        this.loadBalancer = loadBalancer;
        this.dir = cluster.stateDir().resolve("services").resolve(name);
    }

    String container() {
        return cluster.prefix() + "-svc-" + name;
    }

    /** The 127.0.0.1 port of a LoadBalancer Service's first port. */
    int publishedPort() {
        return publishedPort(ports.get(0).port());
    }

    int publishedPort(int servicePort) {
        Integer port = published.get(servicePort);
        if (port == null) {
            throw new IllegalStateException("service " + name + " publishes no port " + servicePort);
        }
        return port;
    }

    void start(int hostPort) {
        if (!loadBalancer) {
            address = cluster.kernelServices().allocate();
            for (Port p : ports) {
                cluster.kernelServices().update(address, p.port(), List.of());
            }
            cluster.dns().publish("svc-" + name, address, List.of(cluster.serviceName(name)));
            return;
        }
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, Modes.of(0777)); // HAProxy (non-root) creates its socket here
            Files.writeString(dir.resolve("haproxy.cfg"), config());
            Files.setPosixFilePermissions(dir.resolve("haproxy.cfg"), Modes.of(0644));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> run = new ArrayList<>(List.of("run", "-d", "--name", container(), "--network", cluster.network(),
                "--label", Cluster.STACK_LABEL + "=" + cluster.stack(), "--read-only", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges",
                "-v", dir + ":/run/haproxy"));
        if (loadBalancer) {
            // The first port on the chosen host port (if any), the others wherever the engine puts them.
            for (Port p : ports) {
                boolean first = p == ports.get(0);
                run.addAll(List.of("-p", "127.0.0.1:" + (first && hostPort > 0 ? hostPort : "") + ":" + p.port()));
            }
        }
        run.addAll(List.of(cluster.proxyImage(), "haproxy", "-db", "-f", "/run/haproxy/haproxy.cfg"));
        Docker.run(run);
        cluster.dns().publish("svc-" + name, Docker.address(container()), List.of(cluster.serviceName(name)));
        if (loadBalancer) {
            for (Port p : ports) {
                String mapping = Docker.run("port", container(), p.port() + "/tcp");
                published.put(p.port(), Integer.parseInt(mapping.lines().findFirst().orElseThrow().replaceAll(".*:", "")));
            }
        }
        try {
            Poll.untilNoError(java.time.Duration.ofSeconds(30), "service " + name + "'s proxy to answer",
                    () -> Files.exists(dir.resolve("admin.sock")) && command("show info").contains("Name: HAProxy"));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + ": " + Docker.call(Docker.DEFAULT_TIMEOUT, "logs", container()).err(), e);
        }
    }

    private String config() {
        StringBuilder cfg = new StringBuilder("""
                global
                    maxconn 8000
                    stats socket /run/haproxy/admin.sock mode 666 level admin
                defaults
                    mode tcp
                    # Like a ClusterIP: one connection attempt to one endpoint, no retries on another.
                    retries 0
                    timeout connect 10s
                    # conntrack keeps established connections for a day; so does this.
                    timeout client 24h
                    timeout server 24h
                """);
        for (Port p : ports) {
            cfg.append("frontend f").append(p.port()).append("\n    bind :").append(p.port())
                    .append("\n    default_backend b").append(p.port()).append('\n')
                    .append("backend b").append(p.port()).append("\n    balance roundrobin\n")
                    .append("    server-template e 1-").append(SLOTS).append(" 127.0.0.1:1 disabled\n");
        }
        return cfg.toString();
    }

    /**
     * Sets the endpoints. On the load balancer, a slot per ready pod, every other slot disabled (its open
     * connections stay).
     */
    synchronized void update(List<Pod> readyPods) {
        Map<String, String> wanted = endpoints(readyPods);
        if (wanted.equals(current)) {
            return;
        }
        if (!loadBalancer) {
            for (Port p : ports) {
                cluster.kernelServices().update(address, p.port(), wanted.entrySet().stream()
                        .filter(e -> e.getKey().startsWith(p.port() + "/")).map(Map.Entry::getValue).sorted().toList());
            }
        } else {
            balance(wanted);
        }
        current = wanted;
        cluster.event("service " + name + " endpoints: " + wanted.values());
    }

    /** Whether the Service sends new connections to exactly these pods now. */
    synchronized boolean serves(List<Pod> readyPods) {
        return endpoints(readyPods).equals(current);
    }

    /** Service port/pod -> the pod's address and target port. */
    private Map<String, String> endpoints(List<Pod> readyPods) {
        Map<String, String> wanted = new LinkedHashMap<>();
        for (Port p : ports) {
            for (Pod pod : readyPods) {
                Integer target = pod.spec.containers().stream().map(c -> c.port(p.targetPort()))
                        .filter(Objects::nonNull).findFirst().orElse(null);
                if (target != null && pod.ip() != null) {
                    wanted.put(p.port() + "/" + pod.name, pod.ip() + ":" + target);
                }
            }
        }
        return wanted;
    }

    private void balance(Map<String, String> wanted) {
        StringBuilder commands = new StringBuilder();
        for (Port p : ports) {
            List<String> endpoints = wanted.entrySet().stream().filter(e -> e.getKey().startsWith(p.port() + "/"))
                    .map(Map.Entry::getValue).sorted().toList();
            for (int slot = 1; slot <= SLOTS; slot++) {
                String server = "b" + p.port() + "/e" + slot;
                if (slot <= endpoints.size()) {
                    String[] hostPort = endpoints.get(slot - 1).split(":");
                    commands.append("set server ").append(server).append(" addr ").append(hostPort[0])
                            .append(" port ").append(hostPort[1]).append(";set server ").append(server)
                            .append(" state ready;");
                } else {
                    commands.append("set server ").append(server).append(" state maint;");
                }
            }
        }
        command(commands.toString());
    }

    private String command(String line) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(dir.resolve("admin.sock")));
            channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            StringBuilder out = new StringBuilder();
            while (channel.read(buffer) > 0) {
                buffer.flip();
                out.append(StandardCharsets.UTF_8.decode(buffer));
                buffer.clear();
            }
            return out.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("service " + name + ": HAProxy's runtime API: " + e.getMessage(), e);
        }
    }
}
