package dev.todoplatform.infra.app;

import com.pulumi.kubernetes.apps.v1.Deployment;
import com.pulumi.kubernetes.batch.v1.Job;
import com.pulumi.kubernetes.batch.v1.JobArgs;
import com.pulumi.kubernetes.batch.v1.inputs.JobSpecArgs;
import com.pulumi.kubernetes.core.v1.Service;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodTemplateSpecArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.Resource;
import dev.todoplatform.config.ConfigFile;
import dev.todoplatform.infra.kube.Kube;
import java.util.List;
import java.util.Map;

/**
 * The todo list: the schema migration Job (mode `migrate`, awaited: the Deployment rolls only after it
 * succeeded), the Deployment (mode `todo`) and its ClusterIP Service. It talks to PgPool only.
 */
public final class TodoService extends ComponentResource {
    public static final String COMPONENT = "todo";
    public static final String MIGRATE = "todo-migrate";

    public final Job migrate;
    public final Deployment deployment;
    public final Service service;

    public TodoService(String name, Kube kube, PgPool pgpool, ComponentResourceOptions options) {
        super("todo-platform:app:TodoService", name, options);
        Kube k = kube.within(this);
        List<EnvVarArgs> database = List.of(
                Kube.env("DATABASE_URL", "jdbc:postgresql://" + PgPool.COMPONENT + ":" + PgPool.PORT + "/" + PostgresHa.APP_DATABASE),
                Kube.env("DATABASE_USER", PostgresHa.APP_USER),
                Kube.secretEnv("DATABASE_PASSWORD", Secrets.DATABASE, Secrets.APP_PASSWORD));
        k.serviceAccount(COMPONENT);
        k.serviceAccount(MIGRATE);
        // One Job per image: a new release migrates once, before its pods start.
        String job = MIGRATE + "-" + ConfigFile.hash(k.config().images().service());
        // replaceUnready: a Job that failed (the database was down for its whole deadline) is replaced by the next
        // `pulumi up` instead of failing it again and again until someone deletes the Job by hand.
        this.migrate = new Job(MIGRATE, JobArgs.builder()
                .metadata(ObjectMetaArgs.builder(k.meta(job, MIGRATE)).annotations(Map.of("pulumi.com/replaceUnready", "true")).build())
                .spec(JobSpecArgs.builder()
                        .backoffLimit(6)
                        .activeDeadlineSeconds(600)
                        .template(PodTemplateSpecArgs.builder()
                                .metadata(ObjectMetaArgs.builder().labels(k.labels(MIGRATE)).build())
                                .spec(k.podSpec(MIGRATE, ServiceApp.UID,
                                                List.of(ServiceApp.container(k, COMPONENT, "migrate", database).build()),
                                                List.of(Kube.emptyDir("tmp", "64Mi")), 30)
                                        .restartPolicy("OnFailure").build())
                                .build())
                        .build())
                .build(), k.options(List.<Resource>of(pgpool)));
        this.deployment = k.deployment(COMPONENT, k.config().replicas().todo(),
                ServiceApp.servingPod(k, COMPONENT, "todo", database), List.of(migrate));
        this.service = k.clusterService(COMPONENT, COMPONENT, ServiceApp.SERVICE_PORT, ServiceApp.PORT);
        k.disruptionBudget(COMPONENT);
        registerOutputs(Map.of());
    }
}
