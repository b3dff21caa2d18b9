#!/usr/bin/env bash
# bench/summarize.sh RESULTS_DIR — median (min–max) per scenario, tool and rate, from the
# accepted runs (accepted.ndjson; runs.ndjson holds every attempt, disturbed ones included),
# then whether each requirement held. Needs jq.
set -euo pipefail
dir=${1:?usage: summarize.sh bench/results/<timestamp>}
src=$dir/accepted.ndjson
[ -s "$src" ] || { echo "no accepted runs in $dir" >&2; exit 1; }

jq -rs '
def med: sort | length as $n | if $n == 0 then null elif $n % 2 == 1 then .[($n - 1) / 2] else (.[$n/2 - 1] + .[$n/2]) / 2 end;
def r(d): if . == null then "–" else (. * pow(10; d) | round) / pow(10; d) | tostring end;
def fmt(d): map(select(. != null)) | if length == 0 then "–"
  elif length == 1 then (.[0] | r(d))
  else "\(med | r(d)) (\(min | r(d))–\(max | r(d)))" end;
def col($runs; $k; d): [$runs[] | .[$k]] | fmt(d);

def table($title; $keys; $labels; $digits):
  "\n## \($title)\n",
  "| tool | rate | n | " + ($labels | join(" | ")) + " |",
  "|---|---|---|" + ($labels | map("---") | join("|")) + "|",
  (group_by([.tool, .rate]) | sort_by(.[0].tool, .[0].rate)[] as $g |
    "| \($g[0].tool) | \(if $g[0].rate == 0 then "closed c50" else $g[0].rate end) | \($g | length)\(if any($g[]; .disturbed) then "*" else "" end) | " +
    ([range(0; $keys | length)] | map(. as $i | col($g; $keys[$i]; $digits[$i])) | join(" | ")) + " |");

