package dev.todoplatform.infra.eks;

import com.pulumi.aws.Provider;
import com.pulumi.aws.ProviderArgs;
import com.pulumi.aws.inputs.ProviderAssumeRoleArgs;
import com.pulumi.aws.inputs.ProviderDefaultTagsArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.kubernetes.storage.v1.StorageClass;
import com.pulumi.kubernetes.storage.v1.StorageClassArgs;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.infra.ClusterTarget;
import dev.todoplatform.infra.Json;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Scope;
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
        Provider aws = new Provider("aws", providerArgs(config).build());
        EksNetwork network = new EksNetwork("network", config, aws);
        EksCluster cluster = new EksCluster("cluster", config, aws, network);
        // The add-ons first: without the VPC CNI's network policy agent no NetworkPolicy is enforced, and without
        // the EBS CSI driver no volume binds. Destroyed after every Kubernetes object, so volumes can still go.
        List<Resource> ready = List.of(cluster.nodeGroup, cluster.vpcCni, cluster.ebsCsiDriver);
        com.pulumi.kubernetes.Provider kubernetes = ClusterTarget.providerFor("eks", cluster.kubeconfig, ready);
        // EKS's own gp2 class is not the default for the CSI driver; this one is what the volumes ask for.
        StorageClass gp3 = new StorageClass("gp3", StorageClassArgs.builder()
                .metadata(ObjectMetaArgs.builder().name(STORAGE_CLASS)
                        .labels(new Scope(kubernetes, config.namespace(), config.stack()).labels("storage")).build())
                .provisioner("ebs.csi.aws.com")
                .parameters(Map.of("type", "gp3", "encrypted", "true"))
                // Bind where the pod lands, so a volume is created in that pod's zone.
                .volumeBindingMode("WaitForFirstConsumer")
                .allowVolumeExpansion(true)
                .reclaimPolicy("Delete")
                .build(), CustomResourceOptions.builder().provider(kubernetes).build());
        return new ClusterTarget(kubernetes,
                config.storageClass() != null ? config.storageClass() : STORAGE_CLASS, LOAD_BALANCER_ANNOTATIONS,
                cluster.cluster.name(), cluster.kubeconfig, List.of(cluster.nodeGroup, cluster.vpcCni, cluster.ebsCsiDriver, gp3));
    }

    /**
     * The explicit provider, with the stack's own aws: credential settings forwarded (an explicit provider reads
     * none of them itself, and the deploy would land wherever the ambient credentials point).
     */
    static ProviderArgs.Builder providerArgs(StackConfig config) {
        StackConfig.Cluster settings = config.cluster();
        ProviderArgs.Builder args = ProviderArgs.builder()
                .region(settings.region())
                .defaultTags(ProviderDefaultTagsArgs.builder()
                        .tags(Map.of("app", "todo-platform", "stack", config.stack())).build());
        Map<String, String> access = settings.access();
        if (access.containsKey("profile")) {
            args.profile(access.get("profile"));
        }
        if (access.containsKey("allowedAccountIds")) {
            args.allowedAccountIds(Json.strings("aws:allowedAccountIds", access.get("allowedAccountIds")));
        }
        if (access.containsKey("assumeRole")) {
            Map<String, String> role = Json.fields("aws:assumeRole", access.get("assumeRole"),
                    StackConfig.ASSUME_ROLE_FIELDS);
            ProviderAssumeRoleArgs.Builder assume = ProviderAssumeRoleArgs.builder().roleArn(role.get("roleArn"));
            if (role.containsKey("sessionName")) {
                assume.sessionName(role.get("sessionName"));
            }
            if (role.containsKey("externalId")) {
                assume.externalId(role.get("externalId"));
            }
            if (role.containsKey("duration")) {
                assume.duration(role.get("duration"));
            }
            args.assumeRole(assume.build());
        }
        return args;
    }
}
