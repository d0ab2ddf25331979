package dev.todoplatform.infra;

import com.pulumi.core.Output;
import com.pulumi.kubernetes.Provider;
import com.pulumi.kubernetes.ProviderArgs;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.List;
import java.util.Map;

/**
 * What a platform (GKE, EKS, an existing cluster) hands the application stack: the same small thing for all
 * three, so the application stack is identical everywhere.
 *
 * @param provider                the Kubernetes provider every application resource uses
 * @param storageClass            for the PostgreSQL and Redis volumes; null means the cluster's default
 * @param loadBalancerAnnotations for the proxy's LoadBalancer Service
 * @param clusterName             the cluster's name
 * @param kubeconfig              a kubeconfig for the cluster (secret), empty for an existing cluster
 * @param dependsOn               what must exist before the application (e.g. the node pool)
 */
public record ClusterTarget(
        Provider provider,
        String storageClass,
        Map<String, String> loadBalancerAnnotations,
        Output<String> clusterName,
        Output<String> kubeconfig,
        List<Resource> dependsOn) {

    /** The provider for a cluster the program created: its own kubeconfig, never the ambient one. */
    public static Provider providerFor(String name, Output<String> kubeconfig, List<Resource> dependsOn) {
        return new Provider(name, ProviderArgs.builder().kubeconfig(kubeconfig).enableServerSideApply(true).build(),
                CustomResourceOptions.builder().dependsOn(dependsOn).build());
    }
}
