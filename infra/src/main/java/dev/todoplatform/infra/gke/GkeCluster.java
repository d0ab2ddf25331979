package dev.todoplatform.infra.gke;

import com.pulumi.core.Output;
import com.pulumi.gcp.Provider;
import com.pulumi.gcp.container.Cluster;
import com.pulumi.gcp.container.ClusterArgs;
import com.pulumi.gcp.container.NodePool;
import com.pulumi.gcp.container.NodePoolArgs;
import com.pulumi.gcp.container.inputs.ClusterIpAllocationPolicyArgs;
import com.pulumi.gcp.container.inputs.ClusterMasterAuthorizedNetworksConfigArgs;
import com.pulumi.gcp.container.inputs.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs;
import com.pulumi.gcp.container.inputs.ClusterPrivateClusterConfigArgs;
import com.pulumi.gcp.container.inputs.ClusterReleaseChannelArgs;
import com.pulumi.gcp.container.inputs.ClusterWorkloadIdentityConfigArgs;
import com.pulumi.gcp.container.inputs.NodePoolAutoscalingArgs;
import com.pulumi.gcp.container.inputs.NodePoolManagementArgs;
import com.pulumi.gcp.container.inputs.NodePoolNodeConfigArgs;
import com.pulumi.gcp.container.inputs.NodePoolNodeConfigShieldedInstanceConfigArgs;
import com.pulumi.gcp.container.inputs.NodePoolNodeConfigWorkloadMetadataConfigArgs;
import com.pulumi.gcp.container.inputs.NodePoolUpgradeSettingsArgs;
import com.pulumi.gcp.container.outputs.ClusterMasterAuth;
import com.pulumi.gcp.projects.IAMMember;
import com.pulumi.gcp.projects.IAMMemberArgs;
import com.pulumi.gcp.serviceaccount.Account;
import com.pulumi.gcp.serviceaccount.AccountArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.infra.Kubeconfig;
import dev.todoplatform.infra.StackConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A regional, private GKE cluster in the safer-cluster shape: nodes in the configured zones from one managed,
 * autoscaled pool (the default pool removed), a node service account with only the roles nodes need, Workload
 * Identity, Shielded nodes, Dataplane V2 (enforces NetworkPolicies), a release channel, and an API reachable only
 * from the listed ranges.
 */
public final class GkeCluster extends ComponentResource {
    /** What a node needs: write logs and metrics, read images from Artifact Registry. Nothing else. */
    public static final List<String> NODE_ROLES = List.of(
            "roles/logging.logWriter",
            "roles/monitoring.metricWriter",
            "roles/monitoring.viewer",
            "roles/stackdriver.resourceMetadata.writer",
            "roles/autoscaling.metricsWriter",
            "roles/artifactregistry.reader");
    /** The control plane's private range (a /28 that overlaps nothing in the VPC). */
    public static final String CONTROL_PLANE_CIDR = "172.16.0.0/28";

    public final Cluster cluster;
    public final NodePool nodePool;
    public final Output<String> kubeconfig;

