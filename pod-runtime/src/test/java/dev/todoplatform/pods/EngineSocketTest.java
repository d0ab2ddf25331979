package dev.todoplatform.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Execs through the engine's socket give what `docker exec` gives: output, errors, exit code, a deadline. */
class EngineSocketTest {
    private static final String STACK = "sockettest";
    private static final String CONTAINER = "tp-" + STACK + "-box";

    @BeforeAll
    static void start() {
        Cluster.down(STACK, true);
        Docker.run("run", "-d", "--name", CONTAINER, "--label", Cluster.STACK_LABEL + "=" + STACK, "--user", "65534",
                "--read-only", "ghcr.io/todo-platform/debian:12", "sleep", "infinity");
    }

    @AfterAll
    static void clean() {
        Cluster.down(STACK, true);
    }

    @Test
    void anExecReturnsItsOutputItsErrorsAndItsExitCodeApart() {
        Docker.Result r = exec(Duration.ofSeconds(10), "sh", "-c", "echo out; echo err >&2; id -u; exit 3");
        assertEquals(3, r.exit());
        assertEquals("out\n65534\n", r.out(), "stdout, as the container's user");
        assertEquals("err\n", r.err());
    }

    @Test
    void argumentsArriveUnchangedAndLargeOutputWhole() {
        String odd = "a \"quoted\" \\back\\slash\ttab\nnewline é ✓";
        Docker.Result r = exec(Duration.ofSeconds(10), "printf", "%s", odd);
        assertEquals(0, r.exit(), r.err());
        assertEquals(odd, r.out());

        Docker.Result big = exec(Duration.ofSeconds(10), "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x");
        assertEquals(300_000, big.out().length());
        assertTrue(big.out().chars().allMatch(c -> c == 'x'));
    }

    @Test
    void anExecPastItsDeadlineEndsAtTheDeadline() {
        long start = System.nanoTime();
        Docker.Result r = exec(Duration.ofMillis(500), "sleep", "30");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(-1, r.exit());
        assertTrue(r.err().contains("timed out after 500 ms"), r.err());
        assertTrue(tookMs < 5_000, "returned after " + tookMs + " ms");
    }

    @Test
    void anExecInAContainerThatIsNotThereFailsWithTheEnginesReason() {
        Docker.Result r = EngineSocket.exec(Duration.ofSeconds(10), "tp-" + STACK + "-absent", List.of("true"));
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("No such container"), r.err());
    }

    @Test
    void aChunkedResponseIsJoined() throws IOException {
        byte[] raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"Id\"\r\n6\r\n:\"ab\"}\r\n0\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        assertEquals("ab", EngineSocket.parse(raw).json().get("Id"));
    }

    private static Docker.Result exec(Duration timeout, String... command) {
        return EngineSocket.exec(timeout, CONTAINER, List.of(command));
    }
}
