package dev.todoplatform.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.infra.Render;
import dev.todoplatform.infra.StackFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a stack's down leaves for its next run: nothing of it. A stack never starts on a volume it did not provision. The engine makes any volume a container asks to mount,
 * so a container started while its stack went away re-created a removed claim without labels; the next run of
 * the stack found it and started PostgreSQL on the old cluster's data (seen in CI: every prod stack hung, its
 * standbys refused by passwords the old data did not have).
 */
class DownTest {
    private static final String STACK = "downtest";
    private static final String OTHER = STACK + "-eu"; // a stack whose names begin with this one's

    @AfterEach
    void clean() {
        Cluster.down(STACK, true);
        Cluster.down(OTHER, true);
    }

    @Test
    void downWithWipeRemovesTheStacksVolumesMadeByTheEngineButNoOtherStacks() {
        String stray = "tp-" + STACK + "-data-postgres-0";
        String claim = "tp-" + STACK + "-data-postgres-1";
        String others = "tp-" + OTHER + "-data-postgres-0";
        Docker.run("volume", "create", stray);
        Docker.run("volume", "create", "--label", Cluster.STACK_LABEL + "=" + STACK, "--label", Cluster.CLAIM_LABEL + "=true", claim);
        Docker.run("volume", "create", "--label", Cluster.STACK_LABEL + "=" + OTHER, "--label", Cluster.CLAIM_LABEL + "=true", others);

        Cluster.down(STACK, false);
        assertTrue(exists(claim), "a claim outlives a down without wipe");

        Cluster.down(STACK, true);
        assertFalse(exists(stray));
        assertFalse(exists(claim));
        assertTrue(exists(others), "another stack's volume stays");
    }

    @Test
    void aClaimVolumeTheRuntimeDidNotProvisionIsProvisionedAfresh() {
        String volume = "tp-" + STACK + "-data-postgres-0";
        Docker.run("volume", "create", volume);
        Cluster cluster = Cluster.load(STACK, Render.run(StackFiles.config("dev")).objects(),
                new Cluster.Options(Path.of("target", "state"), Path.of(".."), 0, false));

        cluster.ensureClaimVolume(volume);

        assertEquals(STACK, Docker.run("volume", "inspect", "-f", "{{index .Labels \"" + Cluster.STACK_LABEL + "\"}}", volume));
        assertTrue(cluster.lastEvents(5).stream().anyMatch(e -> e.endsWith(volume + " was made by the engine, not provisioned: removed")),
                cluster.lastEvents(5).toString());
    }

    /**
     * Data kept without its passwords (the state directory lost, the engine's volumes kept: seen on a machine
     * whose /var/tmp was new) is refused with the command that removes it, instead of a stack whose nodes wait for
     * peers they cannot log in to.
     */
    @Test
    void aStackWhoseDataOutlivedItsPasswordsIsRefusedWithTheWayOut(@TempDir Path stateRoot) throws Exception {
        Cli.requirePasswordsOfData(STACK, stateRoot); // no data: nothing to refuse
        String claim = "tp-" + STACK + "-data-postgres-0";
        Docker.run("volume", "create", "--label", Cluster.STACK_LABEL + "=" + STACK, "--label", Cluster.CLAIM_LABEL + "=true", claim);

        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> Cli.requirePasswordsOfData(STACK, stateRoot));
        assertTrue(refused.getMessage().contains(claim) && refused.getMessage().endsWith("./scripts/local down " + STACK + " --wipe"),
                refused.getMessage());

        Files.createDirectories(Cli.passwordsFile(stateRoot, STACK).getParent());
        Files.writeString(Cli.passwordsFile(stateRoot, STACK), "");
        Cli.requirePasswordsOfData(STACK, stateRoot); // the data's passwords are kept: it starts
    }

    @Test
    void downRemovesTheNetworkEvenWithAnEndpointLeftOnIt() {
        String network = "tp-" + STACK;
        Docker.run("network", "create", "--label", Cluster.STACK_LABEL + "=" + STACK, network);
        // Not of the stack (no label): down does not remove it, and the network keeps an endpoint, as when the
        // engine kept one of a container it had removed.
        String container = Docker.run("run", "-d", "--network", network, "ghcr.io/todo-platform/debian:12",
                "sleep", "60");
        try {
            Cluster.down(STACK, true);
            assertFalse(Docker.call(Docker.DEFAULT_TIMEOUT, "network", "inspect", network).ok());
        } finally {
            Docker.call(Docker.DEFAULT_TIMEOUT, "rm", "-f", container);
        }
    }

    private static boolean exists(String volume) {
        return Docker.call(Docker.DEFAULT_TIMEOUT, "volume", "inspect", volume).ok();
    }
}
