package dev.todoplatform.infra.app;

import com.pulumi.core.Output;
import com.pulumi.kubernetes.apps.v1.Deployment;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.Secret;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.kubernetes.core.v1.ServiceArgs;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.ContainerPortArgs;
import com.pulumi.kubernetes.core.v1.inputs.SecretVolumeSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.ServicePortArgs;
import com.pulumi.kubernetes.core.v1.inputs.ServiceSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeMountArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.config.NginxConfig;
import dev.todoplatform.config.Topology;
import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.kube.Kube;
import dev.todoplatform.infra.kube.Placement;
import dev.todoplatform.infra.kube.Probe;
import dev.todoplatform.infra.kube.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The front door: nginx (config/nginx/nginx.conf) routing / and /api/ to the todo service and /counter to the
 * hit counter, retrying on another instance when one goes away; behind a LoadBalancer limited to the stack's
 * allowed source ranges. With a certificate in the stack settings it serves HTTPS (HSTS) and plain HTTP only
 * redirects there.
 */
public final class Proxy extends ComponentResource {
    public static final String COMPONENT = "proxy";
    public static final int PORT = 8080;
    static final int UID = 101;
    static final String CONFIG_DIR = "/etc/todo-platform/nginx";
    static final String RUN_DIR = "/tmp/nginx";
    public static final int TLS_PORT = 8443;
    static final String TLS_DIR = "/etc/todo-platform/tls";
    public static final String TLS_SECRET = "proxy-tls";

    public final Deployment deployment;
    public final Service service;
    public final ConfigMap config;
    /** The load balancer's address: an IP, or a host name where the cloud gives one (AWS). */
    public final Output<String> address;

    /**
     * What the front door is made of.
     *
     * @param allowedSourceRanges     who may reach the load balancer (empty: everyone)
     * @param tls                     the certificate for HTTPS, or null for plain HTTP
     * @param loadBalancerAnnotations the platform's (e.g. an NLB on EKS)
     */
    public record Args(int replicas, String image, StackConfig.Resources resources, StackConfig.ServiceType serviceType,
                       List<String> allowedSourceRanges, StackConfig.Tls tls, Map<String, String> loadBalancerAnnotations,
                       Placement placement) {
    }

    // Probes: what kubelet asks, how often (s), after how many failures it acts (always plain HTTP).
    static final Probe LIVENESS = Probe.http("/healthz", PORT, 10, 3);
    static final Probe READINESS = Probe.http("/healthz", PORT, 5, 2);

    public Proxy(String name, Scope scope, Args args, List<Resource> upstreams, ComponentResourceOptions options) {
        super("todo-platform:app:Proxy", name, options);
        Scope k = scope.within(this);
        String cluster = "." + k.namespace() + ".svc.cluster.local:" + ServiceApp.SERVICE_PORT;
        StackConfig.Tls tls = args.tls();
        this.config = Kube.configMap(k, "nginx-config", COMPONENT, new NginxConfig(CONFIG_DIR, RUN_DIR, "/dev/stdout",
                Integer.toString(PORT), Topology.nginxServiceServers(TodoService.COMPONENT + cluster),
                Topology.nginxServiceServers(CounterService.COMPONENT + cluster),
                tls == null ? null : new NginxConfig.Tls(Integer.toString(TLS_PORT), TLS_DIR)).files());
        Kube.serviceAccount(k, COMPONENT);
        List<ContainerPortArgs> ports = new ArrayList<>(List.of(Kube.port("http", PORT)));
        List<VolumeMountArgs> mounts = new ArrayList<>(List.of(Kube.mount("config", CONFIG_DIR, true),
                Kube.mount("run", RUN_DIR, false)));
        List<VolumeArgs> volumes = new ArrayList<>(List.of(
                Kube.configVolume("config", this.config, 0444),
                Kube.emptyDir("run", "128Mi")));
        List<Resource> after = new ArrayList<>(upstreams);
        List<ServicePortArgs> servicePorts = new ArrayList<>(List.of(
                ServicePortArgs.builder().name("http").port(80).targetPort(PORT).build()));
        if (tls != null) {
            Secret certificate = Secrets.secret(k, TLS_SECRET, COMPONENT, "kubernetes.io/tls",
                    Output.ofSecret(Map.of("tls.crt", tls.certificate(), "tls.key", tls.key())));
            ports.add(Kube.port("https", TLS_PORT));
            mounts.add(Kube.mount("tls", TLS_DIR, true));
            // Readable by nginx's group only (fsGroup): the key never is world-readable.
            volumes.add(VolumeArgs.builder().name("tls").secret(SecretVolumeSourceArgs.builder()
                    .secretName(TLS_SECRET).defaultMode(0440).build()).build());
            servicePorts.add(ServicePortArgs.builder().name("https").port(443).targetPort(TLS_PORT).build());
            after.add(certificate);
        }
        ContainerArgs container = ContainerArgs.builder()
                .name("nginx")
                .image(args.image())
                .command("nginx", "-e", "stderr", "-c", CONFIG_DIR + "/nginx.conf", "-g", "daemon off;")
                .ports(ports)
                .resources(Kube.resources(args.resources()))
                .securityContext(Kube.containerSecurity())
                .volumeMounts(mounts)
                .livenessProbe(LIVENESS.args())
                .readinessProbe(READINESS.args())
                .build();
        this.deployment = Kube.deployment(k, COMPONENT, args.replicas(),
                Kube.podTemplate(k, COMPONENT, UID, List.of(container), volumes, 30, args.placement()), after);
        boolean nodePort = args.serviceType() == StackConfig.ServiceType.NODE_PORT;
        ServiceSpecArgs.Builder spec = ServiceSpecArgs.builder()
                .type(nodePort ? "NodePort" : "LoadBalancer")
                // Keeps the client's address, so source ranges and nginx's logs see the real client.
                .externalTrafficPolicy("Local")
                .selector(k.selector(COMPONENT))
                .ports(servicePorts);
        if (!nodePort && !args.allowedSourceRanges().isEmpty()) {
            spec.loadBalancerSourceRanges(args.allowedSourceRanges());
        }
        this.service = new Service(COMPONENT, ServiceArgs.builder()
                .metadata(ObjectMetaArgs.builder().name(COMPONENT).namespace(k.namespace()).labels(k.labels(COMPONENT))
                        .annotations(args.loadBalancerAnnotations()).build())
                .spec(spec.build())
                .build(), k.options());
        if (args.replicas() > 1) {
            Kube.disruptionBudget(k, COMPONENT);
        }
        // A NodePort has no address of its own (its port is on every node): the outputs say how to reach it.
        this.address = nodePort ? Output.of("") : service.status().applyValue(status -> status
                .flatMap(s -> s.loadBalancer())
                .flatMap(lb -> lb.ingress().stream().findFirst())
                .flatMap(ingress -> ingress.ip().or(ingress::hostname))
                .orElse(""));
        registerOutputs(Map.of("address", address));
    }
}
