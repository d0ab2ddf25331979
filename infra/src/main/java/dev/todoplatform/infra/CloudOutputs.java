package dev.todoplatform.infra;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the clouds would compute for a resource (its outputs beyond the inputs), for the mocks ({@link Render}). */
final class CloudOutputs {
    static final String GKE_ENDPOINT = "34.77.0.10";
    static final String EKS_ENDPOINT = "https://ABC123.gr7.eu-west-1.eks.amazonaws.com";
    static final String CA_DATA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCm1vY2sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";
    static final String OIDC_ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123";
    static final String ACCOUNT = "123456789012";
    /** The version EKS picks when the stack names none. */
    static final String EKS_VERSION = "1.33";

    private CloudOutputs() {
    }

    static String autoName(String logicalName) {
        return logicalName + "-1a2b3c4";
    }

    static Map<String, Object> of(String type, String name, Map<String, Object> inputs) {
        Map<String, Object> out = new LinkedHashMap<>();
        if ((type.startsWith("gcp:") || type.startsWith("aws:")) && !inputs.containsKey("name")) {
            out.put("name", autoName(name)); // what the provider's auto-naming would pick
        }
        if (type.startsWith("aws:")) {
            out.put("arn", "arn:aws:" + type.substring(4, type.indexOf('/')) + "::" + ACCOUNT + ":" + name);
        }
        switch (type) {
            case "gcp:serviceaccount/account:Account" -> out.put("email",
                    inputs.get("accountId") + "@my-gcp-project.iam.gserviceaccount.com");
            case "gcp:container/cluster:Cluster" -> {
                out.put("endpoint", GKE_ENDPOINT);
                out.put("masterAuth", Map.of("clusterCaCertificate", CA_DATA,
                        "clientCertificateConfig", Map.of("issueClientCertificate", false)));
            }
            case "aws:iam/role:Role" -> out.put("arn", "arn:aws:iam::" + ACCOUNT + ":role/" + autoName(name));
            case "aws:eks/cluster:Cluster" -> {
                out.put("endpoint", EKS_ENDPOINT);
                out.put("certificateAuthority", Map.of("data", CA_DATA));
                out.put("identities", List.of(Map.of("oidcs", List.of(Map.of("issuer", OIDC_ISSUER)))));
                out.putIfAbsent("version", inputs.getOrDefault("version", EKS_VERSION));
            }
            case "aws:ec2/launchTemplate:LaunchTemplate" -> out.put("latestVersion", 1);
            default -> {
            }
        }
        return out;
    }
}
