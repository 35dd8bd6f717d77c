#!/usr/bin/env bash
# Benchmark: this checkout against another commit, both binaries in one run. Runs
# Tests/Benchmarks/client-core.sh from each checkout in turn (base, this, base, this, ...), so
# that both meet the same machine state, and prints each run's GET and create rates with the
# in-run baselines, then the medians and this checkout's rate as a share of the base's.
# Each client-core run starts its own PostgreSQL, broker and services from its checkout's
# release build, with the settings users get.
#
# The base commit is checked out (once) as a detached worktree under .local/compare/<commit>
# and built there in release mode; pass a directory instead to use a checkout that exists.
#
# usage: Tests/Benchmarks/compare.sh BASE_COMMIT|BASE_DIR [rounds=3] [seconds=10] [connections=40]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
base="${1:?usage: compare.sh BASE_COMMIT|BASE_DIR [rounds] [seconds] [connections]}"
rounds="${2:-3}"
seconds="${3:-10}"
connections="${4:-40}"

# shellcheck source=lib/before-after.sh
source "$root/Tests/Benchmarks/lib/before-after.sh"
base_checkout "$base"

runs="$(mktemp -d /tmp/clientele-compare-XXXXXX)"
trap 'rm -rf "$runs"' EXIT
run_rounds "$rounds" "$runs" '^(GET|POST) /api/v1/clients' client-core.sh "$seconds" "$connections"

python3 - "$runs" "$rounds" <<'PY'
import re, statistics, sys
runs, rounds = sys.argv[1], int(sys.argv[2])
rows = {"GET /api/v1/clients/:id vs pgbench -S": "GET", "POST /api/v1/clients (RYW) vs COPY rows": "create"}
figures = {side: {name: [] for name in rows.values()} for side in ("base", "this")}
for side in figures:
    for round in range(1, rounds + 1):
        for line in open(f"{runs}/{side}-{round}.txt"):
            for prefix, name in rows.items():
                if line.startswith(prefix):
                    rate, _p99, baseline, ratio = line[len(prefix):].split()[:4]
                    figures[side][name].append((float(rate), float(ratio)))
print()
print(f"== medians of {rounds} runs each (rate/s, and the rate as a share of its own run's baseline)")
print(f"{'measurement':<10} {'base/s':>10} {'this/s':>10} {'this/base':>10} {'base ratio':>11} {'this ratio':>11}")
for name in rows.values():
    base_rate = statistics.median(rate for rate, _ in figures["base"][name])
    this_rate = statistics.median(rate for rate, _ in figures["this"][name])
    base_ratio = statistics.median(ratio for _, ratio in figures["base"][name])
    this_ratio = statistics.median(ratio for _, ratio in figures["this"][name])
    print(f"{name:<10} {base_rate:>10.0f} {this_rate:>10.0f} {this_rate / base_rate:>10.3f} {base_ratio:>11.3f} {this_ratio:>11.3f}")
PY
