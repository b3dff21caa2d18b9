"""/metrics: the gauntlet_* series every baseline exposes, written in the order and shape of
baselines/go/metrics.go (route before code, every dependency outcome from the first scrape),
then prometheus_client's process, GC and platform collectors (process_resident_memory_bytes,
process_open_fds, python_gc_collections_total, ...), python_threads and
python_gc_duration_seconds (the collector's time, from gc.callbacks). The counters are plain
integers: they are only touched on the event loop's thread."""
import collections
import gc
import threading
import time

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, Summary, generate_latest

TAG_HEADER = b"x-gauntlet-tag"
OUTCOMES = ("success", "http_error", "failure", "circuit_open", "canceled")

Gauge("python_threads", "Threads of the Python process (threading.active_count()).").set_function(threading.active_count)
_gc_duration = Summary("python_gc_duration_seconds", "Time the cyclic garbage collector ran, per collection (all generations).")
_gc_started = [0.0]


def _time_gc(phase, info):
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        _gc_duration.observe(time.perf_counter() - _gc_started[0])


gc.callbacks.append(_time_gc)


class Metrics:
    def __init__(self):
        self.requests = collections.Counter()  # (route, code) -> answers
        self.tagged = 0
        self.in_flight = 0
        self.deps = []

    def dependency(self, name, breaker, timeout):
        d = DependencyStats(name, breaker, timeout)
        self.deps.append(d)
        return d

    def render(self):
        out = ["# HELP gauntlet_http_requests_total HTTP requests answered, by route and status code.",
               "# TYPE gauntlet_http_requests_total counter"]
        for (route, code), n in sorted(self.requests.items()):
            out.append('gauntlet_http_requests_total{route="%s",code="%d"} %d' % (_label(route), code, n))
        out += ["# HELP gauntlet_http_tagged_requests_total HTTP requests that carried a non-empty X-Gauntlet-Tag header.",
                "# TYPE gauntlet_http_tagged_requests_total counter",
                "gauntlet_http_tagged_requests_total %d" % self.tagged,
                "# HELP gauntlet_http_in_flight_requests HTTP requests being served, this one included.",
                "# TYPE gauntlet_http_in_flight_requests gauge",
                "gauntlet_http_in_flight_requests %d" % self.in_flight]
        if self.deps:
            deps = sorted(self.deps, key=lambda d: d.name)
            out += ["# HELP gauntlet_downstream_requests_total Downstream calls (all attempts of one call count once), by dependency and outcome.",
                    "# TYPE gauntlet_downstream_requests_total counter"]
            for d in deps:
                for o in OUTCOMES:
                    out.append('gauntlet_downstream_requests_total{dependency="%s",outcome="%s"} %d' % (d.name, o, d.outcomes[o]))
            out += ["# HELP gauntlet_downstream_retries_total Downstream attempts after the first, by dependency.",
                    "# TYPE gauntlet_downstream_retries_total counter"]
            out += ['gauntlet_downstream_retries_total{dependency="%s"} %d' % (d.name, d.retries) for d in deps]
            out += ["# HELP gauntlet_downstream_attempts_total Downstream attempts sent (the first of each call and its retries), by dependency.",
                    "# TYPE gauntlet_downstream_attempts_total counter"]
            out += ['gauntlet_downstream_attempts_total{dependency="%s"} %d' % (d.name, d.attempts) for d in deps]
            out += ["# HELP gauntlet_downstream_attempt_seconds_max The longest downstream attempt so far, by dependency.",
                    "# TYPE gauntlet_downstream_attempt_seconds_max gauge"]
            out += ['gauntlet_downstream_attempt_seconds_max{dependency="%s"} %r' % (d.name, d.slowest) for d in deps]
            out += ["# HELP gauntlet_downstream_timeout_seconds The configured timeout of one downstream attempt, by dependency.",
                    "# TYPE gauntlet_downstream_timeout_seconds gauge"]
            out += ['gauntlet_downstream_timeout_seconds{dependency="%s"} %r' % (d.name, float(d.timeout)) for d in deps]
            now = time.monotonic()
            history = [d.breaker.history(now) for d in deps]
            out += ["# HELP gauntlet_circuit_breaker_opened_total Times the dependency's circuit breaker opened from closed.",
                    "# TYPE gauntlet_circuit_breaker_opened_total counter"]
            out += ['gauntlet_circuit_breaker_opened_total{dependency="%s"} %d' % (d.name, h[0]) for d, h in zip(deps, history)]
            out += ["# HELP gauntlet_circuit_breaker_open_seconds_total Time the dependency's circuit breaker has refused calls (open or half-open).",
                    "# TYPE gauntlet_circuit_breaker_open_seconds_total counter"]
            out += ['gauntlet_circuit_breaker_open_seconds_total{dependency="%s"} %r' % (d.name, float(h[1])) for d, h in zip(deps, history)]
            out += ["# HELP gauntlet_circuit_breaker_open 1 while the dependency's circuit breaker refuses calls (open or half-open), else 0.",
                    "# TYPE gauntlet_circuit_breaker_open gauge"]
            out += ['gauntlet_circuit_breaker_open{dependency="%s"} %d' % (d.name, d.breaker.is_open()) for d in deps]
        return CONTENT_TYPE_LATEST, ("\n".join(out) + "\n").encode() + generate_latest(REGISTRY)


def _label(s):
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class DependencyStats:
    """The counters of one downstream dependency."""

    def __init__(self, name, breaker, timeout):
        self.name = name
        self.outcomes = dict.fromkeys(OUTCOMES, 0)
        self.retries = 0
        self.attempts = 0  # sent: the first attempt of each call and its retries
        self.slowest = 0.0  # the longest attempt so far, in seconds
        self.timeout = timeout  # per attempt, as configured
        self.breaker = breaker

    def observe_attempt(self, seconds):
        if seconds > self.slowest:
            self.slowest = seconds


class Instrument:
    """ASGI middleware: the in-flight gauge, the tagged counter, and each answer's status code
    counted under its route's label (the path it was registered with, "other" when no route
    matched)."""

    def __init__(self, app, metrics, label_of):
        self.app = app
        self.metrics = metrics
        self.label_of = label_of  # scope -> route label

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        m = self.metrics
        m.in_flight += 1
        for k, v in scope["headers"]:
            if k == TAG_HEADER and v:
                m.tagged += 1
                break
        status = 0

        async def send_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            m.in_flight -= 1
            if status:
                m.requests[(self.label_of(scope), status)] += 1
