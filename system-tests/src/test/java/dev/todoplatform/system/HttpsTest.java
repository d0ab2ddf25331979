package dev.todoplatform.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.todoplatform.infra.StackConfig;
import dev.todoplatform.infra.StackFiles;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front door over HTTPS, as a user turns it on: a certificate and key in the stack settings (here the dev
 * stack file plus a certificate this test makes). The proxy serves HTTPS with HSTS through the LoadBalancer's
 * port 443, plain HTTP redirects there (health checks excepted), and the key is readable by nginx only.
 */
@Order(0)
class HttpsTest {
    private static final String STACK = "dev-tls";

    @Test
    void theProxyServesHttpsAndRedirectsPlainHttp(@TempDir Path dir) throws Exception {
        Certificate certificate = selfSigned(dir);
        Map<String, String> raw = new HashMap<>(StackFiles.raw("dev"));
        raw.put(StackConfig.PREFIX + "tlsCertificate", Files.readString(dir.resolve("cert.pem")));
        raw.put(StackConfig.PREFIX + "tlsKey", Files.readString(dir.resolve("key.pem")));
        StackConfig config = StackConfig.parse("dev", raw, Set.of(StackConfig.PREFIX + "tlsKey"));
        PodStack stack = PodStack.of(STACK, config);
        try {
            int https = stack.cluster.loadBalancerPort(443);
            int http = stack.cluster.loadBalancerPort(80);
            HttpClient client = HttpClient.newBuilder().sslContext(trusting(certificate))
                    .connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();

            HttpResponse<String> created = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + https
                    + "/api/todos")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"over TLS\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, created.statusCode(), created.body());
            assertEquals(certificate, created.sslSession().orElseThrow().getPeerCertificates()[0],
                    "the proxy presents the stack's certificate");
            assertEquals("max-age=31536000", created.headers().firstValue("Strict-Transport-Security").orElse(""));

            HttpResponse<String> page = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + https
                    + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("over TLS"), page.body());
            HttpResponse<String> counter = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + https
                    + "/counter")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(counter.body().matches("Holla! we have hit \\d+ times"), counter.body());

            HttpClient plain = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
            HttpResponse<String> redirected = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                    + "/api/todos?limit=1")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(308, redirected.statusCode(), "plain HTTP only redirects, keeping a POST's method");
            assertEquals("https://127.0.0.1/api/todos?limit=1", redirected.headers().firstValue("Location").orElse(""));
            HttpResponse<String> health = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                    + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), "probes and load-balancer checks stay on HTTP");

            String pod = stack.cluster.podsOf("Deployment", "proxy").get(0);
            var mode = stack.cluster.exec(pod, "nginx", Duration.ofSeconds(10), "stat", "-L", "-c", "%a",
                    "/etc/todo-platform/tls/tls.key");
            assertEquals("440", mode.out().strip(), "the key is readable by nginx's group only: " + mode.err());
        } finally {
            PodStack.stop(STACK);
        }
    }

    /** A self-signed certificate for 127.0.0.1 (what the test reaches the LoadBalancer at), made with openssl. */
    private static Certificate selfSigned(Path dir) throws Exception {
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=todo-platform test",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString())
                .redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(openssl.waitFor(30, TimeUnit.SECONDS) && openssl.exitValue() == 0, output);
        return CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(dir.resolve("cert.pem"))));
    }

    private static SSLContext trusting(Certificate certificate) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("stack", certificate);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
