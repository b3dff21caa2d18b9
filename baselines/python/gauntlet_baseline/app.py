"""The FastAPI application of one role. Every role serves /healthz, /metrics, /ping, /json,
/cpu?n= and /sleep?ms=; gateway, order, inventory and payment add the order chain's endpoints,
with the API, answers and downstream policy of baselines/go (see its gateway.go, order.go,
downstream.go). Handlers read raw bodies and validate them by hand, as the other baselines do,
so that a bad request gets the same 400 message everywhere (FastAPI's own validation would
answer 422 with its own wording)."""
import asyncio
import collections
import os
import re
from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, Response

from . import jsonbody as J
from . import metrics
from .config import MAX_CPU_ITERATIONS, base_url
from .downstream import FAILED_DEPENDENCY_HEADER, CallFailed, CircuitOpen, Downstream, new_session

MAX_SLEEP_MILLIS = 60_000
MAX_GC_MIB = 256
GC_NODE_BYTES = 64  # a one-element list is 64 bytes in CPython 3.11
STATUS_CLIENT_CLOSED = 499  # nginx's code, recorded when the client left first

JSON_FIXTURE = (b'{"id":"gauntlet-micro-0001","service":"baseline","kind":"fixture","version":1,'
                b'"active":true,"tags":["load","chaos","latency","throughput"],'
                b'"owner":{"team":"perf","contact":"perf@example.invalid"},"values":[1,2,3,5,8,13,21,34]}')

_INT = re.compile(r"[+-]?[0-9]+")
_MASK = (1 << 64) - 1


def cpu_work(n):
    """The FNV-1a loop of baselines/go/micro.go: x = (x XOR i) * 0x100000001b3 mod 2^64."""
    x = 0xcbf29ce484222325
    for i in range(n):
        x = ((x ^ i) * 0x100000001b3) & _MASK
    return x


def int_param(request, name, limit):
    """Query parameter name (its first value) as an integer in [0, limit], larger values clamped
    to limit; None when missing, malformed or negative."""
    values = request.query_params.getlist(name)
    if not values or not _INT.fullmatch(values[0]):
        return None
    v = int(values[0])
    return None if v < 0 else min(v, limit)


def text(code, body):
    return PlainTextResponse(body, code)


def json_response(code, body, headers=None):
    return Response(body, code, headers=headers, media_type="application/json")


def error(code, msg):
    return json_response(code, J.error_body(msg))


def dependency_error(code, dep, msg):
    return json_response(code, J.dependency_error_body(dep, msg), {FAILED_DEPENDENCY_HEADER: dep})


async def read_body(request):
    """The request body, or None when it is longer than J.MAX_REQUEST_BODY (reading stops there)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > J.MAX_REQUEST_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _disconnected(receive):
    while (await receive())["type"] != "http.disconnect":
        pass


async def sleep_unless_gone(request, seconds):
    """Waits seconds; False if the client went away first."""
    gone = asyncio.ensure_future(_disconnected(request.receive))
    try:
        done, _ = await asyncio.wait((gone,), timeout=seconds)
        return not done
    finally:
        gone.cancel()


class Roles:
    """Builds the application of one role; handlers are registered with their route label."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.session = None
        self.session_hooked = False
        self.metrics = metrics.Metrics()
        self.app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        self.app.router.redirect_slashes = False
        self.app.add_exception_handler(StarletteHTTPException, self._http_exception)
        self.app.add_event_handler("shutdown", self._close_session)

    def route(self, method, path, handler):
        methods = [method, "HEAD"] if method == "GET" else [method]
        self.app.add_api_route(path, handler, methods=methods, include_in_schema=False)

    def dependency(self, name, base):
        if not self.session_hooked:
            self.app.add_event_handler("startup", self._open_session)
            self.session_hooked = True
        return Downstream(name, base, self.cfg, self.metrics, lambda: self.session)

    async def _open_session(self):
        self.session = new_session(self.cfg.timeout)

    async def _close_session(self):
        if self.session:
            await self.session.close()

    @staticmethod
    async def _http_exception(request, exc):
        if exc.status_code == 405:
            return PlainTextResponse("method not allowed", 405, headers=exc.headers)
        if exc.status_code == 404:
            return PlainTextResponse("404 page not found\n", 404)
        return PlainTextResponse(str(exc.detail), exc.status_code, headers=exc.headers)


