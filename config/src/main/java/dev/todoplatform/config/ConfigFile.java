package dev.todoplatform.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of the files under config/ (nginx.conf, redis.conf, postgresql.conf, ...), as shipped on the classpath.
 *
 * <p>A file may hold {@code {{NAME}}} placeholders for what differs between the cluster and the module tests' daemons:
 * addresses, ports and paths only. {@link #render} fills every one of them or fails naming the missing ones,
 * so neither consumer can ship a half-rendered file.
 */
public final class ConfigFile {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Z0-9_]+)}}");

    private final String name;
    private final String text;

    private ConfigFile(String name, String text) {
        this.name = name;
        this.text = text;
    }

    /** {@code path} is relative to config/, e.g. {@code "nginx/nginx.conf"}. */
    public static ConfigFile load(String path) {
        try (InputStream in = ConfigFile.class.getResourceAsStream("/todo-platform/" + path)) {
            if (in == null) {
                throw new IllegalArgumentException("no config file " + path + " on the classpath");
            }
            return new ConfigFile(path, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String name() {
        return name;
    }

    /** The file name without its directory, e.g. {@code nginx.conf}: the key it gets in a ConfigMap. */
    public String fileName() {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    public String text() {
        return text;
    }

    /** The placeholders this file needs. */
    public TreeSet<String> placeholders() {
        TreeSet<String> names = new TreeSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    public String render(Map<String, String> values) {
        TreeSet<String> missing = placeholders();
        missing.removeAll(values.keySet());
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(name + " needs values for " + missing);
        }
        TreeSet<String> unused = new TreeSet<>(values.keySet());
        unused.removeAll(placeholders());
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException(name + " has no placeholders " + unused);
        }
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder(text.length() + 256);
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(values.get(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** A short content hash: ConfigMap names carry it so a changed file rolls the pods that mount it. */
    public static String hash(String... contents) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String content : contents) {
                sha.update(content.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
