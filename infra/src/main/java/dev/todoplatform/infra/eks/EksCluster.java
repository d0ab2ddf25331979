package dev.todoplatform.infra.eks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.pulumi.aws.Provider;
import com.pulumi.aws.cloudwatch.LogGroup;
import com.pulumi.aws.cloudwatch.LogGroupArgs;
import com.pulumi.aws.ec2.LaunchTemplate;
import com.pulumi.aws.ec2.LaunchTemplateArgs;
import com.pulumi.aws.ec2.SecurityGroup;
import com.pulumi.aws.ec2.SecurityGroupArgs;
import com.pulumi.aws.ec2.inputs.LaunchTemplateBlockDeviceMappingArgs;
import com.pulumi.aws.ec2.inputs.LaunchTemplateBlockDeviceMappingEbsArgs;
import com.pulumi.aws.ec2.inputs.LaunchTemplateMetadataOptionsArgs;
import com.pulumi.aws.eks.AccessEntry;
import com.pulumi.aws.eks.AccessEntryArgs;
import com.pulumi.aws.eks.AccessPolicyAssociation;
import com.pulumi.aws.eks.AccessPolicyAssociationArgs;
import com.pulumi.aws.eks.Addon;
import com.pulumi.aws.eks.AddonArgs;
import com.pulumi.aws.eks.Cluster;
import com.pulumi.aws.eks.ClusterArgs;
import com.pulumi.aws.eks.NodeGroup;
import com.pulumi.aws.eks.NodeGroupArgs;
import com.pulumi.aws.eks.inputs.AccessPolicyAssociationAccessScopeArgs;
import com.pulumi.aws.eks.inputs.ClusterAccessConfigArgs;
import com.pulumi.aws.eks.inputs.ClusterEncryptionConfigArgs;
import com.pulumi.aws.eks.inputs.ClusterEncryptionConfigProviderArgs;
import com.pulumi.aws.eks.inputs.ClusterUpgradePolicyArgs;
import com.pulumi.aws.eks.inputs.ClusterVpcConfigArgs;
import com.pulumi.aws.eks.inputs.NodeGroupLaunchTemplateArgs;
import com.pulumi.aws.eks.inputs.NodeGroupNodeRepairConfigArgs;
import com.pulumi.aws.eks.inputs.NodeGroupScalingConfigArgs;
import com.pulumi.aws.eks.inputs.NodeGroupUpdateConfigArgs;
import com.pulumi.aws.eks.outputs.ClusterCertificateAuthority;
import com.pulumi.aws.eks.outputs.ClusterIdentity;
import com.pulumi.aws.iam.OpenIdConnectProvider;
import com.pulumi.aws.iam.OpenIdConnectProviderArgs;
import com.pulumi.aws.iam.Role;
import com.pulumi.aws.iam.RoleArgs;
import com.pulumi.aws.iam.RolePolicyAttachment;
import com.pulumi.aws.iam.RolePolicyAttachmentArgs;
import com.pulumi.aws.kms.Key;
import com.pulumi.aws.kms.KeyArgs;
import com.pulumi.aws.vpc.SecurityGroupEgressRule;
import com.pulumi.aws.vpc.SecurityGroupEgressRuleArgs;
import com.pulumi.aws.vpc.SecurityGroupIngressRule;
import com.pulumi.aws.vpc.SecurityGroupIngressRuleArgs;
import com.pulumi.core.Output;
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
 * An EKS cluster in the terraform-aws-modules shape: control plane with a private endpoint and a public one limited
 * to the listed CIDRs, Secrets encrypted with a KMS key, a managed node group in the private subnets of every zone
 * (IMDSv2 only, encrypted gp3 disks), security groups only as open as EKS needs, and the EBS CSI driver (with its
 * own IAM role through IRSA) so volumes bind.
 */
