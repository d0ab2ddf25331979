package dev.todoplatform.infra.kube;

import com.pulumi.kubernetes.core.v1.inputs.ExecActionArgs;
import com.pulumi.kubernetes.core.v1.inputs.HTTPGetActionArgs;
import com.pulumi.kubernetes.core.v1.inputs.ProbeArgs;
import java.util.List;

/**
 * One probe as data: what is asked (an HTTP path on a port, or a command), how often, after how many failures
 * kubelet acts, and how long one try may take. Each component lists its probes in one place.
 */
public record Probe(String path, int port, List<String> command, int periodSeconds, int failureThreshold,
                    int timeoutSeconds) {

    /** An HTTP GET; a try may take 2 s. */
    public static Probe http(String path, int port, int periodSeconds, int failureThreshold) {
        return new Probe(path, port, null, periodSeconds, failureThreshold, 2);
    }

    /**
     * A command in the container; a try may take 10 s. Starting a process in a container (runc) is what a busy
     * node delays most: with 5 s, exec probes timed out in a row on a starved 2-core node and kubelet killed
     * healthy PgPool containers again and again while a stack started (seen).
     */
    public static Probe exec(int periodSeconds, int failureThreshold, String... command) {
        return new Probe(null, 0, List.of(command), periodSeconds, failureThreshold, 10);
    }

    public ProbeArgs args() {
        ProbeArgs.Builder probe = ProbeArgs.builder();
        if (command != null) {
            probe.exec(ExecActionArgs.builder().command(command).build());
        } else {
            probe.httpGet(HTTPGetActionArgs.builder().path(path).port(port).build());
        }
        return probe.periodSeconds(periodSeconds).timeoutSeconds(timeoutSeconds).failureThreshold(failureThreshold)
                .build();
    }
}