# sent % = requests / (rate x duration), which also counts requests sent late after the planned
# duration; rate % = the achieved rate the tool reports over the time it really took (gauntlet .rps,
# vegeta .rate, wrk Requests/sec) / planned rate. An overloaded open-model run can send 100 %
# of its requests, seconds late: rate % and the schedule lag show it, sent % does not.
# req/CPU-s = requests / generator CPU seconds (user + sys from time -v, startup included).
map(. + {rate_pct: (if .rate > 0 and .tool_rps != null then .tool_rps / .rate * 100 else null end)}
     + (((.gen_cpu_pct // 0) / 100 * (.gen_wall_s // 0)) as $cpu |
        if $cpu > 0 and (.requests // 0) > 0 then {req_per_cpu_s: (.requests / $cpu), cpu_us_per_req: ($cpu / .requests * 1e6)} else {} end)) | (
(map(select(.scenario == "a")) | if length > 0 then table("a. max throughput (/ping; closed c50: wrk, gauntlet model closed, fortio, vegeta; gauntlet open model ladder)";
  ["tool_rps","achieved_rps","rate_pct","achieved_pct","dropped","p50","p99","lag_p99","svc_p50","gen_wall_s","gen_cpu_pct","req_per_cpu_s","gen_rss_mb","target_cpu_pct","other_cpu_pct","load_avg"];
  ["tool req/s","requests/duration","rate %","sent %","dropped","p50 ms","p99 ms","sched lag p99 ms","service p50 ms","wall s","gen CPU %","req per gen CPU-s","gen RSS MB","target CPU %","other CPU %","load avg"];
  [0,0,1,2,0,3,3,3,3,1,0,0,1,0,1,1]) else empty end),
(map(select(.scenario == "b")) | if length > 0 then table("b. fixed rate, open model (/ping)";
  ["tool_rps","rate_pct","achieved_pct","dropped","errors","p50","p99","max","svc_p50","lag_p50","lag_p99","gen_cpu_pct","cpu_us_per_req","gen_rss_mb","other_cpu_pct","load_avg"];
  ["achieved/s","rate %","sent %","dropped","errors","p50 ms","p99 ms","max ms","service p50 ms","sched lag p50 ms","sched lag p99 ms","gen CPU %","gen CPU µs/req","gen RSS MB","other CPU %","load avg"];
  [0,2,2,0,0,3,3,2,3,3,3,0,1,1,1,1]) else empty end),
(map(select(.scenario == "c")) | if length > 0 then table("c. low fixed rate (/ping)";
  ["achieved_pct","p50","svc_p50","lag_p50","p90","p99","max","gen_cpu_pct","gen_rss_mb","other_cpu_pct"];
  ["achieved %","p50 ms","service p50 ms","sched lag p50 ms","p90 ms","p99 ms","max ms","gen CPU %","gen RSS MB","other CPU %"];
  [2,3,3,3,3,3,2,0,1,1]) else empty end),
(map(select(.scenario == "d")) | if length > 0 then table("d. generator memory over a long run (VmRSS sampled every 1 s)";
  ["rss30_mb","rss_end_mb","rss_growth_pct","rss_min_mb","rss_max_mb","gen_rss_mb","achieved_pct","dropped","p99","gen_cpu_pct","other_cpu_pct","load_avg"];
  ["RSS@30s MB","RSS@end MB","end vs 30s %","min MB","max MB","maxRSS (time -v) MB","achieved %","dropped","p99 ms","gen CPU %","other CPU %","load avg"];
  [1,1,1,1,1,1,2,0,3,0,1,1]) else empty end),
(map(select(.scenario == "e")) | if length > 0 then table("e. coordinated omission (/sleep?ms=1, target SIGSTOPped 1 s)";
  ["requests","achieved_pct","dropped","errors","p50","p90","p99","p999","max","svc_p99","svc_p999","other_cpu_pct","load_avg"];
  ["requests","achieved %","dropped","errors","p50 ms","p90 ms","p99 ms","p99.9 ms","max ms","service p99 ms","service p99.9 ms","other CPU %","load avg"];
  [0,2,0,0,2,1,0,0,0,1,0,1,1]) else empty end),
(map(select(.scenario == "f")) | if length > 0 then table("f. proxy overhead, no faults (/ping; tool = path: direct, gauntlet proxy tcp/http, toxiproxy; rate = gauntlet attack open model, closed c50 = wrk -t1 -c50)";
  ["achieved_rps","achieved_pct","errors","p50","p90","p99","max","svc_p50","target_cpu_pct","proxy_cpu_pct","proxy_rss_mb","gen_cpu_pct","other_cpu_pct"];
  ["achieved/s","achieved %","errors","p50 ms","p90 ms","p99 ms","max ms","service p50 ms","target CPU %","proxy CPU %","proxy RSS MB","gen CPU %","other CPU %"];
  [0,2,0,3,3,3,1,3,0,0,1,0,1]) else empty end),

"\n(* = every attempt of at least one rep was disturbed by other processes; gauntlet latency is from the intended send time,",
" vegeta latency from when a worker picks the request up, wrk per connection with its end-of-run correction)",

( [.[] | select(.scenario == "f")] as $f |
  if ($f | length) > 0 then
    "\n## f. proxy overhead, paired by rep (each rep ran every path back to back)",
    "| path | added p50 ms at \([$f[] | select(.rate > 0) | .rate] | first) req/s | added service p50 ms | added p99 ms | wrk c50 req/s | vs direct | vs toxiproxy | proxy CPU µs per request (wrk) |",
    "|---|---|---|---|---|---|---|---|",
    ( ([$f[] | .tool] | unique | map(select(. != "direct"))) as $paths |
      $paths[] as $p |
      def pair($k; $rate): [ $f[] | select(.tool == $p and .rate == $rate) as $x |
          ($f[] | select(.tool == "direct" and .rate == $rate and .rep == $x.rep) | .[$k]) as $d |
          if $x[$k] != null and $d != null then $x[$k] - $d else empty end ];
      def ratio($to): [ $f[] | select(.tool == $p and .rate == 0) as $x |
          ($f[] | select(.tool == $to and .rate == 0 and .rep == $x.rep) | .achieved_rps) as $d |
          if $d > 0 then $x.achieved_rps / $d else empty end ];
      ([$f[] | select(.rate > 0) | .rate] | first) as $r |
      "| \($p) | \(pair("p50"; $r) | fmt(3)) | \(pair("svc_p50"; $r) | fmt(3)) | \(pair("p99"; $r) | fmt(3)) | " +
      "\([$f[] | select(.tool == $p and .rate == 0) | .achieved_rps] | fmt(0)) | \(ratio("direct") | map(. * 100) | fmt(0))% | " +
      "\(if $p == "toxiproxy" then "–" else (ratio("toxiproxy") | map(. * 100) | fmt(0)) + "%" end) | " +
      "\([$f[] | select(.tool == $p and .rate == 0 and .achieved_rps > 0) | .proxy_cpu_pct / 100 / .achieved_rps * 1e6] | fmt(1)) |" )
  else empty end),

"\n## requirements (medians)",
( [.[] | select(.scenario == "b" and .tool == "gauntlet")] as $b |
  if ($b | length) > 0 then
    ([$b[].rate_pct] | med) as $m | ([$b[].dropped // 0] | add) as $d |
    "- b: gauntlet achieved \($m | r(2))% of \($b[0].rate)/s over its real duration (min \([$b[].rate_pct] | min | r(2))%; sent \([$b[].achieved_pct] | fmt(2))% of planned), dropped total \($d): " +
    (if ([$b[].rate_pct] | min) >= 99 and $d == 0 then "HELD (>= 99% in every rep)" elif $m >= 99 then "HELD in the median, not in every rep" else "NOT HELD" end)
  else empty end),
( [.[] | select(.scenario == "d" and .tool == "gauntlet" and .rss_growth_pct != null)] as $d |
  if ($d | length) > 0 then
    "- d: RSS at end vs at 30 s: \([$d[].rss_growth_pct] | fmt(1))%: " +
    (if ([$d[].rss_growth_pct | fabs] | max) <= 10 then "HELD (within 10% in every rep)" else "NOT HELD" end)
  else empty end),
( [.[] | select(.scenario == "c")] as $c |
  ([$c[] | select(.tool == "gauntlet") | .p50] | med) as $g | ([$c[] | select(.tool == "vegeta") | .p50] | med) as $v |
  if $g != null and $v != null then
    "- c: p50 gauntlet \($g | r(3)) ms vs vegeta \($v | r(3)) ms = \($g / $v | r(2))x (gauntlet service-time p50 \([$c[] | select(.tool == "gauntlet") | .svc_p50] | med | r(3)) ms): " +
    (if $g / $v <= 1.5 then "HELD (<= 1.5x)" else "NOT HELD (> 1.5x)" end)
  else empty end),
( [.[] | select(.scenario == "e" and .tool == "gauntlet")] as $e |
  if ($e | length) > 0 then
    "- e: gauntlet p99.9 \([$e[].p999] | fmt(0)) ms, p99 \([$e[].p99] | fmt(0)) ms: " +
    (if ([$e[].p999] | min) >= 950 then "HELD (the 1 s stall shows: p99.9 >= 950 ms in every rep)" elif ([$e[].p999] | med) >= 950 then "HELD in the median" else "NOT HELD" end)
  else empty end),
( [.[] | select(.scenario == "a" and .rate == 0)] as $c |
  def m($t; $k): [$c[] | select(.tool == $t) | .[$k] | select(. != null)] | med;
  if (m("gauntlet-closed"; "achieved_rps")) != null and (m("wrk"; "achieved_rps")) != null then
    (m("gauntlet-closed"; "achieved_rps") / m("wrk"; "achieved_rps")) as $w |
    "- a closed c50: gauntlet \(m("gauntlet-closed"; "achieved_rps") | r(0)) req/s = \($w | r(2))x of wrk: " + (if $w >= 0.95 then "HELD (>= 0.95x)" else "NOT HELD (< 0.95x)" end),
    (if m("vegeta"; "achieved_rps") != null then (m("gauntlet-closed"; "achieved_rps") / m("vegeta"; "achieved_rps")) as $v |
      "- a closed c50: \($v | r(2))x vegeta req/s: " + (if $v >= 2 then "HELD (>= 2x)" else "NOT HELD (< 2x)" end) else empty end),
    "- a closed c50: gauntlet \(m("gauntlet-closed"; "req_per_cpu_s") | r(0)) requests per generator CPU-second (wrk \(m("wrk"; "req_per_cpu_s") | r(0)), fortio \(m("fortio"; "req_per_cpu_s") | r(0))): " +
      (if m("gauntlet-closed"; "req_per_cpu_s") >= 85000 then "HELD (>= 85,000)" else "NOT HELD (< 85,000)" end),
    (if m("wrk"; "p99") != null then (m("gauntlet-closed"; "p99") / m("wrk"; "p99")) as $p |
      "- a closed c50: p99 gauntlet \(m("gauntlet-closed"; "p99") | r(3)) ms vs wrk \(m("wrk"; "p99") | r(3)) ms = \($p | r(2))x: " + (if $p <= 1.3 then "HELD (<= 1.3x)" else "NOT HELD (> 1.3x)" end) else empty end)
  else empty end),
( [.[] | select(.scenario == "a" and .tool == "gauntlet")] | if length == 0 then empty else . end | group_by(.rate) |
  map(select(([.[].achieved_pct] | med) >= 99.5 and ([.[].dropped // 0] | add) == 0 and ([.[].lag_p99] | med) < 1) | .[0].rate) |
  "- a: highest gauntlet open-model rate held (median sent >= 99.5 % of plan, no drops in any rep, median schedule lag p99 < 1 ms): \(if length > 0 then max else "none" end) req/s"),
( [.[] | select(.scenario == "a" and .tool == "fortio" and .rate > 0)] | if length == 0 then empty else . end | group_by(.rate) |
  map(select(([.[].achieved_pct] | med) >= 99.5) | .[0].rate) |
  "- a: highest rate fortio sent on the same target (median >= 99.5 % of plan; fortio measures from the actual send, so it has no schedule lag to judge): \(if length > 0 then max else "none" end) req/s"),
( [.[] | select(.scenario == "a" and (.tool == "gauntlet" or .tool == "gauntlet-c50") and .rate == 30000)] | group_by(.tool)[] as $t |
  "- a: 30,000/s, \(if $t[0].tool == "gauntlet" then "up to 1,000 requests in flight" else "at most 50 in flight, as fortio -c 50" end): sent \([$t[].achieved_pct] | fmt(2))% of plan, served at \([$t[].tool_rps] | fmt(0)) req/s, dropped \([$t[].dropped // 0] | add), lag p99 \([$t[].lag_p99] | fmt(3)) ms, generator max RSS \([$t[].gen_rss_mb] | fmt(1)) MB: " +
  (if ([$t[].gen_rss_mb] | med) <= 40 then "RSS HELD (<= 40 MB)" else "RSS NOT HELD (> 40 MB)" end)),
( [.[] | select(.scenario == "b")] as $b |
  ([$b[] | select(.tool == "gauntlet") | .cpu_us_per_req] | med) as $g | ([$b[] | select(.tool == "fortio") | .cpu_us_per_req] | med) as $f |
  if $g != null and $f != null then
    "- b: generator CPU per request at \($b[0].rate)/s: gauntlet \($g | r(1)) µs vs fortio \($f | r(1)) µs = \($g / $f | r(2))x: " +
    (if $g / $f <= 1.2 then "HELD (<= 1.2x)" else "NOT HELD (> 1.2x)" end)
  else empty end),
( [.[] | select(.scenario == "f" and .rate > 0)] as $f |
  ($f | map(select(.tool == "direct"))) as $dir |
  if ($dir | length) > 0 then
    ( ["gproxy-tcp", "gproxy-http"][] as $p |
      [ $f[] | select(.tool == $p) as $x | ($dir[] | select(.rep == $x.rep) | .p50) as $d | $x.p50 - $d ] as $add |
      if ($add | length) > 0 then
        "- f: \($p) added p50 at \($f[0].rate)/s: \($add | fmt(3)) ms (paired by rep): " +
        (if ($add | max) <= 0.1 then "HELD (<= 0.1 ms in every rep)" elif ($add | med) <= 0.1 then "HELD in the median, not in every rep" else "NOT HELD (> 0.1 ms)" end)
      else empty end )
  else empty end)
)' "$src"

echo
echo "attempts: $(wc -l <"$dir/runs.ndjson"), accepted: $(wc -l <"$src"), disturbed attempts logged in noise.log: $(grep -c '^[a-f]_' "$dir/noise.log" || true)"