public final class EksCluster extends ComponentResource {
    /** Keys sorted: Map.of's order changes from run to run, and a policy text that changes is a diff on every up. */
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private static final String POLICY = "arn:aws:iam::aws:policy/";
    public static final List<String> CLUSTER_POLICIES = List.of(POLICY + "AmazonEKSClusterPolicy");
    public static final List<String> NODE_POLICIES = List.of(
            POLICY + "AmazonEKSWorkerNodePolicy",
            POLICY + "AmazonEKS_CNI_Policy",
            POLICY + "AmazonEC2ContainerRegistryReadOnly");
    public static final String EBS_CSI_POLICY = POLICY + "service-role/AmazonEBSCSIDriverPolicy";
    public static final String EBS_CSI_SERVICE_ACCOUNT = "system:serviceaccount:kube-system:ebs-csi-controller-sa";
    public static final String ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
    /** The VPC CNI's own network policy agent (in its aws-node DaemonSet) enforces NetworkPolicies; off by default. */
    public static final String VPC_CNI_CONFIGURATION = "{\"enableNetworkPolicy\":\"true\"}";

    public final Cluster cluster;
    public final NodeGroup nodeGroup;
    public final Addon ebsCsiDriver;
    public final Addon vpcCni;
    public final Output<String> kubeconfig;

