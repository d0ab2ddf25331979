package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodTemplateSpecArgs;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Kube;
import dev.todoplatform.infra.kube.Placement;
import dev.todoplatform.infra.kube.Probe;
import dev.todoplatform.infra.kube.Scope;
import java.util.ArrayList;
import java.util.List;

/** What the todo and counter Deployments (and the migrate Job) share: the service image in one of its modes. */
final class ServiceApp {
    static final int PORT = 8080;
    static final int UID = 65532;
    static final int SERVICE_PORT = 80;

    /**
     * What one mode of the service is made of.
     *
     * @param replicas Deployment replicas (the migrate Job runs once)
     */
    record Args(int replicas, String image, StackConfig.Resources resources, Placement placement) {
    }

    // Probes: what kubelet asks, how often (s), after how many failures it acts.
    /** Up to 60 s to start (2 s x 30), then alive while /healthz answers. */
    static final Probe STARTUP = Probe.http("/healthz", PORT, 2, 30);
    static final Probe LIVENESS = Probe.http("/healthz", PORT, 10, 3);
    /** Ready: serving, and not draining; never the database's or Redis's state (they answer 503 JSON then). */
    static final Probe READINESS = Probe.http("/readyz", PORT, 5, 2);

    private ServiceApp() {
    }

    static ContainerArgs.Builder container(Args args, String mode, List<EnvVarArgs> env) {
        List<EnvVarArgs> all = new ArrayList<>(env);
        all.add(Kube.env("PORT", Integer.toString(PORT)));
        return ContainerArgs.builder()
                .name(mode)
                .image(args.image())
                .args(mode)
                .env(all)
                .resources(Kube.resources(args.resources()))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(Kube.mount("tmp", "/tmp", false));
    }

    /** A serving mode: probes on its port, readiness DOWN 5 s before the listener closes on SIGTERM. */
    static PodTemplateSpecArgs servingPod(Scope k, Args args, String component, String mode, List<EnvVarArgs> env) {
        List<EnvVarArgs> all = new ArrayList<>(env);
        all.add(Kube.env("SHUTDOWN_DELAY_MS", "5000"));
        all.add(Kube.env("SHUTDOWN_TIMEOUT_MS", "15000"));
        ContainerArgs container = container(args, mode, all)
                .ports(Kube.port("http", PORT))
                .startupProbe(STARTUP.args())
                .livenessProbe(LIVENESS.args())
                .readinessProbe(READINESS.args())
                .build();
        return Kube.podTemplate(k, component, UID, List.of(container), List.of(Kube.emptyDir("tmp", "64Mi")), 30,
                args.placement());
    }
}
