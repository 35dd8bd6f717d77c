#!/usr/bin/env bash
# Benchmark: the search read model's rebuild rate of this checkout against another commit,
# both binaries in one run (the rebuild half of what Tests/Benchmarks/compare.sh does for
# creates). Runs Tests/Benchmarks/rebuild-vs-copy.sh from each checkout in turn (base, this,
# base, this, ...) with the same number of events, so that both meet the same machine state,
# and prints each run's rebuild rate and its ratio to the in-run COPY baseline, then the
# medians and this checkout's rate as a share of the base's. Each checkout runs its own
# script: before sealing existed, the rebuild reads the events as written; with sealing, the
# script seals them first (`clientctl privacy encrypt-history`), so the rebuild opens every
# event with its client's key.
#
# The base commit is checked out (once) as a detached worktree under .local/compare/<commit>
# and built there in release mode; pass a directory instead to use a checkout that exists.
#
# usage: Tests/Benchmarks/compare-rebuild.sh BASE_COMMIT|BASE_DIR [rounds=3] [events=200000]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
base="${1:?usage: compare-rebuild.sh BASE_COMMIT|BASE_DIR [rounds] [events]}"
rounds="${2:-3}"
events="${3:-200000}"

# shellcheck source=lib/before-after.sh
source "$root/Tests/Benchmarks/lib/before-after.sh"
base_checkout "$base"

runs="$(mktemp -d /tmp/clientele-compare-rebuild-XXXXXX)"
trap 'rm -rf "$runs"' EXIT
run_rounds "$rounds" "$runs" '^   (rebuild|baseline|ratio) ' rebuild-vs-copy.sh "$events"

python3 - "$runs" "$rounds" <<'PY'
import re, statistics, sys
runs, rounds = sys.argv[1], int(sys.argv[2])
figures = {side: [] for side in ("base", "this")}
for side in figures:
    for round in range(1, rounds + 1):
        rate = ratio = None
        for line in open(f"{runs}/{side}-{round}.txt"):
            # The summary's lines ("rebuild 10770 events/s ...", "ratio 0.820 ..."), not the
            # progress line "rebuild of search done: ...".
            if match := re.match(r"\s*rebuild\s+([0-9.]+) events/s", line): rate = float(match[1])
            if match := re.match(r"\s*ratio\s+([0-9.]+)", line): ratio = float(match[1])
        figures[side].append((rate, ratio))
base_rate = statistics.median(rate for rate, _ in figures["base"])
this_rate = statistics.median(rate for rate, _ in figures["this"])
base_ratio = statistics.median(ratio for _, ratio in figures["base"])
this_ratio = statistics.median(ratio for _, ratio in figures["this"])
print()
print(f"== medians of {rounds} runs each (rebuild events/s, and the rate as a share of its own run's COPY baseline)")
print(f"{'measurement':<10} {'base/s':>10} {'this/s':>10} {'this/base':>10} {'base ratio':>11} {'this ratio':>11}")
print(f"{'rebuild':<10} {base_rate:>10.0f} {this_rate:>10.0f} {this_rate / base_rate:>10.3f} {base_ratio:>11.3f} {this_ratio:>11.3f}")
PY
