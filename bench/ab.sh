#!/usr/bin/env bash
# bench/ab.sh — two (or three) gauntlet builds side by side on one pinned target: `gauntlet attack /ping`
# at each rate for DURATION s, the builds alternating rep by rep, so that a change to the
# generator is judged against the build before it on the same machine in the same minutes.
#
#   A=/path/old/gauntlet B=bin/gauntlet RATES="10000 20000 30000" REPS=3 bash bench/ab.sh
#   (C=/path/third/gauntlet adds a third build to each rep)
#
# Target: bin/baseline-go --role micro on 127.0.0.1:$PORT, pinned to core 1; the generator to
# core 0; both at nice -15 when allowed. Prints one line per run: rate, achieved req/s, p99,
# schedule lag p99, dropped, the generator's CPU seconds (user+sys) and max RSS.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
A=${A:?A=path of the first gauntlet build}
B=${B:-$ROOT/bin/gauntlet}
RATES=${RATES:-"10000 20000 30000"}
REPS=${REPS:-3}
DURATION=${DURATION:-10}
PORT=${PORT:-18191}
NICE=(); nice -n -15 true 2>/dev/null && NICE=(nice -n -15)

taskset -c 1 "${NICE[@]}" "$ROOT/bin/baseline-go" --role micro --addr "127.0.0.1:$PORT" >/dev/null 2>&1 &
target=$!
tmp=$(mktemp -d)
trap 'kill $target 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 1
for rep in $(seq "$REPS"); do
	for side in A B ${C:+C}; do
		case $side in A) bin=$A ;; B) bin=$B ;; C) bin=$C ;; esac
		for rate in $RATES; do
			/usr/bin/time -f "%U %S %M" -o "$tmp/time" taskset -c 0 "${NICE[@]}" "$bin" attack \
				"http://127.0.0.1:$PORT/ping" --rate "$rate" --duration "${DURATION}s" --output json \
				--progress=false --out "$tmp/run-$side-$rate-$rep" >"$tmp/summary.json" 2>/dev/null || true
			/usr/bin/python3 - "$side" "$rate" "$rep" "$tmp" <<'PY'
import json, sys
side, rate, rep, tmp = sys.argv[1:]
r = json.load(open(tmp + "/summary.json"))["runs"][0]
user, sys_, rss = open(tmp + "/time").read().split()
print(f"{side} rate={rate} rep={rep} rps={r['rps']:.0f} p99={r['latency_ms']['p99']:.2f} "
      f"lag_p99={r['schedule_lag_ms']['p99']:.2f} dropped={r['dropped']} "
      f"cpu={float(user) + float(sys_):.2f}s rss={int(rss) / 1024:.1f}MB")
PY
		done
	done
done
