package dev.todoplatform.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pulumi.Context;
import com.pulumi.Pulumi;
import com.pulumi.core.Output;
import dev.todoplatform.infra.app.AppStack;
import dev.todoplatform.infra.eks.Eks;
import dev.todoplatform.infra.gke.Gke;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The Pulumi program: stack settings -> cluster target -> application stack -> outputs. */
public final class App {
    private App() {
    }

    public static void main(String[] args) {
        Pulumi.run(ctx -> deploy(ctx, StackConfig.parse(ctx.stackName(), rawConfig(), secretKeys())));
    }

    /** The program for a parsed configuration: what `pulumi up` runs and what the tests run under mocks. */
    public static void deploy(Context ctx, StackConfig config) {
        ClusterTarget target = switch (config.platform()) {
            case EXISTING -> ExistingCluster.target(config);
            case GKE -> Gke.target(config);
            case EKS -> Eks.target(config);
        };
        AppStack app = new AppStack("todo-platform", config, target);
        ctx.export("serviceIp", app.proxy.address);
        ctx.export("url", app.proxy.address.applyValue(a -> a.isEmpty() ? "" : "http://" + a + "/"));
        if (config.serviceType() == StackConfig.ServiceType.NODE_PORT) {
            ctx.export("reach", Output.of("the proxy is a NodePort: minikube service -n " + config.namespace()
                    + " proxy --url (or any node's address and the port in: kubectl -n " + config.namespace()
                    + " get service proxy)"));
        }
        ctx.export("namespace", app.namespace.metadata().applyValue(m -> m.name().orElse(config.namespace())));
        ctx.export("clusterName", target.clusterName());
        ctx.export("kubeconfig", target.kubeconfig());
    }

    /** The keys the stack file holds encrypted, as the engine passes them (PULUMI_CONFIG_SECRET_KEYS: a JSON list). */
    static Set<String> secretKeys() {
        String json = System.getenv("PULUMI_CONFIG_SECRET_KEYS");
        Set<String> keys = new HashSet<>();
        if (json != null && !json.isBlank()) {
            try {
                new ObjectMapper().readTree(json).forEach(k -> keys.add(k.asText()));
            } catch (Exception e) {
                throw new ConfigError("cannot read the stack's secret keys (PULUMI_CONFIG_SECRET_KEYS): " + e.getMessage());
            }
        }
        return keys;
    }

    /**
     * The stack's settings as the engine passes them (PULUMI_CONFIG: JSON of "project:key" to string), so the
     * program sees every key, including misspelled ones it must reject.
     */
    static Map<String, String> rawConfig() {
        String json = System.getenv("PULUMI_CONFIG");
        Map<String, String> raw = new LinkedHashMap<>();
        if (json == null || json.isBlank()) {
            return raw;
        }
        try {
            JsonNode node = new ObjectMapper().readTree(json);
            node.fields().forEachRemaining(e -> raw.put(e.getKey(), e.getValue().isTextual()
                    ? e.getValue().textValue() : e.getValue().toString()));
        } catch (Exception e) {
            throw new ConfigError("cannot read the stack configuration (PULUMI_CONFIG): " + e.getMessage());
        }
        return raw;
    }
}