    public EksCluster(String name, StackConfig config, Provider aws, EksNetwork network) {
        super("todo-platform:eks:Cluster", name, ComponentResourceOptions.builder().build());
        StackConfig.Cluster settings = config.cluster();
        String clusterName = config.clusterName();
        CustomResourceOptions opts = CustomResourceOptions.builder().parent(this).provider(aws).build();

        Role clusterRole = role("cluster", "eks.amazonaws.com", opts);
        List<Resource> clusterGrants = attach("cluster", clusterRole, CLUSTER_POLICIES, opts);
        Role nodeRole = role("nodes", "ec2.amazonaws.com", opts);
        List<Resource> nodeGrants = attach("nodes", nodeRole, NODE_POLICIES, opts);

        SecurityGroups groups = new SecurityGroups(clusterName, network, opts);
        Key secretsKey = new Key("secrets", KeyArgs.builder()
                .description("Envelope encryption of " + clusterName + "'s Kubernetes Secrets")
                .enableKeyRotation(true)
                .deletionWindowInDays(7)
                .build(), opts);

        // EKS would create this group itself on first log, with no expiry, and leave it behind on destroy.
        LogGroup logs = new LogGroup("control-plane-logs", LogGroupArgs.builder()
                .name("/aws/eks/" + clusterName + "/cluster")
                .retentionInDays(settings.eks().logRetentionDays())
                .build(), opts);
        List<Resource> beforeCluster = new ArrayList<>(clusterGrants);
        beforeCluster.add(logs);

        ClusterArgs.Builder args = ClusterArgs.builder()
                .name(clusterName)
                .roleArn(clusterRole.arn())
                .vpcConfig(ClusterVpcConfigArgs.builder()
                        .subnetIds(Output.all(network.privateSubnets.stream().map(s -> s.id()).toList()))
                        .securityGroupIds(groups.cluster.id().applyValue(List::of))
                        .endpointPrivateAccess(true)
                        .endpointPublicAccess(true)
                        .publicAccessCidrs(settings.apiSourceRanges())
                        .build())
                .encryptionConfig(ClusterEncryptionConfigArgs.builder()
                        .resources("secrets")
                        .provider(ClusterEncryptionConfigProviderArgs.builder().keyArn(secretsKey.arn()).build())
                        .build())
                .accessConfig(ClusterAccessConfigArgs.builder()
                        .authenticationMode("API")
                        // Whoever runs `pulumi up` administers the cluster (access entries manage the rest).
                        .bootstrapClusterCreatorAdminPermissions(true)
                        .build())
                .enabledClusterLogTypes("api", "audit", "authenticator")
                // Standard support only: after about 14 months a version is upgraded instead of moving to extended
                // support, which costs six times as much per hour.
                .upgradePolicy(ClusterUpgradePolicyArgs.builder().supportType("STANDARD").build())
                .tags(Map.of("app", "todo-platform"));
        if (settings.eks().kubernetesVersion() != null) {
            args.version(settings.eks().kubernetesVersion());
        }
        this.cluster = new Cluster("cluster", args.build(),
                CustomResourceOptions.builder().parent(this).provider(aws).dependsOn(beforeCluster).build());
        for (String principal : settings.eks().adminRoles()) {
            String id = "admin-" + principal.substring(principal.lastIndexOf('/') + 1);
            AccessEntry entry = new AccessEntry(id, AccessEntryArgs.builder()
                    .clusterName(cluster.name()).principalArn(principal).type("STANDARD").build(), opts);
            new AccessPolicyAssociation(id, AccessPolicyAssociationArgs.builder()
                    .clusterName(cluster.name())
                    .principalArn(principal)
                    .policyArn(ADMIN_POLICY)
                    .accessScope(AccessPolicyAssociationAccessScopeArgs.builder().type("cluster").build())
                    .build(), CustomResourceOptions.builder().parent(this).provider(aws).dependsOn(entry).build());
        }

        LaunchTemplate nodeTemplate = new LaunchTemplate("nodes", LaunchTemplateArgs.builder()
                .description("Nodes of " + clusterName + ": IMDSv2 only, encrypted gp3 root disk, the node security group")
                .vpcSecurityGroupIds(groups.nodes.id().applyValue(List::of))
                .metadataOptions(LaunchTemplateMetadataOptionsArgs.builder()
                        .httpEndpoint("enabled")
                        .httpTokens("required")
                        // 1 hop: only the node itself (and host-network pods) reach instance metadata, so no pod
                        // can read the node role's credentials; pods that need AWS get their own role (IRSA).
                        .httpPutResponseHopLimit(1)
                        .build())
                .blockDeviceMappings(LaunchTemplateBlockDeviceMappingArgs.builder()
                        .deviceName("/dev/xvda")
                        .ebs(LaunchTemplateBlockDeviceMappingEbsArgs.builder()
                                .volumeSize(settings.nodes().diskSizeGb()).volumeType("gp3").encrypted("true")
                                .deleteOnTermination("true").build())
                        .build())
                .updateDefaultVersion(true)
                .build(), opts);
        int zones = settings.zones().size();
        List<Resource> beforeNodes = new ArrayList<>(nodeGrants);
        beforeNodes.addAll(network.natGateways);
        this.nodeGroup = new NodeGroup("nodes", NodeGroupArgs.builder()
                .clusterName(cluster.name())
                // The nodes follow the control plane's version when it is upgraded.
                .version(cluster.version())
                .nodeRoleArn(nodeRole.arn())
                .subnetIds(Output.all(network.privateSubnets.stream().map(s -> s.id()).toList()))
                .instanceTypes(settings.nodes().machineType())
                .amiType("AL2023_x86_64_STANDARD")
                .capacityType("ON_DEMAND")
                .scalingConfig(NodeGroupScalingConfigArgs.builder()
                        .minSize(settings.nodes().minNodesPerZone() * zones)
                        .desiredSize(settings.nodes().minNodesPerZone() * zones)
                        .maxSize(settings.nodes().maxNodesPerZone() * zones)
                        .build())
                .launchTemplate(NodeGroupLaunchTemplateArgs.builder()
                        .id(nodeTemplate.id())
                        .version(nodeTemplate.latestVersion().applyValue(String::valueOf))
                        .build())
                .updateConfig(NodeGroupUpdateConfigArgs.builder().maxUnavailable(1).build())
                .nodeRepairConfig(NodeGroupNodeRepairConfigArgs.builder().enabled(true).build())
                .labels(Map.of("app", "todo-platform"))
                .build(), CustomResourceOptions.builder().parent(this).provider(aws).dependsOn(beforeNodes).build());

        this.vpcCni = new Addon("vpc-cni", AddonArgs.builder()
                .clusterName(cluster.name())
                .addonName("vpc-cni")
                .configurationValues(VPC_CNI_CONFIGURATION)
                .resolveConflictsOnCreate("OVERWRITE")
                .resolveConflictsOnUpdate("OVERWRITE")
                .build(), opts);

        Output<String> issuer = cluster.identities().applyValue(EksCluster::issuerOf);
        OpenIdConnectProvider oidc = new OpenIdConnectProvider("oidc", OpenIdConnectProviderArgs.builder()
                .url(issuer)
                .clientIdLists("sts.amazonaws.com")
                .build(), opts);
        Role ebsCsiRole = new Role("ebs-csi", RoleArgs.builder()
                .description("The EBS CSI controller of " + clusterName + " (IRSA)")
                .assumeRolePolicy(Output.tuple(oidc.arn(), issuer).applyValue(t -> webIdentityPolicy(t.t1, t.t2)))
                .build(), opts);
        RolePolicyAttachment ebsCsiGrant = new RolePolicyAttachment("ebs-csi", RolePolicyAttachmentArgs.builder()
                .role(ebsCsiRole.name()).policyArn(EBS_CSI_POLICY).build(), opts);
        this.ebsCsiDriver = new Addon("ebs-csi-driver", AddonArgs.builder()
                .clusterName(cluster.name())
                .addonName("aws-ebs-csi-driver")
                .serviceAccountRoleArn(ebsCsiRole.arn())
                .resolveConflictsOnCreate("OVERWRITE")
                .resolveConflictsOnUpdate("OVERWRITE")
                .build(), CustomResourceOptions.builder().parent(this).provider(aws)
                .dependsOn(List.of(nodeGroup, ebsCsiGrant)).build());

        String region = settings.region();
        this.kubeconfig = Output.tuple(cluster.name(), cluster.endpoint(), cluster.certificateAuthority())
                .applyValue(t -> Kubeconfig.exec(t.t1, t.t2, caOf(t.t3), "aws",
                        List.of("--region", region, "eks", "get-token", "--cluster-name", t.t1, "--output", "json"),
                        "Install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
                        false))
                .asSecret();
        registerOutputs(Map.of("clusterName", cluster.name(), "kubeconfig", kubeconfig));
    }

