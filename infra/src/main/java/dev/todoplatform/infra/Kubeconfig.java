package dev.todoplatform.infra;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A kubeconfig for one cluster whose credentials come from an exec plugin (gke-gcloud-auth-plugin,
 * aws eks get-token): it holds no token, so it never goes stale and can be shared. Built as data and written as
 * JSON (a kubeconfig may be JSON), so no template can produce a broken file.
 */
public final class Kubeconfig {
    /** Keys sorted: the same cluster gives the same text on every run. */
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private Kubeconfig() {
    }

    /**
     * @param endpoint            host or https URL of the API server
     * @param caData              base64 PEM of the cluster's CA
     * @param provideClusterInfo  whether the plugin reads the cluster from KUBERNETES_EXEC_INFO
     */
    public static String exec(String name, String endpoint, String caData, String command, List<String> args,
                              String installHint, boolean provideClusterInfo) {
        Map<String, Object> exec = new LinkedHashMap<>();
        exec.put("apiVersion", "client.authentication.k8s.io/v1beta1");
        exec.put("command", command);
        exec.put("args", args);
        exec.put("installHint", installHint);
        exec.put("provideClusterInfo", provideClusterInfo);
        exec.put("interactiveMode", "Never");
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("apiVersion", "v1");
        config.put("kind", "Config");
        config.put("clusters", List.of(Map.of("name", name, "cluster", Map.of(
                "server", endpoint.startsWith("https://") ? endpoint : "https://" + endpoint,
                "certificate-authority-data", caData))));
        config.put("contexts", List.of(Map.of("name", name, "context", Map.of("cluster", name, "user", name))));
        config.put("current-context", name);
        config.put("users", List.of(Map.of("name", name, "user", Map.of("exec", exec))));
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
