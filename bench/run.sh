#!/usr/bin/env bash
# bench/run.sh — gauntlet against wrk, fortio and the vegeta CLI on one target, on this machine.
#
#   make bench                      # builds bin/gauntlet and bin/baseline-go, then runs this
#   REPS=1 DURATION=5 MEM_DURATION=40 bash bench/run.sh     # a quick pass
#   SCENARIOS="b c" bash bench/run.sh                      # a subset (a b c d e f)
#   GAUNTLET_BIN=/path/gauntlet bash bench/run.sh          # bench another build (TARGET_BIN too)
#
# Target: bin/baseline-go --role micro on 127.0.0.1:$PORT, pinned to core 1 (taskset -c 1).
# Every generator is pinned to core 0 (taskset -c 0); both run at nice -15 when allowed.
# Every generator run is wrapped in /usr/bin/time -v (CPU%, max RSS) and a hard `timeout`.
# Scenario f puts a fault proxy between generator and target: gauntlet's own (chaos/local,
# driven by bench/proxy in TCP and HTTP mode) and toxiproxy (server from bench/tools), each
# pinned to the target's core with it, no faults attached; direct runs are the reference.
# Reps are interleaved (the rep loop is outermost). Before each run we wait (up to
# QUIET_WAIT s) for a quiet machine; after it, the CPU used by all other processes during
# the run is computed from /proc/stat (total busy - generator - target) and a run whose
# "other" exceeds OTHER_MAX % of one core is repeated (up to TRIES attempts; all are kept).
#
# Raw results: bench/results/<UTC timestamp>/ (gitignored); runs.ndjson has one normalised
# line per attempt; bench/summarize.sh prints median (min–max) per scenario.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BIN=$ROOT/bin
GAUNTLET=${GAUNTLET_BIN:-$BIN/gauntlet}     # override to bench a build made elsewhere
TARGET=${TARGET_BIN:-$BIN/baseline-go}

REPS=${REPS:-3}
DURATION=${DURATION:-10}          # s, scenarios a, b and e
C_DURATION=${C_DURATION:-5}       # s, scenario c
C_RATE=${C_RATE:-500}
MEM_DURATION=${MEM_DURATION:-120} # s, scenario d
MEM_RATE=${MEM_RATE:-5000}
B_RATE=${B_RATE:-10000}
LADDER=${LADDER:-"10000 20000 30000 40000 50000"}
FORTIO_LADDER=${FORTIO_LADDER-$LADDER} # fortio at the same rates: what another generator sends to this target
# gauntlet again at these rates with fortio's connection budget (--max-in-flight 50 against fortio's -c 50):
# past the target's capacity the default budget (1,000) opens a connection per waiting request
C50_LADDER=${C50_LADDER-30000}
CO_RATE=${CO_RATE:-1000}
CO_STALL_AT=${CO_STALL_AT:-4}     # s after the generator starts
CO_STALL_FOR=${CO_STALL_FOR:-1}   # s
SCENARIOS=${SCENARIOS:-"a b c e d f"}
F_RATE=${F_RATE:-5000}            # req/s, scenario f (gauntlet attack through each path)
F_PATHS=${F_PATHS:-"direct gproxy-tcp gproxy-http toxiproxy"}
PORT=${PORT:-18090}
TOXI_API_PORT=${TOXI_API_PORT:-18474}
TOXI_PORT=${TOXI_PORT:-18092}     # toxiproxy's listener for scenario f
QUIET_WAIT=${QUIET_WAIT:-20}      # s to wait for a quiet machine before a run
QUIET_MAX=${QUIET_MAX:-15}        # % of one core busy (all processes) that counts as quiet
OTHER_MAX=${OTHER_MAX:-25}        # % of one core used by other processes that disturbs a run
TRIES=${TRIES:-3}                 # attempts per run when disturbed
GEN_CORE=${GEN_CORE:-0}
GMP2=${GMP2-}                     # 1: also run gauntlet with GOMAXPROCS=2 in b, c, e (two Ps on the one pinned
                                  # core; gauntlet runs one P there by default); off by default.
TARGET_CORE=${TARGET_CORE:-1}

ADDR=127.0.0.1:$PORT
TS=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$BENCH_DIR/results/$TS}
RAW=$OUT/raw
mkdir -p "$RAW"
RUNS=$OUT/runs.ndjson
NOISE=$OUT/noise.log
CMDS=$OUT/commands.txt
: >"$RUNS"
: >"$NOISE"
: >"$CMDS"
CLK_TCK=$(getconf CLK_TCK)

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/bench.log" >&2; }

# ---------------------------------------------------------------- tools
need_apt() { # need_apt CMD PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
		log "installing $2 from Debian"
		apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
	fi
	command -v "$1" >/dev/null 2>&1 || { echo "bench: $1 missing (apt-get install -y $2)" >&2; exit 1; }
}
need_apt wrk wrk
need_apt jq jq
[ -x /usr/bin/time ] || { need_apt /usr/bin/time time; }
need_apt taskset util-linux

