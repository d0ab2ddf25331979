package dev.todoplatform.infra.kube;

import com.pulumi.kubernetes.Provider;
import com.pulumi.kubernetes.apps.v1.Deployment;
import com.pulumi.kubernetes.apps.v1.DeploymentArgs;
import com.pulumi.kubernetes.apps.v1.inputs.DeploymentSpecArgs;
import com.pulumi.kubernetes.apps.v1.inputs.DeploymentStrategyArgs;
import com.pulumi.kubernetes.apps.v1.inputs.RollingUpdateDeploymentArgs;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.ConfigMapArgs;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.kubernetes.core.v1.ServiceAccount;
import com.pulumi.kubernetes.core.v1.ServiceAccountArgs;
import com.pulumi.kubernetes.core.v1.ServiceArgs;
import com.pulumi.core.Output;
import com.pulumi.kubernetes.core.v1.inputs.ConfigMapVolumeSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.ContainerPortArgs;
import com.pulumi.kubernetes.core.v1.inputs.EmptyDirVolumeSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.PersistentVolumeClaimArgs;
import com.pulumi.kubernetes.core.v1.inputs.PersistentVolumeClaimSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodTemplateSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeMountArgs;
import com.pulumi.kubernetes.core.v1.inputs.ServicePortArgs;
import com.pulumi.kubernetes.core.v1.inputs.ServiceSpecArgs;
import com.pulumi.kubernetes.policy.v1.PodDisruptionBudget;
import com.pulumi.kubernetes.policy.v1.PodDisruptionBudgetArgs;
import com.pulumi.kubernetes.policy.v1.inputs.PodDisruptionBudgetSpecArgs;
import dev.todoplatform.config.ConfigFile;
import java.util.TreeMap;
import com.pulumi.kubernetes.core.v1.inputs.AffinityArgs;
import com.pulumi.kubernetes.core.v1.inputs.CapabilitiesArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.ExecActionArgs;
import com.pulumi.kubernetes.core.v1.inputs.HTTPGetActionArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodAffinityTermArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodAntiAffinityArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodSecurityContextArgs;
import com.pulumi.kubernetes.core.v1.inputs.ProbeArgs;
import com.pulumi.kubernetes.core.v1.inputs.ResourceRequirementsArgs;
import com.pulumi.kubernetes.core.v1.inputs.SeccompProfileArgs;
import com.pulumi.kubernetes.core.v1.inputs.SecretKeySelectorArgs;
import com.pulumi.kubernetes.core.v1.inputs.SecurityContextArgs;
import com.pulumi.kubernetes.core.v1.inputs.TopologySpreadConstraintArgs;
import com.pulumi.kubernetes.core.v1.inputs.WeightedPodAffinityTermArgs;
import com.pulumi.kubernetes.meta.v1.inputs.LabelSelectorArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.infra.StackConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes habits every component shares, in one place: labels, the non-root read-only security
 * contexts, resources, probes, spreading, and the explicit provider on every resource (never the ambient
 * kubeconfig). A policy test holds every object the program creates to the same rules.
 */
public final class Kube {
    public static final String PART_OF = "todo-platform";
    public static final String NAME_LABEL = "app.kubernetes.io/name";
    public static final String INSTANCE_LABEL = "app.kubernetes.io/instance";

    private final Provider provider;
    private final StackConfig config;
    private final Resource parent;

    public Kube(Provider provider, StackConfig config) {
        this(provider, config, null);
    }

    private Kube(Provider provider, StackConfig config, Resource parent) {
        this.provider = provider;
        this.config = config;
        this.parent = parent;
    }

    /** The same habits for the children of {@code component}. */
    public Kube within(Resource component) {
        return new Kube(provider, config, component);
    }

    public StackConfig config() {
        return config;
    }

    public String namespace() {
        return config.namespace();
    }

    public Provider provider() {
        return provider;
    }

    public CustomResourceOptions options() {
        return options(List.of());
    }

    public CustomResourceOptions options(List<Resource> dependsOn) {
        CustomResourceOptions.Builder builder = CustomResourceOptions.builder().provider(provider).dependsOn(dependsOn);
        if (parent != null) {
            builder.parent(parent);
        }
        return builder.build();
    }

    /** The selector labels of a component: stable for the life of the stack. */
    public Map<String, String> selector(String component) {
        return Map.of(NAME_LABEL, component, INSTANCE_LABEL, config.stack());
    }

    /** The recommended app.kubernetes.io labels. */
    public Map<String, String> labels(String component) {
        Map<String, String> labels = new LinkedHashMap<>(selector(component));
        labels.put("app.kubernetes.io/component", component);
        labels.put("app.kubernetes.io/part-of", PART_OF);
        labels.put("app.kubernetes.io/managed-by", "pulumi");
        return labels;
    }

    public ObjectMetaArgs meta(String name, String component) {
        return ObjectMetaArgs.builder().name(name).namespace(namespace()).labels(labels(component)).build();
    }

    public ObjectMetaArgs podMeta(String component, Map<String, String> annotations) {
        return ObjectMetaArgs.builder().labels(labels(component)).annotations(annotations).build();
    }

