#!/usr/bin/env bash
# Runs the whole test suite: unit and integration tests against a real PostgreSQL and a real
# Kafka-protocol broker, which the tests start themselves (Tests/TestSupport).
# Installs what is missing first, builds with warnings as errors, and ends with XCTest's summary.
# Extra arguments go to `swift test` (for example: --filter HTTPTests).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
./deploy/local/install-dependencies.sh
# librdkafka 2.16 (the one that speaks to the broker) ahead of Debian's 2.0.2.
export LD_LIBRARY_PATH="$root/.local/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
swift build --build-tests -Xswiftc -warnings-as-errors
# A hung test must fail the run, not stall it: the whole suite normally takes minutes.
timeout --signal=KILL "${CLIENTELE_TEST_TIMEOUT:-2400}" swift test --skip-build "$@"