    /** The firewall: the control plane and the nodes reach each other only where EKS needs it. */
    private static final class SecurityGroups {
        final SecurityGroup cluster;
        final SecurityGroup nodes;

        SecurityGroups(String clusterName, EksNetwork network, CustomResourceOptions opts) {
            this.cluster = new SecurityGroup("cluster", SecurityGroupArgs.builder()
                    .vpcId(network.vpc.id())
                    .description("EKS control plane of " + clusterName)
                    .revokeRulesOnDelete(true)
                    .tags(Map.of("Name", clusterName + "-cluster"))
                    .build(), opts);
            // The in-tree AWS load-balancer integration opens node ports on the one group tagged "owned".
            this.nodes = new SecurityGroup("nodes", SecurityGroupArgs.builder()
                    .vpcId(network.vpc.id())
                    .description("EKS nodes of " + clusterName)
                    .revokeRulesOnDelete(true)
                    .tags(Map.of("Name", clusterName + "-nodes", "kubernetes.io/cluster/" + clusterName, "owned"))
                    .build(), opts);
            ingress("cluster-from-nodes-https", cluster, nodes, "tcp", 443, 443, "nodes and pods call the API server", opts);
            egress("cluster-to-nodes-kubelet", cluster, nodes, 10250, "API server to kubelets (logs, exec)", opts);
            egress("cluster-to-nodes-webhooks", cluster, nodes, 443, "API server to admission webhooks", opts);
            ingress("nodes-from-cluster-kubelet", nodes, cluster, "tcp", 10250, 10250, "API server to kubelets", opts);
            ingress("nodes-from-cluster-webhooks", nodes, cluster, "tcp", 443, 443, "API server to webhooks", opts);
            ingress("nodes-dns-tcp", nodes, nodes, "tcp", 53, 53, "CoreDNS", opts);
            ingress("nodes-dns-udp", nodes, nodes, "udp", 53, 53, "CoreDNS", opts);
            ingress("nodes-pods", nodes, nodes, "tcp", 1025, 65535, "pod to pod (every app port is above 1024)", opts);
            new SecurityGroupEgressRule("nodes-egress", SecurityGroupEgressRuleArgs.builder()
                    .securityGroupId(nodes.id())
                    .description("images, AWS APIs and the control plane, through NAT or the VPC")
                    .ipProtocol("-1")
                    .cidrIpv4("0.0.0.0/0")
                    .build(), opts);
        }