    public LabelSelectorArgs selectorArgs(String component) {
        return LabelSelectorArgs.builder().matchLabels(selector(component)).build();
    }

    /** Pod level: non-root with a fixed uid/gid (volumes writable through fsGroup), seccomp RuntimeDefault. */
    public static PodSecurityContextArgs podSecurity(int uid) {
        return PodSecurityContextArgs.builder()
                .runAsNonRoot(true)
                .runAsUser(uid)
                .runAsGroup(uid)
                .fsGroup(uid)
                .seccompProfile(SeccompProfileArgs.builder().type("RuntimeDefault").build())
                .build();
    }

    /** Container level: read-only root filesystem, no privilege escalation, every capability dropped. */
    public static SecurityContextArgs containerSecurity() {
        return SecurityContextArgs.builder()
                .runAsNonRoot(true)
                .allowPrivilegeEscalation(false)
                .readOnlyRootFilesystem(true)
                .privileged(false)
                .capabilities(CapabilitiesArgs.builder().drop("ALL").build())
                .seccompProfile(SeccompProfileArgs.builder().type("RuntimeDefault").build())
                .build();
    }

    /** Requests for scheduling; a memory limit equal to the request (no CPU limit: no throttling). */
    public ResourceRequirementsArgs resources(String component) {
        StackConfig.Resources size = config.resources(component);
        return ResourceRequirementsArgs.builder()
                .requests(Map.of("cpu", size.cpu(), "memory", size.memory()))
                .limits(Map.of("memory", size.memory()))
                .build();
    }

    public static ProbeArgs httpProbe(String path, int port, int periodSeconds, int failureThreshold) {
        return ProbeArgs.builder()
                .httpGet(HTTPGetActionArgs.builder().path(path).port(port).build())
                .periodSeconds(periodSeconds).timeoutSeconds(2).failureThreshold(failureThreshold)
                .build();
    }

    public static ProbeArgs execProbe(int periodSeconds, int failureThreshold, String... command) {
        return ProbeArgs.builder()
                .exec(ExecActionArgs.builder().command(List.of(command)).build())
                .periodSeconds(periodSeconds).timeoutSeconds(5).failureThreshold(failureThreshold)
                .build();
    }

    public static EnvVarArgs env(String name, String value) {
        return EnvVarArgs.builder().name(name).value(value).build();
    }

    public static EnvVarArgs secretEnv(String name, String secret, String key) {
        return EnvVarArgs.builder().name(name).valueFrom(EnvVarSourceArgs.builder()
                .secretKeyRef(SecretKeySelectorArgs.builder().name(secret).key(key).build()).build()).build();
    }

    /**
     * Replicas on different hosts (required or preferred, a stack setting) and spread over zones: losing a
     * node or a zone takes at most one replica of a small component.
     */
    public AffinityArgs antiAffinity(String component) {
        PodAffinityTermArgs term = PodAffinityTermArgs.builder()
                .labelSelector(selectorArgs(component)).topologyKey("kubernetes.io/hostname").build();
        PodAntiAffinityArgs.Builder anti = PodAntiAffinityArgs.builder();
        if (config.requiredAntiAffinity()) {
            anti.requiredDuringSchedulingIgnoredDuringExecution(term);
        } else {
            anti.preferredDuringSchedulingIgnoredDuringExecution(
                    WeightedPodAffinityTermArgs.builder().weight(100).podAffinityTerm(term).build());
        }
        return AffinityArgs.builder().podAntiAffinity(anti.build()).build();
    }

    /** Its own identity per component, and no API token: nothing here talks to the Kubernetes API. */
    public ServiceAccount serviceAccount(String component) {
        return new ServiceAccount(component, ServiceAccountArgs.builder()
                .metadata(meta(component, component))
                .automountServiceAccountToken(false)
                .build(), options());
    }

    /** A ClusterIP Service in front of a component: {@code port} to the container's {@code targetPort}. */
    public Service clusterService(String name, String component, int port, int targetPort) {
        return new Service(name, ServiceArgs.builder()
                .metadata(meta(name, component))
                .spec(ServiceSpecArgs.builder()
                        .type("ClusterIP")
                        .selector(selector(component))
                        .ports(ServicePortArgs.builder().name("tcp").port(port).targetPort(targetPort).build())
                        .build())
                .build(), options());
    }

    /** Voluntary disruptions (node drains, upgrades) take at most one replica at a time. */
    public PodDisruptionBudget disruptionBudget(String component) {
        return new PodDisruptionBudget(component, PodDisruptionBudgetArgs.builder()
                .metadata(meta(component, component))
                .spec(PodDisruptionBudgetSpecArgs.builder()
                        .maxUnavailable(1)
                        .selector(selectorArgs(component))
                        .build())
                .build(), options());
    }

