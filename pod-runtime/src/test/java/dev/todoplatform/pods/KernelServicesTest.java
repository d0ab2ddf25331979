package dev.todoplatform.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A ClusterIP Service in the kernel: refused with no endpoint, rewritten to a ready one, gone after down. */
class KernelServicesTest {
    private static final String STACK = "kerneltest";

    @AfterEach
    void clean() {
        Cluster.down(STACK, true);
    }

    @Test
    void aServiceAddressRefusesWithoutEndpointsReachesAReadyOneAndDownRemovesItsRules() throws IOException {
        String network = "tp-" + STACK;
        Docker.run("network", "create", "--label", Cluster.STACK_LABEL + "=" + STACK, network);
        String subnet = Docker.run("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", network).trim();
        String gateway = Docker.run("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", network).trim();
        KernelServices services = new KernelServices(STACK, subnet);
        services.start();
        String address = services.allocate();
        services.update(address, 80, List.of());

        assertThrows(ConnectException.class, () -> connect(address), "no endpoint: refused, not a hang");

        // The endpoint: a server on this machine's own address on the stack's network.
        try (ServerSocket endpoint = new ServerSocket(0, 50, InetAddress.getByName(gateway))) {
            services.update(address, 80, List.of(gateway + ":" + endpoint.getLocalPort()));
            try (Socket client = connect(address); Socket accepted = endpoint.accept()) {
                client.getOutputStream().write(42);
                assertEquals(42, accepted.getInputStream().read());
            }
        }

        Cluster.down(STACK, true);
        for (String table : List.of("nat", "filter")) {
            String rules = iptables(table);
            assertFalse(rules.contains("TP-" + STACK), table + " still has the stack's rules:\n" + rules);
        }
        assertTrue(iptables("nat").contains("-P PREROUTING"));
    }

    private static Socket connect(String address) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(address, 80), 2000);
        return socket;
    }

    private static String iptables(String table) {
        return HostCommand.run(List.of("iptables", "-w", "-t", table, "-S"), null);
    }
}
