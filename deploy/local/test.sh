#!/usr/bin/env bash
# Runs the whole test suite: unit and integration tests against a real PostgreSQL and a real
# Kafka-protocol broker, which the tests start themselves (Tests/TestSupport); then the fault
# suite's short form (a few faults under load: nothing lost or doubled) and the contract check
# (schemathesis against /openapi.json), each against the debug build the tests made.
# Installs what is missing first and builds with warnings as errors; any failure fails the run.
# Extra arguments go to `swift test` (for example: --filter HTTPTests), and then only the
# tests they name run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
./deploy/local/install-dependencies.sh
# librdkafka 2.16 (the one that speaks to the broker) ahead of Debian's 2.0.2.
export LD_LIBRARY_PATH="$root/.local/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
swift build --build-tests -Xswiftc -warnings-as-errors
# A hung test must fail the run, not stall it: the whole suite normally takes minutes.
timeout --signal=KILL "${CLIENTELE_TEST_TIMEOUT:-2400}" swift test --skip-build "$@"
[ "$#" -eq 0 ] || exit 0
# Bounded like the tests: a hung fault run or contract run fails instead of stalling.
timeout --signal=TERM --kill-after=30 "${CLIENTELE_FAULTS_TIMEOUT:-900}" Tests/Faults/run.sh --short
timeout --signal=TERM --kill-after=30 "${CLIENTELE_CONTRACT_TIMEOUT:-900}" Tests/Contract/schemathesis.sh
