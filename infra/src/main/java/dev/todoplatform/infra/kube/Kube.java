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
import com.pulumi.kubernetes.apps.v1.StatefulSet;
import com.pulumi.kubernetes.apps.v1.StatefulSetArgs;
import com.pulumi.kubernetes.apps.v1.inputs.StatefulSetPersistentVolumeClaimRetentionPolicyArgs;
import com.pulumi.kubernetes.apps.v1.inputs.StatefulSetSpecArgs;
import com.pulumi.kubernetes.core.v1.PersistentVolumeClaimPatch;
import com.pulumi.kubernetes.core.v1.PersistentVolumeClaimPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.PersistentVolumeClaimSpecPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.ResourceRequirementsPatchArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaPatchArgs;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.CustomTimeouts;
import java.time.Duration;
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
     * A StatefulSet's replicas on different hosts: a rule where the stack requires it (the replicas never exceed the
     * stack's nodes, and a StatefulSet rolls without surge), else a preference.
     */
    public AffinityArgs antiAffinity(String component, boolean required) {
        PodAffinityTermArgs term = PodAffinityTermArgs.builder()
                .labelSelector(selectorArgs(component)).topologyKey("kubernetes.io/hostname").build();
        PodAntiAffinityArgs.Builder anti = PodAntiAffinityArgs.builder();
        if (required) {
            anti.requiredDuringSchedulingIgnoredDuringExecution(term);
        } else {
            anti.preferredDuringSchedulingIgnoredDuringExecution(
                    WeightedPodAffinityTermArgs.builder().weight(100).podAffinityTerm(term).build());
        }
        return AffinityArgs.builder().podAntiAffinity(anti.build()).build();
    }

    /**
     * A Deployment's replicas spread over hosts at most one apart, a rule where the stack requires it: unlike a
     * required anti-affinity it always fits (4 replicas and a rollout's surge pod on 3 nodes), so a rollout never
     * waits for a node nobody adds. Cordoned and tainted nodes do not count (a drain must not block it).
     */
    public TopologySpreadConstraintArgs hostSpread(String component) {
        return TopologySpreadConstraintArgs.builder()
                .maxSkew(1)
                .topologyKey("kubernetes.io/hostname")
                .whenUnsatisfiable("DoNotSchedule")
                .nodeTaintsPolicy("Honor")
                .labelSelector(selectorArgs(component))
                .build();
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

    /**
     * A pod of a Deployment (or Job): its ServiceAccount, the security context, no API token, preferably one per
     * host and spread over zones; with podAntiAffinity required, spread over hosts as a rule ({@link #hostSpread}).
     */
    public PodTemplateSpecArgs podTemplate(String component, int uid, List<ContainerArgs> containers,
                                           List<VolumeArgs> volumes, int terminationGraceSeconds) {
        return PodTemplateSpecArgs.builder()
                .metadata(ObjectMetaArgs.builder().labels(labels(component)).build())
                .spec(podSpec(component, uid, containers, volumes, terminationGraceSeconds).build())
                .build();
    }

    /**
     * A pod of a StatefulSet: one per host as a rule where the stack requires it, and spread over zones, as a rule
     * when {@code zonesRequired}: for the database, where two of three nodes in one zone would mean no majority,
     * so no promotion, when that zone goes. An existing cluster's nodes may carry no zone label, and a required
     * spread would leave the pods Pending.
     */
    public PodTemplateSpecArgs statefulPodTemplate(String component, int uid, List<ContainerArgs> containers,
                                                   List<VolumeArgs> volumes, int terminationGraceSeconds,
                                                   boolean zonesRequired) {
        return PodTemplateSpecArgs.builder()
                .metadata(ObjectMetaArgs.builder().labels(labels(component)).build())
                .spec(basePodSpec(component, uid, containers, volumes, terminationGraceSeconds)
                        .affinity(antiAffinity(component, config.podAntiAffinity() == StackConfig.AntiAffinity.REQUIRED))
                        .topologySpreadConstraints(zoneSpread(component, zonesRequired)).build())
                .build();
    }

    public PodSpecArgs.Builder podSpec(String component, int uid, List<ContainerArgs> containers,
                                       List<VolumeArgs> volumes, int terminationGraceSeconds) {
        List<TopologySpreadConstraintArgs> spread = new java.util.ArrayList<>(List.of(zoneSpread(component, false)));
        if (config.podAntiAffinity() == StackConfig.AntiAffinity.REQUIRED) {
            spread.add(hostSpread(component));
        }
        return basePodSpec(component, uid, containers, volumes, terminationGraceSeconds)
                .affinity(antiAffinity(component, false))
                .topologySpreadConstraints(spread);
    }

    private PodSpecArgs.Builder basePodSpec(String component, int uid, List<ContainerArgs> containers,
                                            List<VolumeArgs> volumes, int terminationGraceSeconds) {
        return PodSpecArgs.builder()
                .serviceAccountName(component)
                .automountServiceAccountToken(false)
                .enableServiceLinks(false)
                .securityContext(podSecurity(uid))
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

    /**
     * A StatefulSet with volumes, as the engine must treat it: its claim templates are ignored after creation (a
     * change would replace the StatefulSet, deleting every pod at once, and still not resize the claims; {@link
     * #claimSizes} resizes them), its claims are deleted with it and when it scales down (no disk outlives its
     * node), and the await allows {@code awaitMinutes} (the startup probes' own budget, plus margin).
     */
    public StatefulSet statefulSet(String component, StatefulSetSpecArgs.Builder spec, int awaitMinutes,
                                   List<Resource> dependsOn) {
        CustomResourceOptions.Builder opts = CustomResourceOptions.builder().provider(provider).dependsOn(dependsOn)
                .ignoreChanges("spec.volumeClaimTemplates")
                .customTimeouts(CustomTimeouts.builder().create(Duration.ofMinutes(awaitMinutes))
                        .update(Duration.ofMinutes(awaitMinutes)).delete(Duration.ofMinutes(15)).build());
        if (parent != null) {
            opts.parent(parent);
        }
        return new StatefulSet(component, StatefulSetArgs.builder()
                .metadata(meta(component, component))
                .spec(spec.persistentVolumeClaimRetentionPolicy(StatefulSetPersistentVolumeClaimRetentionPolicyArgs
                        .builder().whenDeleted("Delete").whenScaled("Delete").build()).build())
                .build(), opts.build());
    }

    /**
     * The size of every claim of a StatefulSet, applied to the live claims (a server-side apply patch, forced: the
     * StatefulSet controller created them), so a larger size setting expands the volumes in place. Dropping a
     * patch leaves the claim as it is (the StatefulSet's retention policy deletes it).
     */
    public void claimSizes(String claim, String statefulSet, int replicas, String size, Resource after) {
        for (int i = 0; i < replicas; i++) {
            String name = claim + "-" + statefulSet + "-" + i;
            CustomResourceOptions.Builder opts = CustomResourceOptions.builder().provider(provider)
                    .dependsOn(after).retainOnDelete(true);
            if (parent != null) {
                opts.parent(parent);
            }
            new PersistentVolumeClaimPatch(name, PersistentVolumeClaimPatchArgs.builder()
                    .metadata(ObjectMetaPatchArgs.builder().name(name).namespace(namespace()).labels(labels(statefulSet))
                            .annotations(Map.of("pulumi.com/patchForce", "true")).build())
                    .spec(PersistentVolumeClaimSpecPatchArgs.builder()
                            .resources(ResourceRequirementsPatchArgs.builder().requests(Map.of("storage", size)).build())
                            .build())
                    .build(), opts.build());
        }
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
