package gauntlet.baseline;

/**
 * Breaker is a consecutive-failure circuit breaker for one dependency, the twin of
 * baselines/go/breaker.go. Closed, it lets every attempt through and opens after THRESHOLD
 * consecutive failures. Open, it refuses attempts for OPEN_NANOS, then becomes half-open and
 * lets exactly one trial attempt through: success closes it, failure opens it again. Every
 * attempt that allow admitted must be followed by exactly one of success, failure or abandon.
 * The clock (System.nanoTime values) is a parameter. Safe for concurrent use.
 */
final class Breaker {
    static final int THRESHOLD = 5;
    static final long OPEN_NANOS = 1_000_000_000L;

    private enum State { CLOSED, OPEN, HALF_OPEN }

    private State state = State.CLOSED;
    private int failures;
    private long openedAt;
    // What /metrics reports of its history: how often it opened from closed, and how long it
    // has refused calls (open or half-open) in all, the current spell included.
    private long opened;
    private long refusedNanos;
    private long refusingSince;

    synchronized boolean allow(long now) {
        switch (state) {
            case CLOSED:
                return true;
            case OPEN:
                if (now - openedAt < OPEN_NANOS) {
                    return false;
                }
                state = State.HALF_OPEN; // this caller carries the trial
                return true;
            default:
                return false; // the trial is in flight
        }
    }

    synchronized void success(long now) {
        if (state == State.OPEN) {
            return; // a late answer to an attempt admitted before the breaker opened
        }
        if (state == State.HALF_OPEN) {
            refusedNanos += now - refusingSince;
        }
        state = State.CLOSED;
        failures = 0;
    }

    synchronized void failure(long now) {
        if (state == State.CLOSED) {
            if (++failures >= THRESHOLD) {
                state = State.OPEN;
                openedAt = now;
                opened++;
                refusingSince = now;
            }
        } else if (state == State.HALF_OPEN) {
            state = State.OPEN;
            openedAt = now;
        }
    }

    /** abandon gives up an admitted attempt that says nothing about the dependency. */
    synchronized void abandon() {
        if (state == State.HALF_OPEN) {
            state = State.OPEN;
        }
    }

    synchronized boolean isOpen() {
        return state != State.CLOSED;
    }

    /** opened is how many times the breaker opened from closed. */
    synchronized long opened() {
        return opened;
    }

    /** refusedNanos is how long, up to now, the breaker has refused attempts in all. */
    synchronized long refusedNanos(long now) {
        return state == State.CLOSED ? refusedNanos : refusedNanos + now - refusingSince;
    }
}