        private static void ingress(String name, SecurityGroup to, SecurityGroup from, String protocol, int fromPort,
                                    int toPort, String why, CustomResourceOptions opts) {
            new SecurityGroupIngressRule(name, SecurityGroupIngressRuleArgs.builder()
                    .securityGroupId(to.id())
                    .referencedSecurityGroupId(from.id())
                    .ipProtocol(protocol)
                    .fromPort(fromPort)
                    .toPort(toPort)
                    .description(why)
                    .build(), opts);
        }

        private static void egress(String name, SecurityGroup from, SecurityGroup to, int port, String why,
                                   CustomResourceOptions opts) {
            new SecurityGroupEgressRule(name, SecurityGroupEgressRuleArgs.builder()
                    .securityGroupId(from.id())
                    .referencedSecurityGroupId(to.id())
                    .ipProtocol("tcp")
                    .fromPort(port)
                    .toPort(port)
                    .description(why)
                    .build(), opts);
        }
    }

    private static Role role(String name, String service, CustomResourceOptions opts) {
        return new Role(name, RoleArgs.builder()
                .assumeRolePolicy(json(Map.of("Version", "2012-10-17", "Statement", List.of(Map.of(
                        "Effect", "Allow",
                        "Principal", Map.of("Service", service),
                        "Action", "sts:AssumeRole")))))
                .build(), opts);
    }

    private static List<Resource> attach(String name, Role role, List<String> policies, CustomResourceOptions opts) {
        List<Resource> grants = new ArrayList<>();
        for (String policy : policies) {
            grants.add(new RolePolicyAttachment(name + "-" + policy.substring(policy.lastIndexOf('/') + 1),
                    RolePolicyAttachmentArgs.builder().role(role.name()).policyArn(policy).build(), opts));
        }
        return grants;
    }

    /** Only the EBS CSI controller's service account of this cluster may assume the role. */
    static String webIdentityPolicy(String oidcArn, String issuer) {
        String host = issuer.replaceFirst("^https://", "");
        return json(Map.of("Version", "2012-10-17", "Statement", List.of(Map.of(
                "Effect", "Allow",
                "Principal", Map.of("Federated", oidcArn),
                "Action", "sts:AssumeRoleWithWebIdentity",
                "Condition", Map.of("StringEquals", Map.of(
                        host + ":sub", EBS_CSI_SERVICE_ACCOUNT,
                        host + ":aud", "sts.amazonaws.com"))))));
    }

    private static String issuerOf(List<ClusterIdentity> identities) {
        return identities.stream().flatMap(i -> i.oidcs().stream()).flatMap(o -> o.issuer().stream()).findFirst()
                .orElseThrow(() -> new IllegalStateException("the cluster has no OIDC issuer"));
    }

    private static String caOf(ClusterCertificateAuthority ca) {
        return ca.data().orElseThrow(() -> new IllegalStateException("the cluster has no CA"));
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
