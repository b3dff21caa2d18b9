"""Calls to one dependency: a per-attempt timeout, bounded retries with exponential backoff and
jitter, and a circuit breaker - the policy of baselines/go/downstream.go, on aiohttp's client."""
import asyncio
import random
import time

import aiohttp

from .breaker import Breaker

# FAILED_DEPENDENCY_HEADER is set by a hop on a 502/503 it answers because one of its own
# dependencies failed; the caller passes such an answer through instead of retrying it or
# counting it against the hop's breaker.
FAILED_DEPENDENCY_HEADER = "X-Gauntlet-Failed-Dependency"
TAG_HEADER = "X-Gauntlet-Tag"
MAX_REPLY_BODY = 1 << 20
BACKOFF_BASE = 0.010  # seconds before the first retry; retry n waits about BACKOFF_BASE·2^n


class CircuitOpen(Exception):
    def __str__(self):
        return "circuit breaker open"


class CallFailed(Exception):
    """The last attempt's failure: "connection failed", "timed out" or "answered 503"."""


class Reply:
    __slots__ = ("status", "content_type", "failed_dep", "body")

    def __init__(self, status, content_type, failed_dep, body):
        self.status, self.content_type, self.failed_dep, self.body = status, content_type, failed_dep, body


def new_session(timeout):
    """The connection pool shared by a process's downstream calls: no cap on connections (as Go's
    transport), idle ones kept 90 s."""
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=90, ttl_dns_cache=None)
    return aiohttp.ClientSession(connector=connector, auto_decompress=False, skip_auto_headers=("User-Agent",))


def backoff(n):
    """The delay before retry n (0-based): BACKOFF_BASE·2^n with equal jitter."""
    full = BACKOFF_BASE * (1 << n)
    return full / 2 + random.uniform(0, full / 2)


def retryable(rep):
    return rep.status in (502, 503, 504) and not rep.failed_dep


class Downstream:
    def __init__(self, name, base, cfg, metrics, session_ref):
        self.name = name
        self.base = base
        self.timeout = aiohttp.ClientTimeout(total=cfg.timeout)
        self.retries = cfg.retries
        self.breaker = Breaker()
        self.stats = metrics.dependency(name, self.breaker, cfg.timeout)
        self.session_ref = session_ref  # () -> the worker's ClientSession

    async def call(self, method, path, body, tag):
        """Sends method base+path with body (JSON bytes, or None) and the traffic tag. Retries
        connection errors and 502/503/504 answers without FAILED_DEPENDENCY_HEADER, up to
        self.retries times; not timeouts, because the request may still be running on a hop
        that is already slow. Raises CircuitOpen or CallFailed; cancellation propagates."""
        stats = self.stats
        last = None
        for attempt in range(self.retries + 1):
            if attempt:
                try:
                    await asyncio.sleep(backoff(attempt - 1))
                except asyncio.CancelledError:
                    stats.outcomes["canceled"] += 1
                    raise
            if not self.breaker.allow(time.monotonic()):
                stats.outcomes["circuit_open"] += 1
                raise CircuitOpen()
            if attempt:
                stats.retries += 1
            stats.attempts += 1
            sent = time.monotonic()
            try:
                rep = await self._attempt(method, path, body, tag)
            except asyncio.CancelledError:
                stats.observe_attempt(time.monotonic() - sent)
                self.breaker.abandon()
                stats.outcomes["canceled"] += 1
                raise
            except asyncio.TimeoutError:
                stats.observe_attempt(time.monotonic() - sent)
                self.breaker.failure(time.monotonic())
                last = CallFailed("timed out")
                break
            except (aiohttp.ClientError, OSError):
                stats.observe_attempt(time.monotonic() - sent)
                self.breaker.failure(time.monotonic())
                last = CallFailed("connection failed")
                continue
            stats.observe_attempt(time.monotonic() - sent)
            if not retryable(rep):
                self.breaker.success(time.monotonic())
                stats.outcomes["success" if 200 <= rep.status <= 299 else "http_error"] += 1
                return rep
            self.breaker.failure(time.monotonic())
            last = CallFailed(f"answered {rep.status}")
        stats.outcomes["failure"] += 1
        raise last

    async def _attempt(self, method, path, body, tag):
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if tag:
            headers[TAG_HEADER] = tag
        async with self.session_ref().request(method, self.base + path, data=body, headers=headers,
                                              timeout=self.timeout, allow_redirects=False) as resp:
            chunks, size = [], 0
            while size < MAX_REPLY_BODY:
                chunk = await resp.content.read(MAX_REPLY_BODY - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            return Reply(resp.status, resp.headers.get("Content-Type", ""),
                         resp.headers.get(FAILED_DEPENDENCY_HEADER, ""), b"".join(chunks))
