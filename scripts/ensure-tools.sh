#!/usr/bin/env bash
# ensure-tools.sh TOOL... — makes sure the tools gauntlet's tests and default
# run need are installed: "jdk" (javac, for the JVM baseline), "chromium"
# (headless, for the HTML report test), "nginx" (a real service without
# /metrics), "prometheus" (scrapes --metrics-addr in a test), "jsonschema"
# (Debian's python3-jsonschema, an independent validator of gauntlet schema)
# and "python" (/usr/bin/python3 with FastAPI, uvicorn, gunicorn, aiohttp and
# prometheus_client, for the Python baseline). Installs them from Debian packages
# when missing and apt is usable; otherwise says what to install and fails.
set -euo pipefail

need_pkgs=()
for tool in "$@"; do
  case "$tool" in
    jdk)
      command -v javac >/dev/null 2>&1 || need_pkgs+=(default-jdk-headless) ;;
    chromium)
      if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
        need_pkgs+=(chromium)
      fi ;;
    python)
      if ! /usr/bin/python3 -c 'import fastapi, uvicorn, gunicorn, aiohttp, prometheus_client' >/dev/null 2>&1; then
        need_pkgs+=(python3 python3-fastapi uvicorn gunicorn python3-aiohttp python3-prometheus-client)
      fi ;;
    nginx)
      command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx-light) ;;
    prometheus)
      command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || need_pkgs+=(prometheus) ;;
    jsonschema)
      /usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 || need_pkgs+=(python3-jsonschema) ;;
    *) echo "ensure-tools: unknown tool $tool" >&2; exit 2 ;;
  esac
done
[ ${#need_pkgs[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
fi
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
  # make runs two of these at once (make test prepares in parallel): one
  # installs while the other waits, rather than failing on apt's lock.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"${TMPDIR:-/tmp}/gauntlet-ensure-tools.lock"
    flock 9
  fi
  echo "ensure-tools: installing ${need_pkgs[*]} from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  exit 0
fi
echo "ensure-tools: missing ${need_pkgs[*]}; install them (Debian: apt-get install -y ${need_pkgs[*]})" >&2
exit 1
