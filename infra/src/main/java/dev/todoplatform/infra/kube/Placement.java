package dev.todoplatform.infra.kube;

/**
 * Where a component's pods may run. Deployments: spread over hosts as a rule when {@code onePerHost} (a topology
 * spread, which always fits, surge pods included), else preferably. StatefulSets: one pod per host as a rule when
 * {@code onePerHost} (they roll without surge); over zones as a rule when {@code zonesRequired}.
 */
public record Placement(boolean onePerHost, boolean zonesRequired) {
}
