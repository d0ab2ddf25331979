package dev.todoplatform.service.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Strict decoding of URL-encoded pairs: malformed escapes, invalid UTF-8 and repeated names are 400s. */
final class FormCodec {
    private FormCodec() {
    }

    static Map<String, String> decode(String raw, String what) {
        Map<String, String> result = new LinkedHashMap<>();
        if (raw.isEmpty()) {
            return result;
        }
        for (String pair : raw.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = unescape(eq < 0 ? pair : pair.substring(0, eq), what, what);
            String value = eq < 0 ? "" : unescape(pair.substring(eq + 1), name, what);
            if (result.put(name, value) != null) {
                throw HttpError.badRequest(name, what + " parameter " + name + " is given more than once");
            }
        }
        return result;
    }

    private static String unescape(String s, String field, String what) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                bytes.write(' ');
            } else if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw HttpError.badRequest(field, what + " has a malformed %-escape");
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw HttpError.badRequest(field, what + " has a malformed %-escape");
                }
                bytes.write(hi * 16 + lo);
                i += 2;
            } else if (c > 0xff) {
                throw HttpError.badRequest(field, what + " is not URL-encoded");
            } else {
                bytes.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw HttpError.badRequest(field, what + " is not valid UTF-8");
        }
    }
}
