package dev.todoplatform.infra.kube;

import com.pulumi.core.Output;
import com.pulumi.kubernetes.apps.v1.Deployment;
import com.pulumi.kubernetes.apps.v1.DeploymentArgs;
import com.pulumi.kubernetes.apps.v1.StatefulSet;
import com.pulumi.kubernetes.apps.v1.StatefulSetArgs;
import com.pulumi.kubernetes.apps.v1.inputs.DeploymentSpecArgs;
import com.pulumi.kubernetes.apps.v1.inputs.DeploymentStrategyArgs;
import com.pulumi.kubernetes.apps.v1.inputs.RollingUpdateDeploymentArgs;
import com.pulumi.kubernetes.apps.v1.inputs.StatefulSetPersistentVolumeClaimRetentionPolicyArgs;
import com.pulumi.kubernetes.apps.v1.inputs.StatefulSetSpecArgs;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.ConfigMapArgs;
import com.pulumi.kubernetes.core.v1.PersistentVolumeClaimPatch;
import com.pulumi.kubernetes.core.v1.PersistentVolumeClaimPatchArgs;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.kubernetes.core.v1.ServiceAccount;
import com.pulumi.kubernetes.core.v1.ServiceAccountArgs;
import com.pulumi.kubernetes.core.v1.ServiceArgs;
import com.pulumi.kubernetes.core.v1.inputs.AffinityArgs;
import com.pulumi.kubernetes.core.v1.inputs.CapabilitiesArgs;
import com.pulumi.kubernetes.core.v1.inputs.ConfigMapVolumeSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.ContainerPortArgs;
import com.pulumi.kubernetes.core.v1.inputs.EmptyDirVolumeSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.PersistentVolumeClaimArgs;
import com.pulumi.kubernetes.core.v1.inputs.PersistentVolumeClaimSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.PersistentVolumeClaimSpecPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodAffinityTermArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodAntiAffinityArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodSecurityContextArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodTemplateSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.ResourceRequirementsArgs;
import com.pulumi.kubernetes.core.v1.inputs.ResourceRequirementsPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.SeccompProfileArgs;
import com.pulumi.kubernetes.core.v1.inputs.SecretKeySelectorArgs;
import com.pulumi.kubernetes.core.v1.inputs.SecurityContextArgs;
import com.pulumi.kubernetes.core.v1.inputs.ServicePortArgs;
import com.pulumi.kubernetes.core.v1.inputs.ServiceSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.TopologySpreadConstraintArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeMountArgs;
import com.pulumi.kubernetes.core.v1.inputs.WeightedPodAffinityTermArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaPatchArgs;
import com.pulumi.kubernetes.policy.v1.PodDisruptionBudget;
import com.pulumi.kubernetes.policy.v1.PodDisruptionBudgetArgs;
import com.pulumi.kubernetes.policy.v1.inputs.PodDisruptionBudgetSpecArgs;
import com.pulumi.resources.CustomTimeouts;
import com.pulumi.resources.Resource;
import dev.todoplatform.config.ConfigFile;
import dev.todoplatform.infra.StackConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The Kubernetes habits every component shares, in one place: the non-root read-only security contexts,
 * resources, spreading, disruption budgets, rollouts, volumes. Objects go where their {@link Scope} says; what
 * they are made of comes from the caller. A policy test holds every object the program creates to the same rules.
 */
