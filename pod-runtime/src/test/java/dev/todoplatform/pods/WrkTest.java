package dev.todoplatform.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.todoplatform.daemons.RunAs;
import dev.todoplatform.daemons.Wrk;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * wrk as the benchmarks run it (as the run-as user when this JVM is root). A script it could not open made it
 * send plain GETs with no error: the production path's "create" and "mixed" figures were GETs until 2026-12-08.
 */
class WrkTest {
    private final Map<String, LongAdder> methods = new ConcurrentHashMap<>();
    private final HttpServer server;

    WrkTest() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", exchange -> {
            methods.computeIfAbsent(exchange.getRequestMethod(), m -> new LongAdder()).increment();
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/todos";
    }

    @Test
    void aScriptItCanReadSetsTheMethod() throws Exception {
        Path dir = RunAs.tempDir("wrk-test");
        Path script = Files.writeString(dir.resolve("post.lua"), "wrk.method = \"POST\"\nwrk.body = '{}'\n");
        Wrk.Result r = Wrk.run(url(), 1, 2, script);
        assertTrue(r.requests() > 0);
        assertEquals(Set.of("POST"), methods.keySet(), "every request a POST");
        // wrk counts the requests answered within its duration; the server also saw those still in flight.
        assertTrue(methods.get("POST").sum() >= r.requests());
    }

    @Test
    void aScriptItCannotOpenFailsTheRunInsteadOfSendingGets() throws Exception {
        Path dir = Files.createTempDirectory("wrk-test");
        Path script = Files.writeString(dir.resolve("post.lua"), "wrk.method = \"POST\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("---------"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Wrk.run(url(), 1, 2, script));
        assertTrue(e.getMessage().contains("did not run " + script), e.getMessage());
    }
}