[ -x "$GAUNTLET" ] && [ -x "$TARGET" ] || (cd "$ROOT" && make build)
if [ ! -x "$BIN/vegeta" ] || [ "$BENCH_DIR/tools/go.mod" -nt "$BIN/vegeta" ]; then
	log "building vegeta from bench/tools (pinned in go.mod)"
	(cd "$BENCH_DIR/tools" && CGO_ENABLED=0 go build -o "$BIN/vegeta" github.com/tsenart/vegeta/v12)
fi
if [ ! -x "$BIN/fortio" ] || [ "$BENCH_DIR/tools/go.mod" -nt "$BIN/fortio" ]; then
	log "building fortio from bench/tools (pinned in go.mod)"
	(cd "$BENCH_DIR/tools" && CGO_ENABLED=0 go build -o "$BIN/fortio" fortio.org/fortio)
fi
case " $SCENARIOS " in *" f "*)
	if [ ! -x "$BIN/toxiproxy-server" ] || [ "$BENCH_DIR/tools/go.mod" -nt "$BIN/toxiproxy-server" ]; then
		log "building toxiproxy-server from bench/tools (pinned in go.mod)"
		(cd "$BENCH_DIR/tools" && CGO_ENABLED=0 go build -o "$BIN/toxiproxy-server" github.com/Shopify/toxiproxy/v2/cmd/server)
	fi
	# gauntlet's fault proxy has no binary of its own; bench/proxy wraps chaos/local.NewProxy
	(cd "$ROOT" && CGO_ENABLED=0 go build -o "$BIN/bench-proxy" ./bench/proxy)
	;;
esac

NICE=()
if nice -n -15 true 2>/dev/null; then NICE=(nice -n -15); fi
# With autogroup scheduling (Linux's default for sessions), nice only weighs within a session's group: a
# shared machine splits each core evenly between sessions, whatever the niceness. Raise this session's group
# for the bench (AUTOGROUP_NICE=0 to leave it) and put it back on exit.
AUTOGROUP_NICE=${AUTOGROUP_NICE:--15}
AUTOGROUP_WAS=
if [ -w /proc/$$/autogroup ] && [ "$AUTOGROUP_NICE" != 0 ]; then
	AUTOGROUP_WAS=$(awk '{print $3}' /proc/$$/autogroup)
	echo "$AUTOGROUP_NICE" >/proc/$$/autogroup 2>/dev/null || AUTOGROUP_WAS=
fi
GEN=("${NICE[@]}" taskset -c "$GEN_CORE")
TGT=("${NICE[@]}" taskset -c "$TARGET_CORE")

