#!/usr/bin/env bash
# Builds the JVM baseline jar with the JDK alone (17 or later).
#   baselines/jvm/build.sh [OUT]    OUT defaults to bin/baseline-jvm.jar, relative to the repo root
# Run the jar with:
#   java -Dsun.net.httpserver.nodelay=true -jar OUT --role ROLE --addr 127.0.0.1:PORT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-bin/baseline-jvm.jar}"
case "$out" in /*) ;; *) out="$root/$out" ;; esac
command -v javac >/dev/null || { echo "build.sh: javac not found; install a JDK 17+" >&2; exit 1; }
classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT
javac --release 17 -Xlint:all -Werror -encoding UTF-8 -d "$classes" "$here"/src/gauntlet/baseline/*.java
mkdir -p "$(dirname "$out")"
jar --create --file "$out" --main-class gauntlet.baseline.Main -C "$classes" .
