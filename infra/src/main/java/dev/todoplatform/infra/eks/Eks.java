package dev.todoplatform.infra.eks;

import com.pulumi.aws.Provider;
import com.pulumi.aws.ProviderArgs;
import com.pulumi.aws.inputs.ProviderDefaultTagsArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.kubernetes.storage.v1.StorageClass;
import com.pulumi.kubernetes.storage.v1.StorageClassArgs;
import com.pulumi.resources.CustomResourceOptions;
import dev.todoplatform.infra.ClusterTarget;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Kube;
import java.util.List;
import java.util.Map;

/** platform=eks: VPC, security groups, IAM and an EKS cluster; the application gets the cluster's provider. */
public final class Eks {
    public static final String STORAGE_CLASS = "gp3";
    /** An NLB (layer 4, keeps the client address with externalTrafficPolicy Local) across every zone. */
    public static final Map<String, String> LOAD_BALANCER_ANNOTATIONS = Map.of(
            "service.beta.kubernetes.io/aws-load-balancer-type", "nlb",
            "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled", "true");

    private Eks() {
    }

    public static ClusterTarget target(StackConfig config) {
        StackConfig.Cluster settings = config.cluster();
        Provider aws = new Provider("aws", ProviderArgs.builder()
                .region(settings.region())
                .defaultTags(ProviderDefaultTagsArgs.builder()
                        .tags(Map.of("app", "todo-platform", "stack", config.stack())).build())
                .build());
        EksNetwork network = new EksNetwork("network", config, aws);
        EksCluster cluster = new EksCluster("cluster", config, aws, network);
        com.pulumi.kubernetes.Provider kubernetes = ClusterTarget.providerFor("eks", cluster.kubeconfig,
                List.of(cluster.nodeGroup, cluster.ebsCsiDriver));
        // EKS's own gp2 class is not the default for the CSI driver; this one is what the volumes ask for.
        StorageClass gp3 = new StorageClass("gp3", StorageClassArgs.builder()
                .metadata(ObjectMetaArgs.builder().name(STORAGE_CLASS)
                        .labels(new Kube(kubernetes, config).labels("storage")).build())
                .provisioner("ebs.csi.aws.com")
                .parameters(Map.of("type", "gp3", "encrypted", "true"))
                // Bind where the pod lands, so a volume is created in that pod's zone.
                .volumeBindingMode("WaitForFirstConsumer")
                .allowVolumeExpansion(true)
                .reclaimPolicy("Delete")
                .build(), CustomResourceOptions.builder().provider(kubernetes).build());
        return new ClusterTarget(kubernetes, settings.zones(),
                config.storageClass() != null ? config.storageClass() : STORAGE_CLASS, LOAD_BALANCER_ANNOTATIONS,
                cluster.cluster.name(), cluster.kubeconfig, List.of(cluster.nodeGroup, cluster.ebsCsiDriver, gp3));
    }
}