# ---------------------------------------------------------------- environment
{
	echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc: $(nproc)"
	echo "cpu_model: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "kernel: $(uname -r)"
	echo "mem: $(grep MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2/1048576}')"
	echo "go: $(go version)"
	echo "wrk: $(wrk -v 2>&1 | head -1)"
	echo "vegeta: $(go version -m "$BIN/vegeta" | awk '$1=="mod"{print $2, $3}')"
	echo "fortio: $(go version -m "$BIN/fortio" | awk '$1=="mod"{print $2, $3}')"
	echo "gauntlet: $("$GAUNTLET" version 2>/dev/null | head -1) $GAUNTLET (repo at $(cd "$ROOT" && git describe --always --dirty 2>/dev/null))"
	[ -x "$BIN/toxiproxy-server" ] && echo "toxiproxy: $(go version -m "$BIN/toxiproxy-server" | awk '$1=="mod"{print $2, $3}')"
	echo "pinning: generator taskset -c $GEN_CORE, target taskset -c $TARGET_CORE, nice: ${NICE[*]:-none}, session autogroup: $(cat /proc/$$/autogroup 2>/dev/null || echo none)"
	echo "reps: $REPS, duration: ${DURATION}s (c: ${C_DURATION}s, d: ${MEM_DURATION}s)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

# ---------------------------------------------------------------- target
TARGET_PID=
start_target() {
	"${TGT[@]}" "$TARGET" --role micro --addr "$ADDR" >"$OUT/target.log" 2>&1 &
	TARGET_PID=$!
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "http://$ADDR/healthz" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "bench: target did not become ready" >&2
	exit 1
}
# scenario f: the proxies, pinned to the target's core, started once and kept for all reps
declare -A PROXY_ADDR=([direct]=$ADDR) PROXY_PID_OF=()
start_proxies() {
	local mode addr
	for mode in tcp http; do
		"${TGT[@]}" "$BIN/bench-proxy" -upstream "$ADDR" -mode "$mode" >"$OUT/gproxy-$mode.addr" 2>"$OUT/gproxy-$mode.log" &
		PROXY_PID_OF[gproxy-$mode]=$!
		for _ in $(seq 100); do [ -s "$OUT/gproxy-$mode.addr" ] && break; sleep 0.05; done
		addr=$(head -1 "$OUT/gproxy-$mode.addr")
		[ -n "$addr" ] || { echo "bench: bench-proxy ($mode) did not start" >&2; exit 1; }
		PROXY_ADDR[gproxy-$mode]=$addr
	done
	"${TGT[@]}" "$BIN/toxiproxy-server" -host 127.0.0.1 -port "$TOXI_API_PORT" >"$OUT/toxiproxy.log" 2>&1 &
	PROXY_PID_OF[toxiproxy]=$!
	for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$TOXI_API_PORT/version" 2>/dev/null && break; sleep 0.05; done
	curl -fsS -X POST "http://127.0.0.1:$TOXI_API_PORT/proxies" \
		-d "{\"name\":\"bench\",\"listen\":\"127.0.0.1:$TOXI_PORT\",\"upstream\":\"$ADDR\"}" >"$OUT/toxiproxy.create.json" ||
		{ echo "bench: could not create the toxiproxy proxy" >&2; exit 1; }
	PROXY_ADDR[toxiproxy]=127.0.0.1:$TOXI_PORT
	local p
	for p in $F_PATHS; do
		curl -fsS -o /dev/null "http://${PROXY_ADDR[$p]}/ping" || { echo "bench: /ping via $p failed" >&2; exit 1; }
	done
	{
		echo "proxies (pinned with the target, ${TGT[*]}):"
		for p in gproxy-tcp gproxy-http toxiproxy; do echo "  $p: ${PROXY_ADDR[$p]} pid ${PROXY_PID_OF[$p]}"; done
	} >>"$OUT/env.txt"
	log "proxies: tcp ${PROXY_ADDR[gproxy-tcp]}, http ${PROXY_ADDR[gproxy-http]}, toxiproxy ${PROXY_ADDR[toxiproxy]}"
}
cleanup() {
	local p
	if [ -n "$AUTOGROUP_WAS" ]; then echo "$AUTOGROUP_WAS" >/proc/$$/autogroup 2>/dev/null || true; fi
	for p in "${PROXY_PID_OF[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	if [ -n "$TARGET_PID" ]; then
		kill -CONT "$TARGET_PID" 2>/dev/null || true
		kill "$TARGET_PID" 2>/dev/null || true
		wait "$TARGET_PID" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- measuring helpers
cpu_busy() { # total non-idle jiffies of all CPUs, and steal separately
	awk '$1=="cpu"{print $2+$3+$4+$7+$8+$9, $9}' /proc/stat
}
proc_ticks() { # utime+stime of PID in jiffies (0 if gone)
	awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
wait_quiet() { # prints the busy % seen when it went ahead
	local deadline=$((SECONDS + QUIET_WAIT)) b0 b1 pct
	while :; do
		read -r b0 _ < <(cpu_busy)
		sleep 1
		read -r b1 _ < <(cpu_busy)
		pct=$(((b1 - b0) * 100 / CLK_TCK))
		if [ "$pct" -le "$QUIET_MAX" ] || [ "$SECONDS" -ge "$deadline" ]; then
			echo "$pct"
			return
		fi
	done
}
time_field() { # time_field FILE 'Label' -> value
	awk -F': ' -v k="$2" 'index($0, k) {print $NF; exit}' "$1"
}
elapsed_s() { # h:mm:ss or m:ss.ss -> seconds
	awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$1"
}
to_ms() { # wrk value with unit -> ms
	awk '{ v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v+0} else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000} else if (v ~ /m$/) {sub(/m$/,"",v); print v*60000} else print v }' <<<"$1"
}

# gauntlet: prefer `gauntlet attack`; if it refuses to run (see RESULTS.md), drive the same
# open-model runner with `gauntlet run FILE` and a scenario whose service is a URL.
GAUNTLET_MODE=
GAUNTLET_ENV=(env)   # the gmp2 variant adds GOMAXPROCS=2 (a diagnostic: two Ps on the one pinned core)
probe_gauntlet() {
	if timeout 10 "$GAUNTLET" attack "http://$ADDR/ping" --rate 10 --duration 300ms --output json \
		--progress=false --out "$RAW/probe-attack" >"$RAW/probe-attack.json" 2>"$RAW/probe-attack.err"; then
		GAUNTLET_MODE=attack
	else
		GAUNTLET_MODE=run
		log "gauntlet attack failed ($(head -c 200 "$RAW/probe-attack.err")); using 'gauntlet run FILE' instead"
	fi
	echo "gauntlet_mode: $GAUNTLET_MODE" >>"$OUT/env.txt"
}
gauntlet_cmd() { # gauntlet_cmd NAME PATH RATE DURATION_S MAX_IN_FLIGHT -> sets CMD
	local name=$1 path=$2 rate=$3 dur=$4 mif=$5
	if [ "$GAUNTLET_MODE" = attack ]; then
		CMD=("${GAUNTLET_ENV[@]}" "$GAUNTLET" attack "http://${HOSTPORT:-$ADDR}$path" --rate "$rate" --duration "${dur}s"
			--max-in-flight "$mif" --output json --progress=false --out "$RAW/$name.gout")
	else
		cat >"$RAW/$name.yaml" <<-EOF
			name: bench
			services:
			  target: {url: "http://${HOSTPORT:-$ADDR}"}
			load:
			  model: open
			  stages: [{for: ${dur}s, rate: $rate}]
			  max_in_flight: $mif
			requests:
			  - url: "\${target}$path"
		EOF
		CMD=("${GAUNTLET_ENV[@]}" "$GAUNTLET" run "$RAW/$name.yaml" --output json --progress=false --out "$RAW/$name.gout")
	fi
}

gauntlet_closed_cmd() { # gauntlet_closed_cmd NAME PATH CONNS DURATION_S -> sets CMD (model: closed)
	local name=$1 path=$2 conns=$3 dur=$4
	cat >"$RAW/$name.yaml" <<-EOF
		name: bench
		services:
		  target: {url: "http://${HOSTPORT:-$ADDR}"}
		load:
		  model: closed
		  stages: [{for: ${dur}s, concurrency: $conns}]
		requests:
		  - url: "\${target}$path"
	EOF
	CMD=("${GAUNTLET_ENV[@]}" "$GAUNTLET" run "$RAW/$name.yaml" --output json --progress=false --out "$RAW/$name.gout")
}

# measure NAME CAP_S -- CMD...   runs CMD under time+timeout on the generator core, with
# the target's CPU and everyone else's CPU measured around it. Output to $RAW/NAME.*.
# Hooks: BG_HOOK (a function run in the background with the generator's pid of `time`).
BG_HOOK=
PROXY_PID=   # scenario f: the proxy in the path, measured like the target
HOSTPORT=    # scenario f: where generators connect (default: the target, $ADDR)
measure() {
	local name=$1 cap=$2
	shift 3
	local b0 s0 t0 b1 s1 t1 w0 w1 pid hook_pid= x0=0 x1=0 xrss=0
	printf '%s\t%s /usr/bin/time -v -o %s timeout -s INT -k 5 %s %s\n' "$name" "${GEN[*]}" "$RAW/$name.time" "$cap" "$*" >>"$CMDS"
	read -r b0 s0 < <(cpu_busy)
	t0=$(proc_ticks "$TARGET_PID")
	[ -n "$PROXY_PID" ] && x0=$(proc_ticks "$PROXY_PID")
	w0=$(date +%s.%N)
	"${GEN[@]}" /usr/bin/time -v -o "$RAW/$name.time" timeout -s INT -k 5 "$cap" "$@" \
		>"$RAW/$name.out" 2>"$RAW/$name.err" &
	pid=$!
	if [ -n "$BG_HOOK" ]; then
		"$BG_HOOK" "$pid" "$name" &
		hook_pid=$!
	fi
	local rc=0
	wait "$pid" || rc=$?
	if [ -n "$hook_pid" ]; then wait "$hook_pid" || true; fi
	w1=$(date +%s.%N)
	t1=$(proc_ticks "$TARGET_PID")
	if [ -n "$PROXY_PID" ]; then
		x1=$(proc_ticks "$PROXY_PID")
		xrss=$(awk '$1=="VmRSS:"{print $2}' "/proc/$PROXY_PID/status" 2>/dev/null || echo 0)
	fi
	read -r b1 s1 < <(cpu_busy)
	local user sys wall rss load
	load=$(cut -d' ' -f1 /proc/loadavg)
	user=$(time_field "$RAW/$name.time" 'User time (seconds)')
	sys=$(time_field "$RAW/$name.time" 'System time (seconds)')
	wall=$(elapsed_s "$(time_field "$RAW/$name.time" 'Elapsed (wall clock) time')")
	rss=$(time_field "$RAW/$name.time" 'Maximum resident set size')
	MEAS=$(jq -nc --argjson rc "$rc" --argjson user "${user:-0}" --argjson sys "${sys:-0}" \
		--argjson wall "${wall:-0}" --argjson rss "${rss:-0}" --argjson load "${load:-0}" \
		--argjson busy "$((b1 - b0))" --argjson steal "$((s1 - s0))" --argjson tgt "$((t1 - t0))" \
		--argjson hz "$CLK_TCK" --argjson w0 "$w0" --argjson w1 "$w1" \
		--argjson px "$((x1 - x0))" --argjson pxrss "${xrss:-0}" --argjson haspx "$([ -n "$PROXY_PID" ] && echo true || echo false)" '
		($w1 - $w0) as $win |
		{rc: $rc, gen_cpu_pct: (if $wall > 0 then (($user + $sys) / $wall * 100) else null end),
		 gen_rss_mb: ($rss / 1024), gen_wall_s: $wall,
		 target_cpu_pct: ($tgt / $hz / $win * 100),
		 other_cpu_pct: ((($busy / $hz) - ($user + $sys) - ($tgt / $hz) - ($px / $hz)) / $win * 100 | if . < 0 then 0 else . end),
		 steal_pct: ($steal / $hz / $win * 100), window_s: $win, load_avg: $load}
		+ (if $haspx then {proxy_cpu_pct: ($px / $hz / $win * 100), proxy_rss_mb: ($pxrss / 1024)} else {} end)')
}

# ---------------------------------------------------------------- parsers (-> JSON object)
parse_gauntlet() { # NAME RATE DUR
	jq -c --argjson rate "$2" --argjson dur "$3" '.runs[0] | {
		requests, planned: ($rate * $dur), achieved_rps: (.requests / $dur),
		achieved_pct: (.requests / ($rate * $dur) * 100), tool_rps: .rps,
		p50: .latency_ms.p50, p90: .latency_ms.p90, p99: .latency_ms.p99, p999: .latency_ms.p999,
		max: .latency_ms.max, mean: .latency_ms.mean,
		svc_p50: .service_time_ms.p50, svc_p99: .service_time_ms.p99, svc_p999: .service_time_ms.p999,
		svc_max: .service_time_ms.max,
		lag_p50: .schedule_lag_ms.p50, lag_p99: .schedule_lag_ms.p99, lag_max: .schedule_lag_ms.max,
		dropped, errors, status}' "$RAW/$1.out"
}
parse_vegeta() { # NAME RATE DUR  (RATE 0: closed loop)
	local name=$1
	"$BIN/vegeta" report -type=json "$RAW/$name.bin" >"$RAW/$name.report.json"
	"$BIN/vegeta" encode -to csv "$RAW/$name.bin" >"$RAW/$name.csv"
	# exact nearest-rank percentiles from every result (vegeta's own report uses a t-digest)
	local pcts
	pcts=$(cut -d, -f2,3 "$RAW/$name.csv" | sort -t, -k2,2n | awk -F, '
		{ lat[NR] = $2 / 1e6; sum += $2 / 1e6; if ($1 < 200 || $1 >= 400) err++ }
		function q(p,  i) { i = int(p * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; return lat[i] }
		END { printf "{\"n\":%d,\"errors\":%d,\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"p999\":%.4f,\"max\":%.4f,\"mean\":%.4f}\n",
			NR, err, q(.5), q(.9), q(.99), q(.999), lat[NR], (NR ? sum / NR : 0) }')
	jq -c --argjson rate "$2" --argjson dur "$3" --argjson p "$pcts" '{
		requests: .requests, planned: (if $rate > 0 then $rate * $dur else null end),
		achieved_rps: (.requests / $dur),
		achieved_pct: (if $rate > 0 then .requests / ($rate * $dur) * 100 else null end),
		tool_rps: .rate,
		p50: $p.p50, p90: $p.p90, p99: $p.p99, p999: $p.p999, max: $p.max, mean: $p.mean,
		tdigest_p50: (.latencies["50th"] / 1e6), tdigest_p99: (.latencies["99th"] / 1e6),
		errors: $p.errors, dropped: null}' "$RAW/$name.report.json"
}
parse_wrk() { # NAME DUR
	local f=$RAW/$1.out lat p50 p90 p99 max rps reqs errs
	lat=$(awk '$1=="Latency" && NF>=4 {print $2, $4; exit}' "$f")
	max=$(to_ms "$(awk '{print $2}' <<<"$lat")")
	p50=$(to_ms "$(awk '$1=="50%"{print $2}' "$f")")
	p90=$(to_ms "$(awk '$1=="90%"{print $2}' "$f")")
	p99=$(to_ms "$(awk '$1=="99%"{print $2}' "$f")")
	rps=$(awk '$1=="Requests/sec:"{print $2}' "$f")
	reqs=$(awk '/requests in/{print $1}' "$f")
	errs=$(awk '/Non-2xx|Socket errors/{for(i=1;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) {gsub(",","",$i); s+=$i}} END{print s+0}' "$f")
	jq -nc --argjson reqs "${reqs:-0}" --argjson dur "$2" --argjson rps "${rps:-0}" --argjson p50 "${p50:-null}" \
		--argjson p90 "${p90:-null}" --argjson p99 "${p99:-null}" --argjson max "${max:-null}" --argjson errs "$errs" \
		'{requests: $reqs, achieved_rps: ($reqs / $dur), tool_rps: $rps, p50: $p50, p90: $p90, p99: $p99,
		  p999: null, max: $max, errors: $errs, dropped: null}'
}

parse_fortio() { # NAME RATE DUR  (RATE 0: closed loop) — fortio's JSON, percentiles in seconds
	jq -c --argjson rate "$2" --argjson dur "$3" '
		def pct($p): ([.DurationHistogram.Percentiles[] | select(.Percentile == $p) | .Value] | first) as $v | if $v == null then null else $v * 1000 end;
		.DurationHistogram.Count as $n | {
		requests: $n, planned: (if $rate > 0 then $rate * $dur else null end), achieved_rps: ($n / $dur),
		achieved_pct: (if $rate > 0 then $n / ($rate * $dur) * 100 else null end), tool_rps: .ActualQPS,
		p50: pct(50), p90: pct(90), p99: pct(99), p999: pct(99.9), max: (.DurationHistogram.Max * 1000),
		mean: (.DurationHistogram.Avg * 1000), errors: ($n - (.RetCodes["200"] // 0)), dropped: null}' "$RAW/$1.json"
}

# record SCEN TOOL RATE REP TRY QUIET PARSED [EXTRA]
record() {
	jq -nc --arg scen "$1" --arg tool "$2" --argjson rate "$3" --argjson rep "$4" --argjson tr "$5" \
		--argjson quiet "$6" --argjson parsed "$7" --argjson meas "$MEAS" --argjson extra "$8" \
		--arg name "$NAME" \
		'{scenario: $scen, tool: $tool, rate: $rate, rep: $rep, try: $tr, name: $name,
		  quiet_before_pct: $quiet} + $parsed + $meas + $extra' | tee -a "$RUNS" |
		jq -r '"  \(.scenario) \(.tool) rate=\(.rate) rep=\(.rep) try=\(.try): \(.requests) req, \((.achieved_rps // 0)|floor)/s, p50 \(.p50) p99 \(.p99) max \(.max) ms, gen \((.gen_cpu_pct // 0)|floor)% \((.gen_rss_mb // 0)|floor) MB, other \(((.other_cpu_pct // 0)*10|floor)/10)%, load \(.load_avg // "?")"' >&2
}

# ---------------------------------------------------------------- one run, with retries
# one SCEN TOOL RATE REP DUR CAP -- runner function and args; the runner sets PARSED.
one() {
	local scen=$1 tool=$2 rate=$3 rep=$4 dur=$5 cap=$6
	shift 7
	local try quiet other
	for try in $(seq "$TRIES"); do
		quiet=$(wait_quiet)
		NAME="${scen}_${tool}_${rate}_r${rep}_t${try}"
		EXTRA='{}'
		"$@"
		record "$scen" "$tool" "$rate" "$rep" "$try" "$quiet" "$PARSED" "$EXTRA"
		other=$(jq -r '.other_cpu_pct | floor' <<<"$MEAS")
		if [ "$other" -le "$OTHER_MAX" ]; then
			jq -c 'select(.name == "'"$NAME"'") | .accepted = true' "$RUNS" | tail -1 >>"$OUT/accepted.ndjson"
			return 0
		fi
		{
			echo "$NAME: other processes used ${other}% of a core during the run (quiet-before ${quiet}%)"
			ps -eo pid,pcpu,etimes,comm --sort=-pcpu | head -6 | sed 's/^/    /'
		} >>"$NOISE"
		log "  disturbed (other ${other}% > ${OTHER_MAX}%), try $try of $TRIES"
	done
	# every try disturbed: keep the last one, marked
	jq -c 'select(.name == "'"$NAME"'") | .accepted = true | .disturbed = true' "$RUNS" | tail -1 >>"$OUT/accepted.ndjson"
}

# ---------------------------------------------------------------- runners
run_wrk() { # path conns dur
	measure "$NAME" $(($3 + 5)) -- wrk -t1 -c"$2" -d"$3"s --latency "http://${HOSTPORT:-$ADDR}$1"
	PARSED=$(parse_wrk "$NAME" "$3") || PARSED='{"parse_error":true}'
}
run_vegeta() { # path rate dur extra-flags...
	local path=$1 rate=$2 dur=$3
	shift 3
	echo "GET http://$ADDR$path" >"$RAW/$NAME.targets"
	measure "$NAME" $((dur + 10)) -- "$BIN/vegeta" attack -targets="$RAW/$NAME.targets" \
		-duration="${dur}s" -rate="$rate" "$@" -output="$RAW/$NAME.bin"
	PARSED=$(parse_vegeta "$NAME" "$rate" "$dur") || PARSED='{"parse_error":true}'
}
run_fortio() { # path conns rate dur  (rate 0: as fast as it can)
	measure "$NAME" $(($4 + 10)) -- "$BIN/fortio" load -quiet -c "$2" -qps "$3" -t "$4s" -uniform -nocatchup \
		-p "50,90,99,99.9" -json "$RAW/$NAME.json" "http://${HOSTPORT:-$ADDR}$1"
	PARSED=$(parse_fortio "$NAME" "$3" "$4") || PARSED='{"parse_error":true}'
}
run_gauntlet_closed() { # path conns dur
	gauntlet_closed_cmd "$NAME" "$1" "$2" "$3"
	measure "$NAME" $(($3 + 15)) -- "${CMD[@]}"
	PARSED=$(parse_gauntlet "$NAME" 1 "$3" | jq -c '.planned = null | .achieved_pct = null') || PARSED='{"parse_error":true}'
}
with_gmp2() { GAUNTLET_ENV=(env GOMAXPROCS=2); "$@"; GAUNTLET_ENV=(env); }
via() { # via PATH runner args...  (scenario f: connect through a proxy, measure its CPU)
	local path=$1
	shift
	HOSTPORT=${PROXY_ADDR[$path]}
	PROXY_PID=${PROXY_PID_OF[$path]:-}
	"$@"
	HOSTPORT=
	PROXY_PID=
}
run_gauntlet() { # path rate dur max-in-flight
	gauntlet_cmd "$NAME" "$1" "$2" "$3" "$4"
	measure "$NAME" $(($3 + 15)) -- "${CMD[@]}"
	PARSED=$(parse_gauntlet "$NAME" "$2" "$3") || PARSED='{"parse_error":true}'
}

# scenario d: sample the generator's VmRSS every second
rss_sampler() { # time_pid name
	local tpid=$1 name=$2 gpid= start now
	start=$(date +%s.%N)
	for _ in $(seq 200); do # find gauntlet under time -> timeout -> gauntlet
		local tpid2
		tpid2=$(pgrep -P "$tpid" | head -1 || true)
		[ -n "$tpid2" ] && gpid=$(pgrep -P "$tpid2" | head -1 || true)
		[ -n "$gpid" ] && break
		sleep 0.01
	done
	[ -n "$gpid" ] || return 0
	: >"$RAW/$name.rss.tsv"
	while [ -r "/proc/$gpid/status" ]; do
		now=$(date +%s.%N)
		awk -v t="$(awk -v a="$now" -v b="$start" 'BEGIN{printf "%.2f", a-b}')" \
			'$1=="VmRSS:"{print t "\t" $2}' "/proc/$gpid/status" 2>/dev/null >>"$RAW/$name.rss.tsv" || true
		sleep 1
	done
}
run_gauntlet_mem() { # path rate dur
	gauntlet_cmd "$NAME" "$1" "$2" "$3" 1000
	BG_HOOK=rss_sampler
	measure "$NAME" $(($3 + 20)) -- "${CMD[@]}"
	BG_HOOK=
	PARSED=$(parse_gauntlet "$NAME" "$2" "$3") || PARSED='{"parse_error":true}'
	EXTRA=$(awk -v d="$3" '
		{ t[NR] = $1; r[NR] = $2 / 1024 }
		END {
			min = 1e18; max = 0; i30 = 0; iend = 0
			for (i = 1; i <= NR; i++) {
				if (t[i] <= d) { if (r[i] < min) min = r[i]; if (r[i] > max) max = r[i]; iend = i }
				if (i30 == 0 && t[i] >= 30) i30 = i
			}
			if (!i30 || !iend) { print "{}"; exit }
			printf "{\"rss30_mb\":%.2f,\"rss_end_mb\":%.2f,\"rss_end_t\":%.1f,\"rss_min_mb\":%.2f,\"rss_max_mb\":%.2f,\"rss_samples\":%d,\"rss_growth_pct\":%.2f}\n",
				r[i30], r[iend], t[iend], min, max, NR, (r[iend] / r[i30] - 1) * 100
		}' "$RAW/$NAME.rss.tsv") || EXTRA='{}'
}

# scenario e: SIGSTOP the target at CO_STALL_AT s for CO_STALL_FOR s
stall_target() { # time_pid name
	sleep "$CO_STALL_AT"
	kill -STOP "$TARGET_PID"
	echo "stopped $(date +%s.%N)" >"$RAW/$2.stall"
	sleep "$CO_STALL_FOR"
	kill -CONT "$TARGET_PID"
	echo "continued $(date +%s.%N)" >>"$RAW/$2.stall"
}
run_co_gauntlet() { # rate dur
	gauntlet_cmd "$NAME" "/sleep?ms=1" "$1" "$2" 2000
	BG_HOOK=stall_target
	measure "$NAME" $(($2 + 15)) -- "${CMD[@]}"
	BG_HOOK=
	PARSED=$(parse_gauntlet "$NAME" "$1" "$2") || PARSED='{"parse_error":true}'
}
run_co_vegeta() { # rate dur
	BG_HOOK=stall_target
	# vegeta with its default (unbounded) workers, as an open-model reference
	run_vegeta "/sleep?ms=1" "$1" "$2"
	BG_HOOK=
}

# ---------------------------------------------------------------- main
start_target
probe_gauntlet
case " $SCENARIOS " in *" f "*) start_proxies ;; esac
log "results in $OUT (gauntlet mode: $GAUNTLET_MODE)"

for rep in $(seq "$REPS"); do
	log "=== rep $rep of $REPS"
	for s in $SCENARIOS; do
		case $s in
		a)
			log "a: max throughput, /ping, ${DURATION}s: closed c50 (wrk, gauntlet, fortio, vegeta), gauntlet and fortio open ladders"
			one a wrk 0 "$rep" "$DURATION" 0 -- run_wrk /ping 50 "$DURATION"
			one a gauntlet-closed 0 "$rep" "$DURATION" 0 -- run_gauntlet_closed /ping 50 "$DURATION"
			one a fortio 0 "$rep" "$DURATION" 0 -- run_fortio /ping 50 0 "$DURATION"
			one a vegeta 0 "$rep" "$DURATION" 0 -- run_vegeta /ping 0 "$DURATION" -workers=50 -max-workers=50
			for r in $LADDER; do
				one a gauntlet "$r" "$rep" "$DURATION" 0 -- run_gauntlet /ping "$r" "$DURATION" 1000
			done
			for r in $FORTIO_LADDER; do
				one a fortio "$r" "$rep" "$DURATION" 0 -- run_fortio /ping 50 "$r" "$DURATION"
			done
			for r in $C50_LADDER; do
				one a gauntlet-c50 "$r" "$rep" "$DURATION" 0 -- run_gauntlet /ping "$r" "$DURATION" 50
			done
			;;
		b)
			log "b: fixed rate $B_RATE/s, /ping, ${DURATION}s"
			one b gauntlet "$B_RATE" "$rep" "$DURATION" 0 -- run_gauntlet /ping "$B_RATE" "$DURATION" 1000
			if [ -n "$GMP2" ]; then
				one b gauntlet-gmp2 "$B_RATE" "$rep" "$DURATION" 0 -- with_gmp2 run_gauntlet /ping "$B_RATE" "$DURATION" 1000
			fi
			one b fortio "$B_RATE" "$rep" "$DURATION" 0 -- run_fortio /ping 50 "$B_RATE" "$DURATION"
			one b vegeta "$B_RATE" "$rep" "$DURATION" 0 -- run_vegeta /ping "$B_RATE" "$DURATION" -workers=50 -max-workers=200
			;;
		c)
			log "c: fixed rate $C_RATE/s, /ping, ${C_DURATION}s"
			one c gauntlet "$C_RATE" "$rep" "$C_DURATION" 0 -- run_gauntlet /ping "$C_RATE" "$C_DURATION" 1000
			if [ -n "$GMP2" ]; then
				one c gauntlet-gmp2 "$C_RATE" "$rep" "$C_DURATION" 0 -- with_gmp2 run_gauntlet /ping "$C_RATE" "$C_DURATION" 1000
			fi
			one c vegeta "$C_RATE" "$rep" "$C_DURATION" 0 -- run_vegeta /ping "$C_RATE" "$C_DURATION"
			;;
		d)
			log "d: memory over ${MEM_DURATION}s at $MEM_RATE/s"
			one d gauntlet "$MEM_RATE" "$rep" "$MEM_DURATION" 0 -- run_gauntlet_mem /ping "$MEM_RATE" "$MEM_DURATION"
			;;
		e)
			log "e: coordinated omission, /sleep?ms=1 at $CO_RATE/s, ${DURATION}s, stall at ${CO_STALL_AT}s for ${CO_STALL_FOR}s"
			one e gauntlet "$CO_RATE" "$rep" "$DURATION" 0 -- run_co_gauntlet "$CO_RATE" "$DURATION"
			if [ -n "$GMP2" ]; then
				one e gauntlet-gmp2 "$CO_RATE" "$rep" "$DURATION" 0 -- with_gmp2 run_co_gauntlet "$CO_RATE" "$DURATION"
			fi
			one e vegeta "$CO_RATE" "$rep" "$DURATION" 0 -- run_co_vegeta "$CO_RATE" "$DURATION"
			;;
		f)
			log "f: proxy overhead, $F_PATHS: gauntlet attack $F_RATE/s and wrk -t1 -c50, ${DURATION}s each"
			# rotate the order of the paths each rep so no path always runs first
			local_paths=($F_PATHS)
			off=$(((rep - 1) % ${#local_paths[@]}))
			for p in "${local_paths[@]:off}" "${local_paths[@]:0:off}"; do
				one f "$p" "$F_RATE" "$rep" "$DURATION" 0 -- via "$p" run_gauntlet /ping "$F_RATE" "$DURATION" 1000
				one f "$p" 0 "$rep" "$DURATION" 0 -- via "$p" run_wrk /ping 50 "$DURATION"
			done
			;;
		*) echo "bench: unknown scenario $s" >&2; exit 2 ;;
		esac
	done
done

log "done: $OUT"
bash "$BENCH_DIR/summarize.sh" "$OUT" | tee "$OUT/summary.txt"
