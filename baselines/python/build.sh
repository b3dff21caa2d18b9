#!/usr/bin/env bash
# Packs the Python baseline into one zip app (the standard library's zipapp; nothing is
# compiled or downloaded).
#   baselines/python/build.sh [OUT]    OUT defaults to bin/baseline-python.pyz, relative to the repo root
# Run it with the Python that has the Debian packages (python3-fastapi, uvicorn, gunicorn,
# python3-aiohttp, python3-prometheus-client):
#   /usr/bin/python3 OUT --role ROLE --addr 127.0.0.1:PORT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-bin/baseline-python.pyz}"
case "$out" in /*) ;; *) out="$root/$out" ;; esac
py="$(command -v python3 || true)"
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
[ -n "$py" ] || { echo "build.sh: python3 not found" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
"$py" - "$here" "$out" <<'PY'
import sys, zipapp
zipapp.create_archive(sys.argv[1], sys.argv[2], filter=lambda p: "__pycache__" not in p.parts and p.suffix == ".py")
PY
