package dev.todoplatform.pods;

/** A rolling update's maxSurge and maxUnavailable: a count, or a percentage of replicas (surge up, unavailable down). */
final class Rollout {
    private Rollout() {
    }

    static int surge(String value, int replicas) {
        return value.endsWith("%") ? (int) Math.ceil(percent(value) * replicas / 100.0) : Integer.parseInt(value);
    }

    static int unavailable(String value, int replicas) {
        return value.endsWith("%") ? (int) Math.floor(percent(value) * replicas / 100.0) : Integer.parseInt(value);
    }

    private static int percent(String value) {
        return Integer.parseInt(value.substring(0, value.length() - 1));
    }
}
