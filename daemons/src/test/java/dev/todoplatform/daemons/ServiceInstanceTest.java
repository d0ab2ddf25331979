package dev.todoplatform.daemons;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The local stack and the benchmark run the service as its container image does. */
class ServiceInstanceTest {
    private static final Pattern JVM_FLAG = Pattern.compile("<jvmFlag>(.*?)</jvmFlag>");

    @Test
    void jvmFlagsAreTheImagesAfterThePodsMemoryLimit() throws IOException {
        String pom = Files.readString(Path.of("../service/pom.xml"));
        List<String> image = JVM_FLAG.matcher(pom).results().map(m -> m.group(1)).toList();
        assertEquals("-XX:MaxRAM=320m", ServiceInstance.JVM_FLAGS.get(0));
        assertEquals(image, ServiceInstance.JVM_FLAGS.subList(1, ServiceInstance.JVM_FLAGS.size()));
    }
}
