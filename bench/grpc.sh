#!/usr/bin/env bash
# bench/grpc.sh — gauntlet's gRPC calls against `fortio load -grpc -ping` on fortio's own gRPC
# ping server, at the same fixed rate, connections and duration: request count and p50.
#
#   bash bench/grpc.sh                         # RATE=200 CONNS=2 DURATION=5 REPS=5
#   RATE=1000 REPS=3 bash bench/grpc.sh
#
# Target: `fortio server` (version pinned in bench/tools/go.mod) on 127.0.0.1:$PORT, pinned to
# core 1; each generator pinned to core 0 (taskset). Runs alternate (gauntlet, fortio, gauntlet,
# …). gauntlet measures latency from each call's intended send time, fortio from its actual
# send; below saturation the two agree, which is what this compares. fortio runs with 10 µs
# histogram resolution (-r 0.00001): at its default 1 ms every sub-millisecond call falls in the
# first bucket and its percentiles are interpolated inside it (p50 ≈ 0.5 ms, p99 ≈ 0.99 ms). Results: one JSON line per
# run in bench/results/grpc-<UTC timestamp>.ndjson, then the medians and their ratio.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BIN=$ROOT/bin
RATE=${RATE:-200}
CONNS=${CONNS:-2}
DURATION=${DURATION:-5}
REPS=${REPS:-5}
PORT=${PORT:-18079}
GEN_CORE=${GEN_CORE:-0}
TARGET_CORE=${TARGET_CORE:-1}
command -v jq >/dev/null || { echo "bench: jq missing (apt-get install -y jq)" >&2; exit 1; }

(cd "$ROOT" && make --no-print-directory bin/fortio >/dev/null && go build -o bin/gauntlet ./cmd/gauntlet)
mkdir -p "$BENCH_DIR/results"
TS=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BENCH_DIR/results/grpc-$TS.ndjson
WORK=$(mktemp -d)
trap 'kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; rm -rf "$WORK"' EXIT

taskset -c "$TARGET_CORE" "$BIN/fortio" server -grpc-port "127.0.0.1:$PORT" -http-port 127.0.0.1:0 \
	-redirect-port disabled -tcp-port disabled -udp-port disabled >"$WORK/server.log" 2>&1 &
SRV=$!
for _ in $(seq 50); do grep -q "grpc 'ping' server listening" "$WORK/server.log" && break; sleep 0.1; done

cat >"$WORK/ping.yaml" <<EOF
name: grpc-ping
services:
  ping: {url: "http://127.0.0.1:$PORT"}
load:
  stages: [{for: ${DURATION}s, rate: $RATE}]
  connections: $CONNS
requests:
  - name: Ping
    grpc: {target: "\${ping}", method: fgrpc.PingServer/Ping, message: {seq: "\${seq}", payload: gauntlet}}
EOF

for rep in $(seq "$REPS"); do
	taskset -c "$GEN_CORE" "$BIN/gauntlet" run "$WORK/ping.yaml" --cpu-sets off --progress=false --output json \
		--out "$WORK/g$rep" 2>/dev/null >"$WORK/g$rep.json" || true
	jq -c --argjson rep "$rep" --argjson rate "$RATE" --argjson dur "$DURATION" '.runs[0].by_request[] | select(.name == "Ping") |
		{tool: "gauntlet", rep: $rep, rate: $rate, planned: ($rate * $dur), requests, errors, p50: .latency_ms.p50,
		 p99: .latency_ms.p99, service_p50: .service_time_ms.p50}' "$WORK/g$rep.json" | tee -a "$OUT"
	taskset -c "$GEN_CORE" "$BIN/fortio" load -quiet -grpc -ping -payload gauntlet -c "$CONNS" -qps "$RATE" \
		-t "${DURATION}s" -uniform -nocatchup -r 0.00001 -p "50,99" -json "$WORK/f$rep.json" "127.0.0.1:$PORT" >/dev/null 2>&1
	jq -c --argjson rep "$rep" --argjson rate "$RATE" --argjson dur "$DURATION" '
		def pct($p): [.DurationHistogram.Percentiles[] | select(.Percentile == $p) | .Value * 1000] | first;
		{tool: "fortio", rep: $rep, rate: $rate, planned: ($rate * $dur), requests: .DurationHistogram.Count,
		 errors: (.DurationHistogram.Count - (.RetCodes.SERVING // 0)), p50: pct(50), p99: pct(99)}' "$WORK/f$rep.json" | tee -a "$OUT"
done

jq -sr '
	def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	group_by(.tool) | map({tool: .[0].tool, runs: length, requests: (map(.requests) | median), planned: .[0].planned,
		p50: (map(.p50) | median), p50_min: (map(.p50) | min), p50_max: (map(.p50) | max), p99: (map(.p99) | median)}) as $t |
	($t[] | "\(.tool): \(.runs) runs, median \(.requests) of \(.planned) calls, p50 \(.p50 * 1000 | round / 1000) ms (\(.p50_min * 1000 | round / 1000)–\(.p50_max * 1000 | round / 1000)), p99 \(.p99 * 1000 | round / 1000) ms"),
	"p50 gauntlet / fortio: \(([$t[] | select(.tool == "gauntlet") | .p50][0] / [$t[] | select(.tool == "fortio") | .p50][0]) * 100 | round / 100)"' "$OUT"
echo "raw: $OUT"
