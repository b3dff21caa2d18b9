"""baseline-python: the order chain's roles as a FastAPI application, served the way Python
teams usually deploy one - gunicorn managing a uvicorn worker (uvicorn.workers.UvicornH11Worker:
asyncio event loop, h11 HTTP parser, as Debian packages them).

    python3 bin/baseline-python.pyz --role order --addr 127.0.0.1:8082 \\
        --inventory http://127.0.0.1:8083 --payment http://127.0.0.1:8084

One worker per service: the order service keeps its orders in process memory, so a second
worker would answer GET /orders/{id} with 404 for orders the first one took (and /metrics would
count one worker's requests only).

SIGTERM: gunicorn closes the listener and tells the worker to finish; uvicorn stops accepting,
closes idle keep-alive connections and waits for requests in flight, for up to --drain-timeout
(10 s) before gunicorn kills it. --drain-timeout 0 kills the worker at once (no draining).
Logs one line to stderr when listening and one when shut down. Exit codes: 0 after a clean
shutdown, 1 if requests were still running when the drain timeout ended or serving failed,
2 for bad usage."""
import ctypes
import math
import os
import signal
import sys
import time

os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "True")

WORKER_CLASS = "uvicorn.workers.UvicornH11Worker"
PR_SET_PDEATHSIG = 1


def main(argv):
    from .config import UsageError, parse

    try:
        cfg = parse(argv)
        from .app import build

        app = build(cfg)
    except UsageError as e:
        print(f"baseline-python: {e}", file=sys.stderr)
        return 2
    return serve(cfg, app)


def serve(cfg, app):
    from gunicorn.app.base import BaseApplication

    state = {"signalled": None, "forced": 0}

    def when_ready(server):
        print(f"baseline-python {cfg.role} listening on {cfg.addr}", file=sys.stderr, flush=True)
        term, kill_workers = server.handle_term, server.kill_workers

        def handle_term():
            state["signalled"] = time.monotonic()
            term()

        def kill(sig):
            if sig == signal.SIGKILL and server.WORKERS:
                state["forced"] = len(server.WORKERS)
            kill_workers(sig)

        server.handle_term, server.kill_workers = handle_term, kill

    def post_fork(server, worker):
        # The worker ends with the master even when the master is SIGKILLed.
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass

    def on_exit(server):
        began = state["signalled"]
        ms = round((time.monotonic() - began) * 1000) if began is not None else 0
        if cfg.drain_timeout == 0:
            print(f"baseline-python {cfg.role} shut down without draining in {ms}ms", file=sys.stderr, flush=True)
        elif state["forced"]:
            print(f"baseline-python {cfg.role}: shutdown after {ms}ms: the worker was still serving", file=sys.stderr, flush=True)
            raise SystemExit(1)
        else:
            print(f"baseline-python {cfg.role} shut down, drained in {ms}ms", file=sys.stderr, flush=True)

    options = {
        "bind": [cfg.addr],
        "workers": 1,
        "worker_class": WORKER_CLASS,
        "graceful_timeout": math.ceil(cfg.drain_timeout),  # gunicorn takes whole seconds
        # Keep idle keep-alive connections as long as the Go and JVM baselines do (gunicorn's
        # default of 2 s would close a load generator's connections between requests).
        "keepalive": 90,
        "loglevel": "warning",
        "proc_name": f"baseline-python-{cfg.role}",
        "when_ready": when_ready,
        "post_fork": post_fork,
        "on_exit": on_exit,
    }

    class Server(BaseApplication):
        def load_config(self):
            for k, v in options.items():
                self.cfg.set(k, v)

        def load(self):
            return app

    Server().run()
    return 0
