package dev.todoplatform.service.http;

import dev.todoplatform.service.Settings;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server every mode shares: the app's routes plus /healthz, /readyz and /metrics, request metrics,
 * JSON errors, and a graceful stop (readiness off, optional delay, drain in-flight requests, exit).
 */
public final class WebServer {
    private static final Logger LOG = LoggerFactory.getLogger(WebServer.class);
    /** The listen backlog; the kernel caps it at net.core.somaxconn (4096 on current kernels). */
    private static final int ACCEPT_QUEUE = 1024;

    private final Settings.Http settings;
    private final Server server;
    private final ServerConnector connector;
    private final AppHandler handler;
    private volatile boolean stopping;

    public WebServer(Settings.Http settings, Router router, PrometheusMeterRegistry registry) {
        this.settings = settings;
        // Ready while it serves, whatever its dependencies do: with PostgreSQL or Redis down every instance would
        // leave its Service at once, and clients would get the proxy's 502 page instead of this service's 503
        // JSON (RELIABILITY.md, "Dependency down"). Dependencies have their own health routes.
        router.routeAsync("GET", "/healthz", ex -> ex.health(true))
                .routeAsync("GET", "/readyz", ex -> ex.health(!stopping))
                .route("GET", "/metrics", ex -> ex.send(200, "text/plain; version=0.0.4; charset=utf-8",
                        registry.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8)));

        RequestThreads threads = new RequestThreads(settings.threads(), Math.min(8, settings.threads()));
        threads.setName("http");
        // No reserved threads: the selector thread stays the one producer (it runs the handler, which never blocks
        // and hands a route that may to a request thread). With Jetty's default the producer role hops between
        // threads, which on a busy node doubled the counter's p99.
        threads.setReservedThreads(0);
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setRequestHeaderSize(8 * 1024);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setPort(settings.port());
        // Java's default listen backlog is 50: a proxy that opens its pool of keep-alive connections at once to a
        // freshly started instance overflows it, and each dropped SYN costs the client a 1 s retransmit.
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        connector.setIdleTimeout(TimeUnit.SECONDS.toMillis(30));
        server.addConnector(connector);
        handler = new AppHandler(router, new RequestMetrics(registry), () -> stopping, threads);
        server.setHandler(handler);
        server.setDynamic(false); // a dynamic server counts as blocking whatever its handler says
        server.setErrorHandler(new JsonErrorHandler());
        server.setStopTimeout(1_000);
        server.setStopAtShutdown(false);
    }

    public WebServer start() throws Exception {
        server.start();
        return this;
    }

    public int port() {
        return connector.getLocalPort();
    }

    /**
     * SIGTERM path: readiness reports DOWN first so traffic moves away; then the listener closes, requests that
     * still arrive on open connections are served with {@code Connection: close}, in-flight ones finish, and
     * only then do the remaining idle connections close (a proxy retries a request that races that close).
     */
    public void stop() {
        stopping = true;
        try {
            if (settings.shutdownDelayMs() > 0) {
                // Give load balancers time to see /readyz fail before the listener closes.
                Thread.sleep(settings.shutdownDelayMs());
            }
            connector.close();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.shutdownTimeoutMs());
            while (handler.inFlight.get() > 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(10);
            }
            server.stop();
        } catch (Exception e) {
            LOG.warn("HTTP server did not stop cleanly", e);
        }
    }

    /**
     * The request threads. When a response completes on a thread other than the one that handled its request,
     * Jetty resumes the connection (reads its next request) through the pool: a thread woken and parked again per
     * request. The thread that answered does that in place instead, a request thread or one that answers async
     * routes (the Redis reply reader), for non-blocking jobs only: the connection's read is one (the server never
     * blocks), a blocking route is not.
     */
    static final class RequestThreads extends QueuedThreadPool {
        private static final ThreadLocal<Boolean> IN_PLACE = ThreadLocal.withInitial(() -> false);

        RequestThreads(int max, int min) {
            super(max, min);
        }

        /** Runs {@code answer}, and what non-blocking work it hands to the pool, on this thread. */
        static void inPlace(Runnable answer) {
            boolean outer = IN_PLACE.get();
            IN_PLACE.set(true);
            try {
                answer.run();
            } finally {
                IN_PLACE.set(outer);
            }
        }

        @Override
        public void execute(Runnable job) {
            if (IN_PLACE.get() && Invocable.getInvocationType(job) == InvocationType.NON_BLOCKING) {
                job.run();
            } else {
                super.execute(job);
            }
        }
    }

    /** Logs a request that failed with something other than an HttpError (the client gets a 500 JSON). */
    static void failed(Request request, Throwable t) {
        LOG.error("request failed: {} {}", request.getMethod(), request.getHttpURI().getPath(), t);
    }

    /**
     * Runs each request on the thread that read it when its route never blocks (the counter's hit, the health
     * routes), and hands it to a request thread when it may. Jetty hands every request to a thread unless the
     * handler says it never blocks, so it says so and makes that choice itself, per route.
     */
    private static final class AppHandler extends Handler.Abstract {
        private final Router router;
        private final RequestMetrics metrics;
        private final BooleanSupplier draining;
        private final Executor threads;
        final AtomicInteger inFlight = new AtomicInteger();

        AppHandler(Router router, RequestMetrics metrics, BooleanSupplier draining, Executor threads) {
            super(InvocationType.NON_BLOCKING);
            this.router = router;
            this.metrics = metrics;
            this.draining = draining;
            this.threads = threads;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            inFlight.incrementAndGet();
            long start = System.nanoTime();
            if (draining.getAsBoolean()) {
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            // Jetty drops ";params" from the path it hands on; refuse them instead of serving another URL.
            Router.Match match = request.getHttpURI().getParam() != null
                    ? new Router.Match("path_parameters", ex -> {
                        throw HttpError.badRequest("path", "path parameters (;...) are not supported");
                    }, Map.of(), true)
                    : router.match(request.getMethod(), Request.getPathInContext(request));
            // Metrics and the in-flight count when the response is done (for an async route, later), before Jetty
            // is told: completing may go on to read and handle the connection's next request on this thread.
            Exchange[] exchange = new Exchange[1];
            Runnable finish = () -> {
                metrics.record(request.getMethod(), match.pattern(), exchange[0].status(), System.nanoTime() - start);
                inFlight.decrementAndGet();
            };
            Callback done = new Callback() {
                @Override
                public void succeeded() {
                    try {
                        finish.run();
                    } finally {
                        callback.succeeded();
                    }
                }

                @Override
                public void failed(Throwable x) {
                    try {
                        finish.run();
                    } finally {
                        callback.failed(x);
                    }
                }

                @Override
                public InvocationType getInvocationType() {
                    return callback.getInvocationType();
                }
            };
            exchange[0] = new Exchange(request, response, done, threads);
            exchange[0].pathParams(match.params());
            if (match.async()) {
                exchange[0].serve(match.route(), false);
            } else {
                exchange[0].blocking(match.route());
            }
            return true;
        }
    }
}
