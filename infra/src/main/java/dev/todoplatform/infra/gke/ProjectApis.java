package dev.todoplatform.infra.gke;

import com.pulumi.gcp.Provider;
import com.pulumi.gcp.projects.Service;
import com.pulumi.gcp.projects.ServiceArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Google APIs everything else in the project calls, enabled first: on a fresh project the network, the node
 * service account and its IAM grants fail while their API is still off, so every GKE resource waits for these.
 */
public final class ProjectApis extends ComponentResource {
    /** compute: VPC, NAT, firewall; container: GKE; iam: the node service account; cloudresourcemanager: its grants. */
    public static final List<String> APIS = List.of("compute.googleapis.com", "container.googleapis.com",
            "iam.googleapis.com", "cloudresourcemanager.googleapis.com");

    public final List<Resource> enabled = new ArrayList<>();

    public ProjectApis(String name, Provider gcp) {
        super("todo-platform:gke:ProjectApis", name, ComponentResourceOptions.builder().build());
        CustomResourceOptions opts = CustomResourceOptions.builder().parent(this).provider(gcp).build();
        for (String api : APIS) {
            // Left enabled on destroy: other things in the project may use them.
            enabled.add(new Service(api.substring(0, api.indexOf('.')) + "-api", ServiceArgs.builder()
                    .service(api).disableOnDestroy(false).build(), opts));
        }
        registerOutputs(Map.of());
    }
}
