"""Consecutive-failure circuit breaker, the same state machine as baselines/go/breaker.go. It
runs on the event loop's thread only, so it needs no lock.

The open window differs on purpose: 2 s here, 1 s in Go and on the JVM (with no retries instead
of two, see config.py), so that a resilience run shows its figures follow each service's policy."""

THRESHOLD = 5  # consecutive failed attempts that open the breaker
OPEN_FOR = 2.0  # seconds it stays open before one trial is let through

CLOSED, OPEN, HALF_OPEN = 0, 1, 2


class Breaker:
    """Closed, it lets every attempt through and opens after THRESHOLD consecutive failures.
    Open, it refuses attempts for OPEN_FOR seconds, then becomes half-open and lets exactly one
    trial through: success closes it, failure opens it again. Every attempt allow admitted is
    followed by exactly one of success, failure or abandon. now is a monotonic clock reading in
    seconds, passed in so tests need no sleeping."""

    def __init__(self, threshold=THRESHOLD, open_for=OPEN_FOR):
        self.threshold = threshold
        self.open_for = open_for
        self.state = CLOSED
        self.failures = 0
        self.opened_at = 0.0
        # What /metrics reports of its history: how often it opened from closed, and how long
        # it has refused calls (open or half-open) in all, the current spell included.
        self.opened = 0
        self.refused_for = 0.0
        self.refusing_since = 0.0

    def allow(self, now):
        if self.state == CLOSED:
            return True
        if self.state == OPEN:
            if now - self.opened_at < self.open_for:
                return False
            self.state = HALF_OPEN  # this caller carries the trial
            return True
        return False  # half-open: the trial is in flight

    def success(self, now):
        if self.state == OPEN:
            return  # a late answer to an attempt admitted before the breaker opened
        if self.state == HALF_OPEN:
            self.refused_for += now - self.refusing_since
        self.state = CLOSED
        self.failures = 0

    def failure(self, now):
        if self.state == CLOSED:
            self.failures += 1
            if self.failures >= self.threshold:
                self.state, self.opened_at = OPEN, now
                self.opened += 1
                self.refusing_since = now
        elif self.state == HALF_OPEN:
            self.state, self.opened_at = OPEN, now

    def abandon(self):
        if self.state == HALF_OPEN:
            self.state = OPEN

    def is_open(self):
        return self.state != CLOSED

    def history(self, now):
        """(times opened from closed, seconds refused in all up to now)."""
        refused = self.refused_for
        if self.state != CLOSED:
            refused += now - self.refusing_since
        return self.opened, refused
