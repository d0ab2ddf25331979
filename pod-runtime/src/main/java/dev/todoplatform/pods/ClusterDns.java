package dev.todoplatform.pods;

import dev.todoplatform.daemons.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * The cluster's DNS server, as CoreDNS is in a cluster: it answers the names of Services and pods under
 * cluster.local from the runtime's records, every other name with NXDOMAIN, and for a known name without an
 * IPv6 address an empty AAAA answer, all at once. Pods reach it at its address through the resolv.conf kubelet
 * writes for dnsPolicy ClusterFirst (search domains, ndots:5), so a partitioned pod cannot resolve, as a cut-off
 * node cannot reach CoreDNS.
 *
 * <p>Here it is dnsmasq reading one hosts file per record set from a directory it watches (inotify): a record
 * set is published by an atomic rename and withdrawn by deleting its file. It replaces the engine's embedded
 * DNS, which answered from the engine daemon (slow under load: about 200 ms a lookup, and 10 s for every
 * lookup that asked for IPv6 first), and which a partitioned pod still reached over its loopback.
 */
final class ClusterDns {
    private final Cluster cluster;
    private final Path dir;
    private volatile String ip;

    ClusterDns(Cluster cluster) {
        this.cluster = cluster;
        this.dir = cluster.stateDir().resolve("dns");
    }

    String container() {
        return cluster.prefix() + "-dns";
    }

    /** Starts the server on the cluster network; returns once it has started. */
    void start() {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, Modes.of(0755));
            try (Stream<Path> left = Files.list(dir)) { // a previous run's records
                for (Path p : left.toList()) {
                    Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Docker.run("run", "-d", "--name", container(), "--network", cluster.network(),
                "--label", Cluster.STACK_LABEL + "=" + cluster.stack(), "--read-only", "--user", "65532:65532",
                "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "-v", dir + ":/run/dns:ro",
                cluster.proxyImage(), "dnsmasq", "--keep-in-foreground", "--log-facility=-", "--pid-file=", "--user=",
                // Names from the records only; nothing is forwarded (there is no other network here).
                "--no-hosts", "--no-resolv", "--local=/#/", "--hostsdir=/run/dns",
                "--local-ttl=5"); // CoreDNS's kubernetes plugin answers with a TTL of 5 s
        ip = Docker.address(container());
        try {
            Poll.untilNoError(Duration.ofSeconds(30), "the cluster DNS to start",
                    () -> Docker.call(Docker.DEFAULT_TIMEOUT, "logs", container()).err().contains("started, version"));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + ": " + Docker.call(Docker.DEFAULT_TIMEOUT, "logs", container()).err(), e);
        }
    }

    /** The resolv.conf of a pod with dnsPolicy ClusterFirst, as kubelet writes it. */
    String resolvConf() {
        return "search " + String.join(" ", cluster.searchDomains()) + "\nnameserver " + ip + "\noptions ndots:5\n";
    }

    /** Publishes (or replaces) a record set: every name resolves to the address. */
    void publish(String set, String address, List<String> names) {
        if (names.isEmpty()) {
            return;
        }
        try {
            Path tmp = dir.resolve("." + set); // dnsmasq skips dot files
            Files.writeString(tmp, address + " " + String.join(" ", names) + "\n");
            Files.setPosixFilePermissions(tmp, Modes.of(0644));
            Files.move(tmp, dir.resolve(set), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void withdraw(String set) {
        try {
            Files.deleteIfExists(dir.resolve(set));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
