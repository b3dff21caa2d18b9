"""gauntlet's Python reference service: the order chain of baselines/go and baselines/jvm as a
FastAPI application served by gunicorn with one uvicorn worker, downstream calls through
aiohttp's client, /metrics from prometheus_client."""
