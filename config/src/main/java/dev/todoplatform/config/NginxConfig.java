package dev.todoplatform.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * nginx's files (config/nginx/), rendered together: the one place that knows which files the proxy's config
 * directory holds (the proxy's ConfigMap and the module tests' nginx both take them from here).
 *
 * @param configDir      where the files are (nginx.conf includes the others from it)
 * @param runDir         the writable directory: pid file and temporary paths
 * @param accessLog      where the JSON access log goes
 * @param listen         the plain HTTP address or port
 * @param todoServers    the todo upstream's server lines ({@link Topology})
 * @param counterServers the counter upstream's server lines
 * @param tls            the HTTPS server, or null for plain HTTP only
 */
public record NginxConfig(String configDir, String runDir, String accessLog, String listen, String todoServers,
                          String counterServers, Tls tls) {

    /** HTTPS: its address or port, and the directory holding tls.crt and tls.key (a kubernetes.io/tls Secret). */
    public record Tls(String listen, String dir) {
    }

    /** File name to content, nginx.conf first. */
    public Map<String, String> files() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("nginx.conf", Daemon.NGINX.load("nginx.conf").render(Map.of(
                "RUN_DIR", runDir,
                "ACCESS_LOG", accessLog,
                "LISTEN", listen,
                "TODO_SERVERS", todoServers,
                "COUNTER_SERVERS", counterServers,
                "CONFIG_DIR", configDir,
                "PLAIN_HTTP", tls == null ? "routes.conf" : "redirect.conf")));
        files.put("routes.conf", Daemon.NGINX.load("routes.conf").render(Map.of(
                "TRIES", Integer.toString(Topology.NGINX_TRIES))));
        if (tls != null) {
            files.put("redirect.conf", Daemon.NGINX.load("redirect.conf").text());
            files.put("https.conf", Daemon.NGINX.load("https.conf").render(Map.of(
                    "TLS_LISTEN", tls.listen(), "TLS_DIR", tls.dir(), "CONFIG_DIR", configDir)));
        }
        return files;
    }
}
