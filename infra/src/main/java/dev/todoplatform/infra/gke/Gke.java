package dev.todoplatform.infra.gke;

import com.pulumi.core.Output;
import com.pulumi.gcp.Provider;
import com.pulumi.gcp.ProviderArgs;
import dev.todoplatform.infra.ClusterTarget;
import dev.todoplatform.infra.StackConfig;
import java.util.List;
import java.util.Map;

/** platform=gke: network, firewall and a regional private cluster; the application gets the cluster's provider. */
public final class Gke {
    /** GKE's built-in CSI class: pd-balanced, zonal, bound where the pod is scheduled. */
    public static final String STORAGE_CLASS = "standard-rwo";

    private Gke() {
    }

    public static ClusterTarget target(StackConfig config) {
        StackConfig.Cluster settings = config.cluster();
        ProviderArgs.Builder args = ProviderArgs.builder()
                .project(settings.project())
                .region(settings.region())
                .defaultLabels(Map.of("app", "todo-platform", "stack", config.stack().toLowerCase()));
        // An explicit provider reads none of the stack's gcp: settings itself: the credential ones are forwarded.
        Map<String, String> access = settings.access();
        if (access.containsKey("zone")) {
            args.zone(access.get("zone"));
        }
        if (access.containsKey("credentials")) {
            args.credentials(Output.ofSecret(access.get("credentials")));
        }
        if (access.containsKey("impersonateServiceAccount")) {
            args.impersonateServiceAccount(access.get("impersonateServiceAccount"));
        }
        Provider gcp = new Provider("gcp", args.build());
        ProjectApis apis = new ProjectApis("apis", gcp);
        GkeNetwork network = new GkeNetwork("network", config, gcp, apis.enabled);
        GkeCluster cluster = new GkeCluster("cluster", config, gcp, network, apis.enabled);
        com.pulumi.kubernetes.Provider kubernetes = ClusterTarget.providerFor("gke", cluster.kubeconfig,
                List.of(cluster.nodePool));
        return new ClusterTarget(kubernetes,
                config.storageClass() != null ? config.storageClass() : STORAGE_CLASS, Map.of(),
                cluster.cluster.name(), cluster.kubeconfig, List.of(cluster.nodePool));
    }
}
