package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodTemplateSpecArgs;
import dev.todoplatform.infra.kube.Kube;
import java.util.ArrayList;
import java.util.List;

/** What the todo and counter Deployments (and the migrate Job) share: the service image in one of its modes. */
final class ServiceApp {
    static final int PORT = 8080;
    static final int UID = 65532;
    static final int SERVICE_PORT = 80;

    private ServiceApp() {
    }

    static ContainerArgs.Builder container(Kube k, String component, String mode, List<EnvVarArgs> env) {
        List<EnvVarArgs> all = new ArrayList<>(env);
        all.add(Kube.env("PORT", Integer.toString(PORT)));
        return ContainerArgs.builder()
                .name(mode)
                .image(k.config().images().service())
                .args(mode)
                .env(all)
                .resources(k.resources(component))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(Kube.mount("tmp", "/tmp", false));
    }

    /** A serving mode: probes on its port, readiness DOWN 5 s before the listener closes on SIGTERM. */
    static PodTemplateSpecArgs servingPod(Kube k, String component, String mode, List<EnvVarArgs> env) {
        List<EnvVarArgs> all = new ArrayList<>(env);
        all.add(Kube.env("SHUTDOWN_DELAY_MS", "5000"));
        all.add(Kube.env("SHUTDOWN_TIMEOUT_MS", "15000"));
        ContainerArgs container = container(k, component, mode, all)
                .ports(Kube.port("http", PORT))
                .startupProbe(Kube.httpProbe("/healthz", PORT, 2, 30))
                .livenessProbe(Kube.httpProbe("/healthz", PORT, 10, 3))
                .readinessProbe(Kube.httpProbe("/readyz", PORT, 5, 2))
                .build();
        return k.podTemplate(component, UID, List.of(container), List.of(Kube.emptyDir("tmp", "64Mi")), 30);
    }
}
