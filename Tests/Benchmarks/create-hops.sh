#!/usr/bin/env bash
# Diagnosis, not a benchmark: where a create's time and CPU go, run after run on one stack.
#
# Starts a release stack (as client-core.sh does), then runs `wrk` creates through the gateway
# with read-your-writes RUNS times in a row, each for SECONDS. After each run it prints the
# rate and latency percentiles, the CPU each process spent per create (µs), and the mean of
# every hop's histogram over the run: the command service's request, occurrence to Kafka ack
# (clientele_outbox_publish_age_seconds), a relay round's send, the search projection's batch
# and occurrence to applied (clientele_projection_event_age_seconds), and the gateway's
# answer. The runs follow each other on the same stack, so the broker's log grows: compare
# run 1 with run 1.
#
# usage: Tests/Benchmarks/create-hops.sh [runs=3] [seconds=10] [connections=32]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
runs="${1:-3}"
seconds="${2:-10}"
connections="${3:-32}"
# shellcheck source=lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
start_stack

# Every histogram's _sum and _count lines from the services that have the hops.
histograms() {
    local name
    for name in gateway command-service search-projection; do
        service_metrics "$name" \
            | grep -E '^(clientele_outbox_(publish_age|send)_seconds|clientele_projection_(batch|event_age)_seconds|http_request_duration_seconds)_(sum|count)' \
            | grep -v -E 'route="/(metrics|readyz|healthz)"' | sed "s/^/$name /"
    done
}

wrk -t2 -c"$connections" -d2s -s "$root/Tests/Benchmarks/lua/create-clients.lua" "$gateway/api/v1/clients" >/dev/null  # warm-up
for run in $(seq 1 "$runs"); do
    cpu0="$(cpu_sample)"; hist0="$(histograms)"
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$root/Tests/Benchmarks/lua/create-clients.lua" \
        "$gateway/api/v1/clients" >"$work/run-$run.txt"
    cpu1="$(cpu_sample)"; hist1="$(histograms)"
    echo "== run $run"
    python3 - "$work/run-$run.txt" "$cpu0" "$cpu1" "$hist0" "$hist1" "$(getconf CLK_TCK)" <<'PY'
import re, sys
text, cpu0, cpu1, hist0, hist1, hz = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
out = open(text).read()
rps = float(re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.M).group(1))
duration = float(re.search(r"requests in ([0-9.]+)s", out).group(1))
created = rps * duration
pct = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
print(f"   {rps:.0f} creates/s; latency p50 {pct.get('50')}, p90 {pct.get('90')}, p99 {pct.get('99')}")
load = lambda t: {l.split()[0]: int(l.split()[1]) for l in t.strip().splitlines()}
c0, c1 = load(cpu0), load(cpu1)
parts = sorted(((k, (c1[k] - c0.get(k, 0)) / hz / created * 1e6) for k in c1 if k not in ("machine", "steal")), key=lambda kv: -kv[1])
print("   CPU per create (µs): " + ", ".join(f"{k} {v:.0f}" for k, v in parts) + f"; all {sum(v for _, v in parts):.0f}")
def hist(t):
    values = {}
    for line in t.strip().splitlines():
        service, series, value = line.split(" ", 2)
        values[(service, series)] = float(value)
    return values
h0, h1 = hist(hist0), hist(hist1)
for (service, series), total in sorted(h1.items()):
    if "_sum" not in series:
        continue
    count_key = (service, series.replace("_sum", "_count", 1))
    count = h1.get(count_key, 0) - h0.get(count_key, 0)
    if count <= 0:
        continue
    mean = (total - h0.get((service, series), 0)) / count * 1000
    print(f"   {service:17s} {series.replace('_sum', ''):100s} n={count:<7.0f} mean {mean:6.1f} ms")
PY
done
