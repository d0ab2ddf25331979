package dev.todoplatform.pods;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stack's ClusterIP Services in the kernel, as kube-proxy makes them in iptables mode: each Service has a
 * virtual address that no interface holds; a new connection to it is rewritten (DNAT) on the host to one ready
 * endpoint picked at random, and conntrack keeps each connection on the endpoint it got, so an endpoint that
 * leaves keeps its open connections and gets no new ones. A Service with no ready endpoint refuses connections.
 * Packets stay packets: no process copies them, as none does on a cluster.
 *
 * <p>The addresses are a /24 outside the pods' network, derived from it ({@code 172.18.0.0/16} gives
 * {@code 10.18.0.0/24}), so each stack's differ. Pods reach them through their default route, the host; the
 * host's bridge netfilter (on in this kernel) passes the endpoint's replies back through conntrack, which
 * restores the virtual address as their source, so no address is masqueraded and the endpoint sees the
 * client's own address (partitions by address and NetworkPolicy-style reasoning hold). Everything lives in two
 * chains named after the stack, in the nat and filter tables, which {@link #remove} deletes.
 */
final class KernelServices {
    private final String chain;
    private final String range;
    private final String prefix;
    private int next = 10;
    /** Service address and port to its endpoints (ip:port), in the order rules are written. */
    private final Map<String, List<String>> endpoints = new LinkedHashMap<>();

    KernelServices(String stack, String subnet) {
        this.chain = chain(stack);
        String[] octets = subnet.replaceAll("/.*", "").split("\\.");
        this.prefix = "10." + octets[1] + "." + octets[2] + ".";
        this.range = prefix + "0/24";
    }

    private static String chain(String stack) {
        String name = "TP-" + stack;
        return name.length() <= 28 ? name : "TP-" + Integer.toHexString(stack.hashCode());
    }

    /** Creates the chains and sends the range to them (after {@link #remove}, which clears a previous run's). */
    void start() {
        iptables("-t", "nat", "-N", chain);
        iptables("-t", "filter", "-N", chain);
        // Reached only by a packet for a Service address that was not rewritten: the Service has no endpoint.
        iptables("-t", "filter", "-A", chain, "-j", "REJECT");
        for (String hook : List.of("PREROUTING", "OUTPUT")) {
            iptables("-t", "nat", "-I", hook, "-d", range, "-j", chain);
        }
        for (String hook : List.of("FORWARD", "OUTPUT")) {
            iptables("-t", "filter", "-I", hook, "-d", range, "-j", chain);
        }
    }

    /** A new Service address. */
    synchronized String allocate() {
        if (next > 254) {
            throw new IllegalStateException("more than 245 Services in one stack");
        }
        return prefix + next++;
    }

    /** Sets the endpoints of one port of a Service and rewrites the stack's rules in one step. */
    synchronized void update(String address, int port, List<String> ready) {
        endpoints.put(address + ":" + port, List.copyOf(ready));
        StringBuilder rules = new StringBuilder("*nat\n:" + chain + " - [0:0]\n");
        endpoints.forEach((service, targets) -> {
            String[] ap = service.split(":");
            for (int i = 0; i < targets.size(); i++) {
                rules.append("-A ").append(chain).append(" -d ").append(ap[0]).append("/32 -p tcp --dport ").append(ap[1]);
                int left = targets.size() - i;
                if (left > 1) { // each rule takes 1/left of what reaches it: an even spread
                    rules.append(" -m statistic --mode random --probability ").append(String.format("%.8f", 1.0 / left));
                }
                rules.append(" -j DNAT --to-destination ").append(targets.get(i)).append('\n');
            }
        });
        rules.append("COMMIT\n");
        HostCommand.run(List.of("iptables-restore", "--wait", "--noflush"), rules.toString());
    }

    /** Deletes a stack's chains and the rules that lead to them, whatever is left of them. */
    static void remove(String stack) {
        String chain = chain(stack);
        for (String table : List.of("nat", "filter")) {
            for (String rule : HostCommand.run(List.of("iptables", "-w", "-t", table, "-S"), null).split("\n")) {
                if (rule.startsWith("-A ") && rule.endsWith("-j " + chain)) {
                    List<String> delete = new ArrayList<>(List.of("iptables", "-w", "-t", table, "-D"));
                    delete.addAll(List.of(rule.substring(3).split(" ")));
                    HostCommand.run(delete, null);
                }
            }
            if (HostCommand.run(List.of("iptables", "-w", "-t", table, "-S"), null).contains("-N " + chain + "\n")) {
                HostCommand.run(List.of("iptables", "-w", "-t", table, "-F", chain), null);
                HostCommand.run(List.of("iptables", "-w", "-t", table, "-X", chain), null);
            }
        }
    }

    private static void iptables(String... args) {
        List<String> command = new ArrayList<>(List.of("iptables", "-w"));
        command.addAll(List.of(args));
        HostCommand.run(command, null);
    }
}
