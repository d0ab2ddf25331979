package dev.todoplatform.config;

import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The topology as the config files spell it, for the cluster and the module tests' daemons alike, so both render the same
 * lines: PostgreSQL nodes are named postgres-0..N-1 (node.sh derives repmgr's node_id from the number), and
 * every address is host:port.
 */
public final class Topology {
    private Topology() {
    }

    /** How often nginx tries a request (nginx.conf's {{TRIES}}: proxy_next_upstream_tries). */
    public static final int NGINX_TRIES = 3;

    public static String nodeName(int index) {
        return "postgres-" + index;
    }

    /** pgpool.conf's backend lines ({{BACKENDS}}): one block per node, in node order. */
    public static String pgpoolBackends(List<String> hostPorts) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < hostPorts.size(); i++) {
            String node = hostPorts.get(i);
            int colon = node.lastIndexOf(':');
            out.append("backend_hostname").append(i).append(" = '").append(node, 0, colon).append("'\n")
                    .append("backend_port").append(i).append(" = ").append(node.substring(colon + 1)).append('\n')
                    .append("backend_weight").append(i).append(" = 1\n")
                    .append("backend_flag").append(i).append(" = 'ALLOW_TO_FAILOVER'\n")
                    .append("backend_application_name").append(i).append(" = '").append(nodeName(i)).append("'\n");
        }
        return out.toString();
    }

    /**
     * nginx.conf's upstream server lines ({{TODO_SERVERS}}, {{COUNTER_SERVERS}}). max_fails=0: a server that
     * refuses a connection is never marked down for fail_timeout, the request just moves on to the next one;
     * otherwise a rolling restart can leave every server "down" at once and clients get 502s.
     */
    public static String nginxServers(List<String> hostPorts) {
        return hostPorts.stream().map(h -> "        server " + h + " max_fails=0;").collect(Collectors.joining("\n"));
    }

    /**
     * nginx.conf's upstream lines for one Service address (kube-proxy spreads its connections over the ready
     * pods): listed once per try, so a retry after a pod went away opens a new connection through the Service,
     * to another pod, instead of finding "no live upstreams".
     */
    public static String nginxServiceServers(String serviceAddress) {
        return nginxServers(Collections.nCopies(NGINX_TRIES, serviceAddress));
    }

    /** postgresql.conf's synchronous_standby_names: ANY 1 of the other nodes confirms each commit, or '' (async). */
    public static String synchronousStandbyNames(int nodes, boolean synchronous) {
        if (!synchronous) {
            return "";
        }
        return "ANY 1 (" + IntStream.range(0, nodes).mapToObj(i -> "\"" + nodeName(i) + "\"")
                .collect(Collectors.joining(",")) + ")";
    }
}
