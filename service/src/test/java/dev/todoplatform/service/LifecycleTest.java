package dev.todoplatform.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.todoplatform.daemons.Poll;
import dev.todoplatform.daemons.Ports;
import dev.todoplatform.daemons.PostgresServer;
import dev.todoplatform.daemons.RunAs;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Startup checks, probes, metrics, logs and the SIGTERM sequence. */
@ExtendWith(Backends.class)
class LifecycleTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "todo|DATABASE_URL|",
        "todo|DATABASE_URL|mysql://x/y",
        "todo|DATABASE_USER|",
        "todo|PORT|http",
        "todo|DATABASE_POOL_SIZE|0",
        "counter|REDIS_HOST|",
        "counter|REDIS_PORT|70000",
        "counter|HTTP_THREADS|-1",
        "counter|LOG_LEVEL|verbose"})
    void aMissingOrInvalidVariableStopsStartupWithOneLineNamingIt(String mode, String variable, String value)
            throws Exception {
        Map<String, String> env = new HashMap<>(mode.equals("todo")
                ? ServiceProcess.todoEnv(Backends.newDatabase()) : ServiceProcess.counterEnv());
        env.put(variable, value == null ? "" : value);
        ServiceProcess service = ServiceProcess.launch(mode, env);
        assertTrue(service.process().waitForExit(Duration.ofSeconds(30)));
        assertEquals(2, service.process().exitCode());
        List<String> lines = service.log().lines().toList();
        assertEquals(1, lines.size(), service.log());
        JsonNode line = Http.JSON.readTree(lines.get(0));
        assertEquals("ERROR", line.get("level").asText());
        assertTrue(line.get("message").asText().startsWith(variable + (value == null ? " is not set" : "=")),
                line.toString());
    }

    @Test
    void anUnknownModeIsAUsageError() throws Exception {
        ServiceProcess service = ServiceProcess.launch("serve", Map.of());
        assertTrue(service.process().waitForExit(Duration.ofSeconds(30)));
        assertEquals(2, service.process().exitCode());
        assertTrue(service.log().contains("usage: service todo|counter|migrate"), service.log());
    }

    @Test
    void todoRefusesASchemaThatIsBehindAndMigrateFixesIt() throws Exception {
        String db = Backends.newDatabase();
        ServiceProcess early = ServiceProcess.launch("todo", ServiceProcess.todoEnv(db));
        assertTrue(early.process().waitForExit(Duration.ofSeconds(60)));
        assertEquals(2, early.process().exitCode());
        assertTrue(early.log().contains("database schema is at version none but this build needs 1: "
                + "run the service in mode `migrate` first"), early.log());

        assertTrue(Migrate.run(db).contains("schema migrated from null to 1 (1 migrations applied)"));
        assertTrue(Migrate.run(db).contains("(0 migrations applied)"), "migrate is idempotent");
        try (ServiceProcess todo = ServiceProcess.ready("todo", ServiceProcess.todoEnv(db))) {
            assertEquals(200, todo.status("/"));
        }
    }

    /** Java's default backlog (50) drops SYNs when a proxy opens its keep-alive pool at once: a 1 s stall each. */
    @Test
    void theListenBacklogHoldsAProxysWholeConnectionPool() throws Exception {
        try (ServiceProcess counter = ServiceProcess.ready("counter", ServiceProcess.counterEnv())) {
            Process ss = new ProcessBuilder("ss", "-Hltn", "sport = :" + counter.port()).redirectErrorStream(true).start();
            String line = new String(ss.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            assertEquals(0, ss.waitFor());
            // State, Recv-Q, Send-Q (the backlog of a listening socket), local address, peer address.
            assertEquals("1024", line.split("\\s+")[2], line);
        }
    }

    @Test
    void probesMetricsAndJsonLogs() throws Exception {
        String db = Backends.newDatabase();
        Migrate.run(db);
        try (ServiceProcess todo = ServiceProcess.ready("todo", ServiceProcess.todoEnv(db))) {
            Http http = new Http(todo.uri("/"));
            assertEquals("{\"status\":\"UP\"}", http.get("/healthz").body());
            assertEquals("{\"status\":\"UP\"}", http.get("/readyz").body());
            http.json("POST", "/api/todos", "{\"name\":\"metered\"}");
            http.get("/api/todos/abc");
            String metrics = http.get("/metrics").body();
            for (String expected : List.of(
                    "http_server_requests_seconds_count{method=\"POST\",mode=\"todo\",route=\"/api/todos\",status=\"201\"} 1",
                    "http_server_requests_seconds_count{method=\"GET\",mode=\"todo\",route=\"/api/todos/{id}\",status=\"400\"} 1",
                    "http_server_requests_seconds_bucket{method=\"POST\",mode=\"todo\",route=\"/api/todos\",status=\"201\",le=\"0.1\"}",
                    "hikaricp_connections_active{",
                    "hikaricp_connections_max{mode=\"todo\",pool=\"db\"} 4",
                    "jvm_memory_used_bytes{",
                    "jvm_gc_pause_seconds",
                    "process_uptime_seconds")) {
                assertTrue(metrics.contains(expected), "metrics lack " + expected);
            }
        }
        try (ServiceProcess counter = ServiceProcess.ready("counter", ServiceProcess.counterEnv())) {
            new Http(counter.uri("/")).get("/counter");
            String metrics = new Http(counter.uri("/")).get("/metrics").body();
            assertTrue(metrics.contains("redis_commands_in_flight{mode=\"counter\"}"), metrics);
            assertTrue(metrics.contains("route=\"/counter\",status=\"200\""), metrics);
            counter.close();
            for (String line : counter.log().lines().toList()) {
                JsonNode json = Http.JSON.readTree(line);
                assertTrue(json.has("time") && json.has("level") && json.has("message"), line);
            }
            assertTrue(counter.log().contains("SIGTERM: draining"));
        }
    }

    @Test
    void sigtermTurnsReadinessOffThenFinishesInFlightRequestsThenExits() throws Exception {
        String db = Backends.newDatabase();
        Migrate.run(db);
        Map<String, String> env = new HashMap<>(ServiceProcess.todoEnv(db));
        env.put("SHUTDOWN_DELAY_MS", "1500");
        ServiceProcess todo = ServiceProcess.ready("todo", env);
        byte[] body = "{\"name\":\"in flight during shutdown\"}".getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", todo.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/todos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 10);
            out.flush();

            long sigterm = System.nanoTime();
            todo.process().signal("TERM");
            Poll.until(Duration.ofSeconds(5), "readiness DOWN after SIGTERM", () -> todo.status("/readyz") == 503);
            assertEquals(200, todo.status("/healthz"), "still alive while draining");

            out.write(body, 10, body.length - 10);
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 201"), response);
            assertTrue(response.contains("in flight during shutdown"), response);

            assertTrue(todo.process().waitForExit(Duration.ofSeconds(15)), "exits within the bound");
            assertTrue(Duration.ofNanos(System.nanoTime() - sigterm).toSeconds() < 15);
            assertEquals(-1, todo.status("/healthz"), "listener closed");
        }
    }

    @Test
    void readinessStaysUpWhileTheDatabaseIsDownAndRequestsRecover() throws Exception {
        try (PostgresServer pg = PostgresServer.start(RunAs.tempDir("pg-ready"), Ports.free())) {
            pg.createDatabase("todo", Backends.DB_USER, Backends.DB_PASSWORD);
            String db = pg.jdbcUrl("todo");
            Migrate.run(db);
            try (ServiceProcess todo = ServiceProcess.ready("todo", ServiceProcess.todoEnv(db))) {
                Http http = new Http(todo.uri("/"));
                assertEquals(201, http.json("POST", "/api/todos", "{\"name\":\"before\"}").status());
                pg.stop();
                Poll.until(Duration.ofSeconds(10), "database health DOWN", () -> todo.status("/api/health") == 503);
                assertEquals(200, todo.status("/readyz"), "ready while the database is down: it answers the 503 itself");
                assertEquals(200, todo.status("/healthz"), "liveness does not depend on the database");
                Http.Reply down = http.get("/api/todos");
                assertEquals(503, down.status(), down.body());
                assertEquals("database unavailable, retry later", down.json().get("error").asText());

                pg.start();
                Poll.until(Duration.ofSeconds(10), "database health UP", () -> todo.status("/api/health") == 200);
                assertEquals("before", http.get("/api/todos").json().get(0).get("name").asText());
            }
        }
    }
}