public final class Kube {
    private Kube() {
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
    public static ResourceRequirementsArgs resources(StackConfig.Resources size) {
        return ResourceRequirementsArgs.builder()
                .requests(Map.of("cpu", size.cpu(), "memory", size.memory()))
                .limits(Map.of("memory", size.memory()))
                .build();
    }

    /** A small sidecar's fixed size: {@code cpu} and {@code memory} requested, {@code limit} of memory. */
    public static ResourceRequirementsArgs sidecar(String cpu, String memory, String limit) {
        return ResourceRequirementsArgs.builder()
                .requests(Map.of("cpu", cpu, "memory", memory)).limits(Map.of("memory", limit)).build();
    }

    public static EnvVarArgs env(String name, String value) {
        return EnvVarArgs.builder().name(name).value(value).build();
    }

    public static EnvVarArgs secretEnv(String name, String secret, String key) {
        return EnvVarArgs.builder().name(name).valueFrom(EnvVarSourceArgs.builder()
                .secretKeyRef(SecretKeySelectorArgs.builder().name(secret).key(key).build()).build()).build();
    }

    /** Its own identity per component, and no API token: nothing here talks to the Kubernetes API. */
    public static ServiceAccount serviceAccount(Scope s, String component) {
        return new ServiceAccount(component, ServiceAccountArgs.builder()
                .metadata(s.meta(component, component))
                .automountServiceAccountToken(false)
                .build(), s.options());
    }

    /** A ClusterIP Service in front of a component: {@code port} to the container's {@code targetPort}. */
    public static Service clusterService(Scope s, String name, String component, int port, int targetPort) {
        return new Service(name, ServiceArgs.builder()
                .metadata(s.meta(name, component))
                .spec(ServiceSpecArgs.builder()
                        .type("ClusterIP")
                        .selector(s.selector(component))
                        .ports(ServicePortArgs.builder().name("tcp").port(port).targetPort(targetPort).build())
                        .build())
                .build(), s.options());
    }

    /** Voluntary disruptions (node drains, upgrades) take at most one replica at a time. */
    public static PodDisruptionBudget disruptionBudget(Scope s, String component) {
        return new PodDisruptionBudget(component, PodDisruptionBudgetArgs.builder()
                .metadata(s.meta(component, component))
                .spec(PodDisruptionBudgetSpecArgs.builder()
                        .maxUnavailable(1)
                        .selector(s.selectorArgs(component))
                        .build())
                .build(), s.options());
    }

    /** A Deployment whose rolling updates keep full capacity: a new pod is ready before an old one goes. */
    public static Deployment deployment(Scope s, String component, int replicas, PodTemplateSpecArgs template,
                                        List<Resource> dependsOn) {
        return new Deployment(component, DeploymentArgs.builder()
                .metadata(s.meta(component, component))
                .spec(DeploymentSpecArgs.builder()
                        .replicas(replicas)
                        .revisionHistoryLimit(5)
                        .selector(s.selectorArgs(component))
                        .strategy(DeploymentStrategyArgs.builder()
                                .type("RollingUpdate")
                                .rollingUpdate(RollingUpdateDeploymentArgs.builder().maxUnavailable(0).maxSurge(1).build())
                                .build())
                        .template(template)
                        .build())
                .build(), s.options(dependsOn));
    }

    /**
     * A ConfigMap of files, named {@code prefix-<content hash>}: changing a file creates a new ConfigMap, which
     * changes the pod template that mounts it, which rolls those pods.
     */
    public static ConfigMap configMap(Scope s, String prefix, String component, Map<String, String> files) {
        String hash = ConfigFile.hash(new TreeMap<>(files).entrySet().stream()
                .flatMap(e -> Stream.of(e.getKey(), e.getValue())).toArray(String[]::new));
        return new ConfigMap(prefix, ConfigMapArgs.builder()
                .metadata(s.meta(prefix + "-" + hash, component))
                .data(files)
                .build(), s.options());
    }

    /** The name a ConfigMap gets, for the volume that mounts it. */
    public static Output<String> nameOf(ConfigMap map) {
        return map.metadata().applyValue(m -> m.name().orElseThrow());
    }

    /**
     * A pod of a Deployment (or Job): its ServiceAccount, the security context, no API token, preferably one per
     * host and spread over zones; spread over hosts as a rule when {@code placement.onePerHost()}.
     */
    public static PodTemplateSpecArgs podTemplate(Scope s, String component, int uid, List<ContainerArgs> containers,
                                                  List<VolumeArgs> volumes, int terminationGraceSeconds,
                                                  Placement placement) {
        return PodTemplateSpecArgs.builder()
                .metadata(ObjectMetaArgs.builder().labels(s.labels(component)).build())
                .spec(podSpec(s, component, uid, containers, volumes, terminationGraceSeconds, placement).build())
                .build();
    }

    /**
     * A pod of a StatefulSet: one per host as a rule when {@code placement.onePerHost()} (a StatefulSet rolls
     * without surge and never has more pods than the stack's nodes, checked at load), spread over zones, as a rule
     * when {@code placement.zonesRequired()}: for the database, where two of three nodes in one zone would mean no
     * majority, so no promotion, when that zone goes. An existing cluster's nodes may carry no zone label, and a
     * required spread would leave the pods Pending.
     */
    public static PodTemplateSpecArgs statefulPodTemplate(Scope s, String component, int uid,
                                                          List<ContainerArgs> containers, List<VolumeArgs> volumes,
                                                          int terminationGraceSeconds, Placement placement) {
        return PodTemplateSpecArgs.builder()
                .metadata(ObjectMetaArgs.builder().labels(s.labels(component)).build())
                .spec(basePodSpec(component, uid, containers, volumes, terminationGraceSeconds)
                        .affinity(antiAffinity(s, component, placement.onePerHost()))
                        .topologySpreadConstraints(zoneSpread(s, component, placement.zonesRequired())).build())
                .build();
    }

    /** The pod spec of {@link #podTemplate}, for a Job that adds its restart policy. */
    public static PodSpecArgs.Builder podSpec(Scope s, String component, int uid, List<ContainerArgs> containers,
                                              List<VolumeArgs> volumes, int terminationGraceSeconds,
                                              Placement placement) {
        List<TopologySpreadConstraintArgs> spread = new ArrayList<>(List.of(zoneSpread(s, component, false)));
        if (placement.onePerHost()) {
            spread.add(hostSpread(s, component));
        }
        return basePodSpec(component, uid, containers, volumes, terminationGraceSeconds)
                .affinity(antiAffinity(s, component, false))
                .topologySpreadConstraints(spread);
    }

    private static PodSpecArgs.Builder basePodSpec(String component, int uid, List<ContainerArgs> containers,
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

    /** Replicas on different hosts: a rule, or a preference. */
    static AffinityArgs antiAffinity(Scope s, String component, boolean required) {
        PodAffinityTermArgs term = PodAffinityTermArgs.builder()
                .labelSelector(s.selectorArgs(component)).topologyKey("kubernetes.io/hostname").build();
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
     * A Deployment's replicas spread over hosts at most one apart, as a rule: unlike a required anti-affinity it
     * always fits (4 replicas and a rollout's surge pod on 3 nodes), so a rollout never waits for a node nobody
     * adds. Cordoned and tainted nodes do not count (a drain must not block it).
     */
    static TopologySpreadConstraintArgs hostSpread(Scope s, String component) {
        return TopologySpreadConstraintArgs.builder()
                .maxSkew(1)
                .topologyKey("kubernetes.io/hostname")
                .whenUnsatisfiable("DoNotSchedule")
                .nodeTaintsPolicy("Honor")
                .labelSelector(s.selectorArgs(component))
                .build();
    }

    /** Pods of the component spread over zones, at most one apart: a preference, or a rule when required. */
    static TopologySpreadConstraintArgs zoneSpread(Scope s, String component, boolean required) {
        return TopologySpreadConstraintArgs.builder()
                .maxSkew(1)
                .topologyKey("topology.kubernetes.io/zone")
                .whenUnsatisfiable(required ? "DoNotSchedule" : "ScheduleAnyway")
                .labelSelector(s.selectorArgs(component))
                .build();
    }

    public static VolumeArgs emptyDir(String name, String sizeLimit) {
        return VolumeArgs.builder().name(name)
                .emptyDir(EmptyDirVolumeSourceArgs.builder().sizeLimit(sizeLimit).build()).build();
    }

    /** A ConfigMap as read-only files; {@code mode} 0555 where it holds scripts. */
    public static VolumeArgs configVolume(String name, ConfigMap map, int mode) {
        return VolumeArgs.builder().name(name).configMap(ConfigMapVolumeSourceArgs.builder()
                .name(nameOf(map)).defaultMode(mode).build()).build();
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
    public static StatefulSet statefulSet(Scope s, String component, StatefulSetSpecArgs.Builder spec,
                                          int awaitMinutes, List<Resource> dependsOn) {
        return new StatefulSet(component, StatefulSetArgs.builder()
                .metadata(s.meta(component, component))
                .spec(spec.persistentVolumeClaimRetentionPolicy(StatefulSetPersistentVolumeClaimRetentionPolicyArgs
                        .builder().whenDeleted("Delete").whenScaled("Delete").build()).build())
                .build(), s.builder(dependsOn)
                .ignoreChanges("spec.volumeClaimTemplates")
                .customTimeouts(CustomTimeouts.builder().create(Duration.ofMinutes(awaitMinutes))
                        .update(Duration.ofMinutes(awaitMinutes)).delete(Duration.ofMinutes(15)).build())
                .build());
    }

    /**
     * The size of every claim of a StatefulSet, applied to the live claims (a server-side apply patch, forced: the
     * StatefulSet controller created them), so a larger size setting expands the volumes in place. Dropping a
     * patch leaves the claim as it is (the StatefulSet's retention policy deletes it).
     */
    public static void claimSizes(Scope s, String claim, String statefulSet, int replicas, String size, Resource after) {
        for (int i = 0; i < replicas; i++) {
            String name = claim + "-" + statefulSet + "-" + i;
            new PersistentVolumeClaimPatch(name, PersistentVolumeClaimPatchArgs.builder()
                    .metadata(ObjectMetaPatchArgs.builder().name(name).namespace(s.namespace())
                            .labels(s.labels(statefulSet))
                            .annotations(Map.of("pulumi.com/patchForce", "true")).build())
                    .spec(PersistentVolumeClaimSpecPatchArgs.builder()
                            .resources(ResourceRequirementsPatchArgs.builder().requests(Map.of("storage", size)).build())
                            .build())
                    .build(), s.builder(List.of(after)).retainOnDelete(true).build());
        }
    }

    /** A volume claim template; a null storage class means the cluster's default. */
    public static PersistentVolumeClaimArgs volumeClaim(Scope s, String name, String component, String size,
                                                        String storageClass) {
        PersistentVolumeClaimSpecArgs.Builder spec = PersistentVolumeClaimSpecArgs.builder()
                .accessModes("ReadWriteOnce")
                .resources(ResourceRequirementsArgs.builder().requests(Map.of("storage", size)).build());
        if (storageClass != null) {
            spec.storageClassName(storageClass);
        }
        return PersistentVolumeClaimArgs.builder()
                .metadata(ObjectMetaArgs.builder().name(name).labels(s.labels(component)).build())
                .spec(spec.build())
                .build();
    }
}
