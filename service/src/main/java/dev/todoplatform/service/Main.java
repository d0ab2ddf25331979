package dev.todoplatform.service;

import dev.todoplatform.service.counter.CounterApp;
import dev.todoplatform.service.counter.HitCounter;
import dev.todoplatform.service.db.Database;
import dev.todoplatform.service.db.Migrations;
import dev.todoplatform.service.db.ReadFence;
import dev.todoplatform.service.db.Retry;
import dev.todoplatform.service.http.Router;
import dev.todoplatform.service.http.WebServer;
import dev.todoplatform.service.todo.TodoApi;
import dev.todoplatform.service.todo.TodoPage;
import dev.todoplatform.service.todo.TodoRepository;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One jar, three modes: {@code todo}, {@code counter}, {@code migrate}. Configuration comes from the environment. */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);
    /**
     * How long a request may keep retrying through a database failover before it gets a 503: the slowest
     * failovers measured on a loaded 2-core node took up to 10.5 s (RELIABILITY.md), and 10 s let clients see
     * errors there; nginx waits 30 s for an answer.
     */
    private static final long RETRY_BUDGET_MS = 15_000;
    /** How long a read waits for its standby to catch up before it reads from the primary instead. */
    private static final long FENCE_TIMEOUT_MS = 500;
    /**
     * The least time between two shared lookups of the primary's position by one instance (ReadFence). Under load a
     * list waits up to this long for its lookup: 3 ms served more lists than 5 ms at less CPU than 2 ms
     * (BENCHMARKS.md, three runs of each).
     */
    private static final long LOOKUP_SPACING_US = 3_000;

    private Main() {
    }

    public static void main(String[] args) {
        Env env = new Env(System.getenv());
        try {
            Settings.logLevel(env);
            Mode mode = Mode.of(args);
            if (mode == Mode.MIGRATE) {
                migrate(env);
            } else {
                serve(env, mode);
            }
        } catch (ConfigError e) {
            LOG.error(e.getMessage());
            System.exit(2);
        }
    }

    private static void migrate(Env env) {
        MigrateResult result = Migrations.migrate(Settings.DatabaseAccess.from(env));
        LOG.info("schema migrated from {} to {} ({} migrations applied)",
                result.initialSchemaVersion, result.targetSchemaVersion, result.migrationsExecuted);
    }

    private static void serve(Env env, Mode mode) throws ConfigError {
        Settings.Http http = Settings.Http.from(env, mode.httpThreads);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("mode", mode.toString());
        for (var binder : List.of(new ClassLoaderMetrics(), new JvmMemoryMetrics(), new JvmGcMetrics(),
                new JvmThreadMetrics(), new ProcessorMetrics(), new UptimeMetrics())) {
            binder.bindTo(registry);
        }
        List<AutoCloseable> resources = new ArrayList<>();
        Router router = new Router();
        WebServer server;
        if (mode == Mode.TODO) {
            Settings.DatabaseAccess settings = Settings.DatabaseAccess.from(env);
            Database database = new Database(settings, registry);
            resources.add(database);
            Migrations.requireCurrent(database);
            TodoRepository todos = new TodoRepository(new Retry(database, RETRY_BUDGET_MS), new ReadFence(FENCE_TIMEOUT_MS, LOOKUP_SPACING_US));
            new TodoApi(todos).register(router);
            new TodoPage(todos).register(router);
            router.route("GET", "/api/health", ex -> ex.health(database.answers()));
            server = new WebServer(http, router, registry);
        } else {
            HitCounter counter = new HitCounter(Settings.RedisAccess.from(env), registry);
            resources.add(counter);
            new CounterApp(counter).register(router);
            server = new WebServer(http, router, registry);
        }
        try {
            server.start();
        } catch (Exception e) {
            throw new ConfigError("cannot listen on port " + http.port() + ": " + e.getMessage());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("SIGTERM: draining");
            server.stop();
            for (AutoCloseable resource : resources) {
                try {
                    resource.close();
                } catch (Exception e) {
                    LOG.warn("close failed", e);
                }
            }
            LOG.info("stopped");
        }, "shutdown"));
        LOG.info("{} listening on port {} after {} ms", mode, server.port(),
                System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime());
    }
}
