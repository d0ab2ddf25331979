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
import dev.todoplatform.infra.kube.Scope;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The todo list: the schema migration Job (mode `migrate`, awaited: the Deployment rolls only after it
 * succeeded), the Deployment (mode `todo`) and its ClusterIP Service. It talks to PgPool only.
 */
public final class TodoService extends ComponentResource {
    public static final String COMPONENT = "todo";
    public static final String MIGRATE = "todo-migrate";
    /**
     * Connections each todo pod keeps open to PgPool. Few: each is a PgPool child holding a backend on every node,
     * and a failover re-opens all of them (measured on 2 cores: 48 children per PgPool took 4 s to restart and
     * reconnect, most of a failover's outage), while 4 concurrent queries per pod already keep the nodes busy.
     * ConnectionBudgetTest holds PgPool's children to it.
     */
    public static final int DATABASE_POOL = 4;

    public final Job migrate;
    public final Deployment deployment;
    public final Service service;

    TodoService(String name, Scope scope, ServiceApp.Args args, PgPool pgpool, ComponentResourceOptions options) {
        super("todo-platform:app:TodoService", name, options);
        Scope k = scope.within(this);
        List<EnvVarArgs> database = List.of(
                Kube.env("DATABASE_URL", "jdbc:postgresql://" + PgPool.COMPONENT + ":" + PgPool.PORT + "/" + PostgresHa.APP_DATABASE),
                Kube.env("DATABASE_USER", PostgresHa.APP_USER),
                Kube.secretEnv("DATABASE_PASSWORD", Secrets.DATABASE, Secrets.APP_PASSWORD));
        Kube.serviceAccount(k, COMPONENT);
        Kube.serviceAccount(k, MIGRATE);
        // One Job per image: a new release migrates once, before its pods start.
        String job = MIGRATE + "-" + ConfigFile.hash(args.image());
        // replaceUnready: a Job that failed (the database was down for its whole deadline) is replaced by the next
        // `pulumi up` instead of failing it again and again until someone deletes the Job by hand.
        this.migrate = new Job(MIGRATE, JobArgs.builder()
                .metadata(ObjectMetaArgs.builder(k.meta(job, MIGRATE)).annotations(Map.of("pulumi.com/replaceUnready", "true")).build())
                .spec(JobSpecArgs.builder()
                        .backoffLimit(6)
                        .activeDeadlineSeconds(600)
                        .template(PodTemplateSpecArgs.builder()
                                .metadata(ObjectMetaArgs.builder().labels(k.labels(MIGRATE)).build())
                                .spec(Kube.podSpec(k, MIGRATE, ServiceApp.UID,
                                                List.of(ServiceApp.container(args, "migrate", database).build()),
                                                List.of(Kube.emptyDir("tmp", "64Mi")), 30, args.placement())
                                        .restartPolicy("OnFailure").build())
                                .build())
                        .build())
                .build(), k.options(List.<Resource>of(pgpool)));
        this.deployment = Kube.deployment(k, COMPONENT, args.replicas(),
                ServiceApp.servingPod(k, args, COMPONENT, "todo", Stream.concat(database.stream(),
                        Stream.of(Kube.env("DATABASE_POOL_SIZE", Integer.toString(DATABASE_POOL)))).toList()), List.of(migrate));
        this.service = Kube.clusterService(k, COMPONENT, COMPONENT, ServiceApp.SERVICE_PORT, ServiceApp.PORT);
        Kube.disruptionBudget(k, COMPONENT);
        registerOutputs(Map.of());
    }
}
