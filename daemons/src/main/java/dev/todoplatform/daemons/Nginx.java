package dev.todoplatform.daemons;

import dev.todoplatform.config.NginxConfig;
import dev.todoplatform.config.Topology;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** nginx from Debian's package running the repo's nginx.conf, with 127.0.0.1 upstreams. */
public final class Nginx implements AutoCloseable {
    private final ManagedProcess process;
    private final int port;

    private Nginx(ManagedProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    public static Nginx start(Path dir, int port, List<Integer> todoPorts, List<Integer> counterPorts) {
        RunAs.own(dir);
        new NginxConfig(dir.toString(), dir.toString(), dir.resolve("access.log").toString(), "127.0.0.1:" + port,
                servers(todoPorts), servers(counterPorts), null).files().forEach((name, text) -> ConfigDir.write(dir, name, text));
        Path file = dir.resolve("nginx.conf");
        RunAs.own(dir);
        ManagedProcess process = ManagedProcess.start("nginx", List.of("nginx", "-e", "stderr", "-p", dir.toString(),
                "-c", file.toString(), "-g", "daemon off;"), dir.resolve("nginx.log"), Map.of(), "QUIT");
        Nginx nginx = new Nginx(process, port);
        HttpClient http = HttpClient.newHttpClient();
        Poll.untilNoError(Duration.ofSeconds(20), "nginx on port " + port, () -> {
            if (!process.alive()) {
                throw new IllegalStateException("nginx exited: " + process.tail(10));
            }
            return http.send(HttpRequest.newBuilder(URI.create(nginx.url() + "healthz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        });
        return nginx;
    }

    private static String servers(List<Integer> ports) {
        return Topology.nginxServers(ports.stream().map(p -> "127.0.0.1:" + p).toList());
    }

    public String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    public int port() {
        return port;
    }

    public ManagedProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(10));
    }
}
