"""Flags of the Python baseline, the same as baselines/go/config.go, with the same defaults and
the same validation but one: DEFAULT_RETRIES is 0 here (2 in Go and on the JVM: the Python
chain leaves retrying to its callers), and the breaker stays open 2 s (breaker.py; 1 s there). The difference is deliberate, so that a
resilience run (scenarios/library/payment-outage.yaml) shows its figures follow each service's
policy."""
import argparse
import os
import re
from dataclasses import dataclass

DEFAULT_ADDR = "127.0.0.1:8080"
DEFAULT_TIMEOUT = 2.0  # seconds, per downstream attempt
DEFAULT_RETRIES = 0  # Go and the JVM: 2
DEFAULT_MAX_ORDERS = 100_000
DEFAULT_DRAIN_TIMEOUT = 10.0  # seconds in-flight requests may take to finish after SIGTERM
MAX_RETRIES = 10
MAX_LATENCY = 60.0
MAX_CPU_ITERATIONS = 100_000_000
ROLES = ("gateway", "inventory", "micro", "order", "payment")


class UsageError(Exception):
    """A bad flag or flag value: exit 2."""


@dataclass
class Config:
    role: str = "micro"
    addr: str = DEFAULT_ADDR
    order_url: str = ""
    inventory_url: str = ""
    payment_url: str = ""
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    cpu_work: int = 0
    latency: float = 0.0
    max_orders: int = DEFAULT_MAX_ORDERS
    drain_timeout: float = DEFAULT_DRAIN_TIMEOUT


_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]*)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(text):
    """Parses a Go duration ("2s", "250ms", "1m30s") into seconds."""
    s, sign = text, 1.0
    if s[:1] in "+-" and s:
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    total, at = 0.0, 0
    while at < len(s):
        m = _DURATION_PART.match(s, at)
        if not m or m.group(1) in ("", "."):
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        at = m.end()
    if not s or at != len(s):
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (use e.g. 2s, 250ms)")
    return sign * total


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parse(args, env=None):
    """Reads args over the environment's defaults ($ADDR, $ORDER_URL, $INVENTORY_URL,
    $PAYMENT_URL) and validates every value, reporting all problems at once."""
    env = os.environ if env is None else env
    p = _Parser(prog="baseline-python", allow_abbrev=False)
    p.add_argument("--role", default="micro", help="service role: " + ", ".join(ROLES))
    p.add_argument("--addr", default=env.get("ADDR") or DEFAULT_ADDR, help="listen address HOST:PORT (default $ADDR)")
    p.add_argument("--order", dest="order_url", default=env.get("ORDER_URL", ""), help="gateway: order service base URL")
    p.add_argument("--inventory", dest="inventory_url", default=env.get("INVENTORY_URL", ""), help="order: inventory base URL")
    p.add_argument("--payment", dest="payment_url", default=env.get("PAYMENT_URL", ""), help="order: payment base URL")
    p.add_argument("--timeout", type=duration, default=DEFAULT_TIMEOUT, help="timeout of each downstream attempt")
    p.add_argument("--retries", type=int, default=DEFAULT_RETRIES, help="retries per downstream call (0-10)")
    p.add_argument("--cpu-work", dest="cpu_work", type=int, default=0, help="payment: /cpu loop iterations per charge")
    p.add_argument("--latency", type=duration, default=0.0, help="payment: added latency per charge")
    p.add_argument("--max-orders", dest="max_orders", type=int, default=DEFAULT_MAX_ORDERS, help="order: orders kept in memory")
    drain = DEFAULT_DRAIN_TIMEOUT
    if env.get("DRAIN_TIMEOUT"):
        try:
            drain = duration(env["DRAIN_TIMEOUT"])
        except argparse.ArgumentTypeError as e:
            raise UsageError(f"$DRAIN_TIMEOUT: {e}") from None
    p.add_argument("--drain-timeout", dest="drain_timeout", type=duration, default=drain,
                   help="how long in-flight requests may finish after SIGTERM; 0 exits at once without draining "
                        "(default $DRAIN_TIMEOUT, then 10s)")
    cfg = Config(**vars(p.parse_args(args)))
    problems = []
    if cfg.role not in ROLES:
        problems.append(f"unknown role {cfg.role!r} (known: {', '.join(ROLES)})")
    if cfg.timeout <= 0:
        problems.append(f"--timeout {cfg.timeout}s: must be > 0")
    if not 0 <= cfg.retries <= MAX_RETRIES:
        problems.append(f"--retries {cfg.retries}: must be 0 to {MAX_RETRIES}")
    if not 0 <= cfg.cpu_work <= MAX_CPU_ITERATIONS:
        problems.append(f"--cpu-work {cfg.cpu_work}: must be 0 to {MAX_CPU_ITERATIONS}")
    if not 0 <= cfg.latency <= MAX_LATENCY:
        problems.append(f"--latency {cfg.latency}s: must be 0 to {MAX_LATENCY:.0f}s")
    if cfg.max_orders < 1:
        problems.append(f"--max-orders {cfg.max_orders}: must be >= 1")
    if cfg.drain_timeout < 0:
        problems.append(f"--drain-timeout {cfg.drain_timeout}s: must be >= 0")
    if problems:
        raise UsageError("; ".join(problems))
    return cfg


def base_url(flag, env, raw):
    """Checks that raw, the value of --flag, is an http base URL without a path and returns it
    without a trailing slash."""
    if not raw:
        raise UsageError(f"--{flag} (or ${env}) is required for this role")
    m = re.fullmatch(r"http://([^/?#]+)/?", raw)
    if not m:
        raise UsageError(f"--{flag} {raw!r}: want a base URL like http://127.0.0.1:8081")
    return raw.rstrip("/")
