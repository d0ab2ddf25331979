package dev.todoplatform.pods;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kubernetes resource quantities: memory in bytes ("320Mi", "1Gi", "512M"), CPU in millicores ("250m", "2"). */
final class Quantity {
    private static final Pattern FORM = Pattern.compile("([0-9.]+)([A-Za-z]*)");
    private static final Map<String, Long> SUFFIX = Map.of("", 1L, "k", 1000L, "M", 1000_000L, "G", 1000_000_000L,
            "Ki", 1L << 10, "Mi", 1L << 20, "Gi", 1L << 30, "Ti", 1L << 40);

    private Quantity() {
    }

    static long bytes(String quantity) {
        Matcher m = FORM.matcher(quantity);
        if (!m.matches() || !SUFFIX.containsKey(m.group(2))) {
            throw new IllegalArgumentException("not a memory quantity: " + quantity);
        }
        return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(SUFFIX.get(m.group(2)))).longValue();
    }

    static long millicores(String quantity) {
        if (quantity.endsWith("m")) {
            return Long.parseLong(quantity.substring(0, quantity.length() - 1));
        }
        return new BigDecimal(quantity).multiply(BigDecimal.valueOf(1000)).longValue();
    }
}