    public GkeCluster(String name, StackConfig config, Provider gcp, GkeNetwork network, List<Resource> apis) {
        super("todo-platform:gke:Cluster", name, ComponentResourceOptions.builder().build());
        StackConfig.Cluster settings = config.cluster();
        CustomResourceOptions opts = CustomResourceOptions.builder().parent(this).provider(gcp).dependsOn(apis).build();
        Account nodes = new Account("nodes", AccountArgs.builder()
                .accountId(accountId(config.clusterName()))
                .displayName("GKE nodes of " + config.clusterName())
                .build(), opts);
        Output<String> member = nodes.email().applyValue(email -> "serviceAccount:" + email);
        List<Resource> grants = new ArrayList<>();
        for (String role : NODE_ROLES) {
            grants.add(new IAMMember("nodes-" + role.substring(role.indexOf('/') + 1).replace('.', '-'),
                    IAMMemberArgs.builder().project(settings.project()).role(role).member(member).build(), opts));
        }

        List<Resource> before = new ArrayList<>(apis);
        before.add(network.subnet);
        this.cluster = new Cluster("cluster", ClusterArgs.builder()
                .name(config.clusterName())
                .location(settings.region())
                .nodeLocations(settings.zones())
                .network(network.network.id())
                .subnetwork(network.subnet.id())
                .networkingMode("VPC_NATIVE")
                .ipAllocationPolicy(ClusterIpAllocationPolicyArgs.builder()
                        .clusterSecondaryRangeName(GkeNetwork.PODS_RANGE)
                        .servicesSecondaryRangeName(GkeNetwork.SERVICES_RANGE)
                        .build())
                // A cluster needs a pool to be created; ours replaces it (settings the default pool cannot have).
                .removeDefaultNodePool(true)
                .initialNodeCount(1)
                .privateClusterConfig(ClusterPrivateClusterConfigArgs.builder()
                        .enablePrivateNodes(true)
                        .enablePrivateEndpoint(false)
                        .masterIpv4CidrBlock(CONTROL_PLANE_CIDR)
                        .build())
                .masterAuthorizedNetworksConfig(ClusterMasterAuthorizedNetworksConfigArgs.builder()
                        .cidrBlocks(settings.apiSourceRanges().stream().map(cidr ->
                                ClusterMasterAuthorizedNetworksConfigCidrBlockArgs.builder()
                                        .cidrBlock(cidr).displayName("apiSourceRanges " + cidr).build()).toList())
                        .build())
                .workloadIdentityConfig(ClusterWorkloadIdentityConfigArgs.builder()
                        .workloadPool(settings.project() + ".svc.id.goog").build())
                .enableShieldedNodes(true)
                .enableLegacyAbac(false)
                .datapathProvider("ADVANCED_DATAPATH")
                .releaseChannel(ClusterReleaseChannelArgs.builder().channel(settings.gke().releaseChannel().name()).build())
                .deletionProtection(settings.gke().deletionProtection())
                .resourceLabels(Map.of("app", "todo-platform", "stack", config.stack().toLowerCase()))
                .build(), CustomResourceOptions.builder().parent(this).provider(gcp).dependsOn(before).build());

        this.nodePool = new NodePool("nodes", NodePoolArgs.builder()
                .cluster(cluster.name())
                .location(settings.region())
                .nodeLocations(settings.zones())
                .initialNodeCount(settings.nodes().minNodesPerZone())
                .autoscaling(NodePoolAutoscalingArgs.builder()
                        .minNodeCount(settings.nodes().minNodesPerZone())
                        .maxNodeCount(settings.nodes().maxNodesPerZone())
                        .build())
                .management(NodePoolManagementArgs.builder().autoRepair(true).autoUpgrade(true).build())
                // Surge one node at a time and never take one away first: PodDisruptionBudgets hold.
                .upgradeSettings(NodePoolUpgradeSettingsArgs.builder().maxSurge(1).maxUnavailable(0).build())
                .nodeConfig(NodePoolNodeConfigArgs.builder()
                        .machineType(settings.nodes().machineType())
                        .diskSizeGb(settings.nodes().diskSizeGb())
                        .diskType("pd-balanced")
                        .imageType("COS_CONTAINERD")
                        .serviceAccount(nodes.email())
                        // The service account's roles are the limit; the scope only lets them apply.
                        .oauthScopes("https://www.googleapis.com/auth/cloud-platform")
                        .shieldedInstanceConfig(NodePoolNodeConfigShieldedInstanceConfigArgs.builder()
                                .enableSecureBoot(true).enableIntegrityMonitoring(true).build())
                        .workloadMetadataConfig(NodePoolNodeConfigWorkloadMetadataConfigArgs.builder()
                                .mode("GKE_METADATA").build())
                        .metadata(Map.of("disable-legacy-endpoints", "true"))
                        .tags(network.nodeTag)
                        .labels(Map.of("app", "todo-platform"))
                        .build())
                .build(), CustomResourceOptions.builder().parent(this).provider(gcp).dependsOn(grants)
                // The pool is created with its floor and then sized by the autoscaler; initialNodeCount forces a
                // new pool when it changes, so a new minNodesPerZone only moves the autoscaler's floor.
                .ignoreChanges("initialNodeCount").build());

        this.kubeconfig = Output.tuple(cluster.name(), cluster.endpoint(), cluster.masterAuth())
                // Application Default Credentials, as the README sets up (and CI's service accounts provide):
                // without the flag the plugin asks gcloud for its active account, which may be none or another.
                .applyValue(t -> Kubeconfig.exec(t.t1, t.t2, caOf(t.t3), "gke-gcloud-auth-plugin",
                        List.of("--use_application_default_credentials"),
                        "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin"
                                + " (https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl)",
                        true))
                .asSecret();
        registerOutputs(Map.of("clusterName", cluster.name(), "kubeconfig", kubeconfig));
    }

    private static String caOf(ClusterMasterAuth auth) {
        return auth.clusterCaCertificate().orElseThrow(() -> new IllegalStateException("the cluster has no CA"));
    }

    /** A service account id: 6-30 characters, starting with a letter (the cluster name always starts "todo-"). */
    static String accountId(String clusterName) {
        String base = clusterName.replace("todo-platform-", "todo-");
        base = base.length() > 24 ? base.substring(0, 24).replaceAll("-+$", "") : base;
        return base + "-nodes";
    }
}