def build(cfg):
    """The ASGI application of cfg.role, wrapped in the /metrics instrumentation."""
    r = Roles(cfg)

    async def healthz():
        return text(200, "ok")

    async def metrics_endpoint():
        content_type, body = r.metrics.render()
        return Response(body, 200, headers={"Content-Type": content_type})

    async def ping():
        return text(200, "pong")

    async def json_fixture():
        return json_response(200, JSON_FIXTURE)

    async def cpu(request: Request):
        n = int_param(request, "n", MAX_CPU_ITERATIONS)
        if n is None:
            return text(400, "n must be a non-negative integer")
        return json_response(200, b'{"n":%d,"result":%d}' % (n, cpu_work(n)))

    async def sleep(request: Request):
        ms = int_param(request, "ms", MAX_SLEEP_MILLIS)
        if ms is None:
            return text(400, "ms must be a non-negative integer")
        if not await sleep_unless_gone(request, ms / 1000):
            return Response(status_code=STATUS_CLIENT_CLOSED)
        return json_response(200, b'{"slept_ms":%d}' % ms)

    async def gc_work(request: Request):
        """Allocates about mb MiB as a linked list of GC_NODE_BYTES nodes (one-element lists the
        collector tracks), keeps it reachable while it walks it, and answers
        {"mb":N,"nodes":COUNT}: garbage-collector work in proportion to mb."""
        mb = int_param(request, "mb", MAX_GC_MIB)
        if mb is None:
            return text(400, "mb must be a non-negative integer")
        head = None
        for _ in range((mb << 20) // GC_NODE_BYTES):
            head = [head]
        nodes = 0
        while head is not None:
            nodes += 1
            head = head[0]
        return json_response(200, b'{"mb":%d,"nodes":%d}' % (mb, nodes))

    r.route("GET", "/healthz", healthz)
    r.route("GET", "/metrics", metrics_endpoint)
    r.route("GET", "/ping", ping)
    r.route("GET", "/json", json_fixture)
    r.route("GET", "/cpu", cpu)
    r.route("GET", "/sleep", sleep)
    r.route("GET", "/gc", gc_work)
    ROLES[cfg.role](r, cfg)

    def label(scope):
        route = scope.get("route")
        return route.path if route is not None else "other"

    return metrics.Instrument(r.app, r.metrics, label)


def register_gateway(r, cfg):
    """POST /orders and GET /orders/{id}, passed to the order service after the body is
    validated; the order service's answer is passed through, a failed call is 503."""
    order = r.dependency("order", base_url("order", "ORDER_URL", cfg.order_url))

    async def forward(request, method, path, body):
        try:
            rep = await order.call(method, path, body, request.headers.get("x-gauntlet-tag", ""))
        except (CircuitOpen, CallFailed) as e:
            return dependency_error(503, order.name, f"{order.name} unavailable: {e}")
        headers = {FAILED_DEPENDENCY_HEADER: rep.failed_dep} if rep.failed_dep else None
        resp = Response(rep.body, rep.status, headers=headers)
        if rep.content_type:
            resp.headers["Content-Type"] = rep.content_type
        return resp

    async def create(request: Request):
        body = await read_body(request)
        _, _, msg = J.sku_qty(J.parse_object(body))
        if msg:
            return error(400, msg)
        return await forward(request, "POST", "/orders", body)

    async def fetch(request: Request, id: str):
        return await forward(request, "GET", "/orders/" + quote(id, safe="!$&'()*+,;=:@"), None)

    r.route("POST", "/orders", create)
    r.route("GET", "/orders/{id}", fetch)


def register_order(r, cfg):
    """POST /orders reserves at inventory, then charges at payment, then keeps the order;
    GET /orders/{id} answers it, or 404. The last cfg.max_orders orders are kept."""
    inventory = r.dependency("inventory", base_url("inventory", "INVENTORY_URL", cfg.inventory_url))
    payment = r.dependency("payment", base_url("payment", "PAYMENT_URL", cfg.payment_url))
    docs = collections.OrderedDict()
    prefix = "o-" + os.urandom(4).hex() + "-"
    seq = 0

    async def step(dep, path, body, tag):
        """None when dep answered 2xx, else the error answer."""
        try:
            rep = await dep.call("POST", path, body, tag)
        except (CircuitOpen, CallFailed) as e:
            return dependency_error(503, dep.name, f"{dep.name} unavailable: {e}")
        if not 200 <= rep.status <= 299:
            return dependency_error(502, dep.name, f"{dep.name} answered {rep.status}")
        return None

    async def create(request: Request):
        nonlocal seq
        sku, qty, msg = J.sku_qty(J.parse_object(await read_body(request)))
        if msg:
            return error(400, msg)
        tag = request.headers.get("x-gauntlet-tag", "")
        seq += 1
        oid = prefix + str(seq)
        failed = await step(inventory, "/reserve", ('{"sku":%s,"qty":%d}' % (J.string(sku), qty)).encode(), tag)
        if failed:
            return failed
        amount = qty * J.UNIT_PRICE
        failed = await step(payment, "/charge", ('{"order_id":%s,"amount":%d}' % (J.string(oid), amount)).encode(), tag)
        if failed:
            return failed
        doc = ('{"id":%s,"sku":%s,"qty":%d,"amount":%d,"status":"confirmed"}'
               % (J.string(oid), J.string(sku), qty, amount)).encode()
        docs[oid] = doc
        if len(docs) > cfg.max_orders:
            docs.popitem(last=False)
        return json_response(201, doc)

    async def fetch(id: str):
        doc = docs.get(id)
        if doc is not None:
            return json_response(200, doc)
        return json_response(404, ('{"error":"order not found","id":%s}' % J.string(id)).encode())

    r.route("POST", "/orders", create)
    r.route("GET", "/orders/{id}", fetch)


def register_inventory(r, cfg):
    """POST /reserve {"sku":S,"qty":N} -> 200 {"reserved":true,"sku":S,"qty":N}; nothing is kept."""

    async def reserve(request: Request):
        sku, qty, msg = J.sku_qty(J.parse_object(await read_body(request)))
        if msg:
            return error(400, msg)
        return json_response(200, ('{"reserved":true,"sku":%s,"qty":%d}' % (J.string(sku), qty)).encode())

    r.route("POST", "/reserve", reserve)


def register_payment(r, cfg):
    """POST /charge {"order_id":S,"amount":N} -> 200 {"charged":true,...} after cfg.cpu_work
    iterations of the /cpu loop and cfg.latency; 499 if the caller leaves during the delay."""

    async def charge(request: Request):
        obj = J.parse_object(await read_body(request))
        if obj is None:
            return error(400, J.MSG_BAD_BODY)
        oid = J.str_field(obj, "order_id")
        if oid is None:
            return error(400, J.MSG_BAD_ORDER_ID)
        amount = J.int_field(obj, "amount", 0, J.MAX_AMOUNT)
        if amount is None:
            return error(400, J.MSG_BAD_AMOUNT)
        if cfg.cpu_work:
            cpu_work(cfg.cpu_work)
        if cfg.latency and not await sleep_unless_gone(request, cfg.latency):
            return Response(status_code=STATUS_CLIENT_CLOSED)
        return json_response(200, ('{"charged":true,"order_id":%s,"amount":%d}' % (J.string(oid), amount)).encode())

    r.route("POST", "/charge", charge)


ROLES = {
    "micro": lambda r, cfg: None,
    "gateway": register_gateway,
    "order": register_order,
    "inventory": register_inventory,
    "payment": register_payment,
}
