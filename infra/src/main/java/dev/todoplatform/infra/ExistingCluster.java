package dev.todoplatform.infra;

import com.pulumi.core.Output;
import com.pulumi.kubernetes.Provider;
import com.pulumi.kubernetes.ProviderArgs;
import java.util.List;
import java.util.Map;

/** platform=existing: a cluster you already have (minikube, kind, a company cluster); nothing is created outside it. */
public final class ExistingCluster {
    private ExistingCluster() {
    }

    public static ClusterTarget target(StackConfig config) {
        ProviderArgs.Builder args = ProviderArgs.builder().enableServerSideApply(true);
        if (config.kubeContext() != null) {
            args.context(config.kubeContext());
        }
        Provider provider = new Provider("existing-cluster", args.build());
        return new ClusterTarget(provider, config.storageClass(), Map.of(),
                Output.of(config.kubeContext() == null ? "current-context" : config.kubeContext()),
                Output.ofSecret(""), List.of());
    }
}