    /** A Deployment whose rolling updates keep full capacity: a new pod is ready before an old one goes. */
    public Deployment deployment(String component, int replicas, PodTemplateSpecArgs template, List<Resource> dependsOn) {
        return new Deployment(component, DeploymentArgs.builder()
                .metadata(meta(component, component))
                .spec(DeploymentSpecArgs.builder()
                        .replicas(replicas)
                        .revisionHistoryLimit(5)
                        .selector(selectorArgs(component))
                        .strategy(DeploymentStrategyArgs.builder()
                                .type("RollingUpdate")
                                .rollingUpdate(RollingUpdateDeploymentArgs.builder().maxUnavailable(0).maxSurge(1).build())
                                .build())
                        .template(template)
                        .build())
                .build(), options(dependsOn));
    }

    /**
     * A ConfigMap of files, named {@code prefix-<content hash>}: changing a file creates a new ConfigMap, which
     * changes the pod template that mounts it, which rolls those pods.
     */
    public ConfigMap configMap(String prefix, String component, Map<String, String> files) {
        String hash = ConfigFile.hash(new TreeMap<>(files).entrySet().stream()
                .flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue())).toArray(String[]::new));
        return new ConfigMap(prefix, ConfigMapArgs.builder()
                .metadata(meta(prefix + "-" + hash, component))
                .data(files)
                .build(), options());
    }

    /** A pod of this component: its ServiceAccount, the security context, spreading, no API token. */
    public PodTemplateSpecArgs podTemplate(String component, int uid, List<ContainerArgs> containers,
                                           List<VolumeArgs> volumes, int terminationGraceSeconds) {
        return PodTemplateSpecArgs.builder()
                .metadata(ObjectMetaArgs.builder().labels(labels(component)).build())
                .spec(podSpec(component, uid, containers, volumes, terminationGraceSeconds).build())
                .build();
    }

    /**
     * The same, with the zone spread required where the cluster spans zones (a cloud stack): for the database,
     * where two of three nodes in one zone would mean no majority, so no promotion, when that zone goes. An
     * existing cluster's nodes may carry no zone label, and a required spread would leave the pods Pending.
     */
    public PodTemplateSpecArgs podTemplateAcrossZones(String component, int uid, List<ContainerArgs> containers,
                                                      List<VolumeArgs> volumes, int terminationGraceSeconds) {
        return PodTemplateSpecArgs.builder()
                .metadata(ObjectMetaArgs.builder().labels(labels(component)).build())
                .spec(podSpec(component, uid, containers, volumes, terminationGraceSeconds)
                        .topologySpreadConstraints(zoneSpread(component, config.cluster() != null)).build())
                .build();
    }

    public PodSpecArgs.Builder podSpec(String component, int uid, List<ContainerArgs> containers,
                                       List<VolumeArgs> volumes, int terminationGraceSeconds) {
        return PodSpecArgs.builder()
                .serviceAccountName(component)
                .automountServiceAccountToken(false)
                .enableServiceLinks(false)
                .securityContext(podSecurity(uid))
                .affinity(antiAffinity(component))
                .topologySpreadConstraints(zoneSpread(component, false))
                .terminationGracePeriodSeconds(terminationGraceSeconds)
                .containers(containers)
                .volumes(volumes);
    }

    public static VolumeArgs emptyDir(String name, String sizeLimit) {
        return VolumeArgs.builder().name(name)
                .emptyDir(EmptyDirVolumeSourceArgs.builder().sizeLimit(sizeLimit).build()).build();
    }

    /** A ConfigMap as read-only files; {@code mode} 0555 where it holds scripts. */
    public static VolumeArgs configVolume(String name, Output<String> configMapName, int mode) {
        return VolumeArgs.builder().name(name).configMap(ConfigMapVolumeSourceArgs.builder()
                .name(configMapName).defaultMode(mode).build()).build();
    }

    public static VolumeMountArgs mount(String volume, String path, boolean readOnly) {
        return VolumeMountArgs.builder().name(volume).mountPath(path).readOnly(readOnly).build();
    }

    public static ContainerPortArgs port(String name, int port) {
        return ContainerPortArgs.builder().name(name).containerPort(port).protocol("TCP").build();
    }

    /** A volume claim template; a null storage class means the cluster's default. */
    public PersistentVolumeClaimArgs volumeClaim(String name, String component, String size, String storageClass) {
        PersistentVolumeClaimSpecArgs.Builder spec = PersistentVolumeClaimSpecArgs.builder()
                .accessModes("ReadWriteOnce")
                .resources(ResourceRequirementsArgs.builder().requests(Map.of("storage", size)).build());
        if (storageClass != null) {
            spec.storageClassName(storageClass);
        }
        return PersistentVolumeClaimArgs.builder()
                .metadata(ObjectMetaArgs.builder().name(name).labels(labels(component)).build())
                .spec(spec.build())
                .build();
    }

    /** Pods of the component spread over zones, at most one apart: a preference, or a rule when required. */
    public TopologySpreadConstraintArgs zoneSpread(String component, boolean required) {
        return TopologySpreadConstraintArgs.builder()
                .maxSkew(1)
                .topologyKey("topology.kubernetes.io/zone")
                .whenUnsatisfiable(required ? "DoNotSchedule" : "ScheduleAnyway")
                .labelSelector(selectorArgs(component))
                .build();
    }
}
