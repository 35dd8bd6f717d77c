#!/usr/bin/env bash
# Builds the libFuzzer targets for the HTTP module's protocol parsers, the JSON module's parser and the gateway's
# client input parsers, and runs each for the given number of seconds (default 60) on a copy of the committed seed
# corpus (with Tests/Fuzz/<name>.dict as its dictionary when there is one).
# Exits non-zero when a fuzzer finds a crash; reproducers land in Tests/Fuzz/artifacts/.
#
# Usage: Tests/Fuzz/run-fuzzers.sh [seconds]
set -euo pipefail

SECONDS_EACH="${1:-60}"
# CI passes a fixed seed so a run is reproducible; FUZZ_SEED=0 lets libFuzzer pick one
# (use that when hunting for new crashes).
SEED="${FUZZ_SEED:-0}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/.build-fuzz"
FUZZ="$ROOT/Tests/Fuzz"
HTTP="$ROOT/Shared/HTTP"
JSON="$ROOT/Shared/JSON"
GATEWAY="$ROOT/Services/Gateway"
MODULES="$BUILD/modules"
ARTIFACTS="$FUZZ/artifacts"
mkdir -p "$BUILD" "$MODULES" "$ARTIFACTS"
# Swift's own crash backtracer trips ASan; let libFuzzer report crashes.
export SWIFT_BACKTRACE=enable=no

# The parsers and exactly the Foundation-only files they need.
REQUEST_SOURCES=(
  "$HTTP/Parsing/HTTPRequestParser.swift"
  "$HTTP/Parsing/HTTPRequestHead.swift"
  "$HTTP/Core/HTTPHeaders.swift"
  "$HTTP/Core/HTTPMethod.swift"
  "$HTTP/Core/HTTPVersion.swift"
  "$HTTP/Core/HTTPStatus.swift"
)
MULTIPART_SOURCES=(
  "$HTTP/Multipart/MultipartParser.swift"
  "$HTTP/Multipart/MultipartEvent.swift"
  "$HTTP/Core/HTTPHeaders.swift"
)
JSON_SOURCES=(
  "$JSON/JSONParser.swift"
  "$JSON/JSONSyntaxError.swift"
  "$JSON/JSONValue.swift"
)

# The gateway's client input parsers, compiled from their own files (they import only JSON and ClientDomain), over
# the modules they import, each built here as a static library.
CLIENT_INPUT_SOURCES=(
  "$GATEWAY/OrganizationAPI/OrganizationClientInput.swift"
  "$GATEWAY/OrganizationAPI/ValidationFailure.swift"
  "$GATEWAY/LeadsAPI/LeadsClientInput.swift"
  "$GATEWAY/AdminAPI/AdminClientInput.swift"
  "$GATEWAY/APIText.swift"
)

build_module() {
  local name="$1"; shift
  echo "== building module $name"
  swiftc -parse-as-library -sanitize=fuzzer,address -O -module-name "$name" -I "$MODULES" \
    -emit-module -emit-module-path "$MODULES/$name.swiftmodule" -emit-library -static -o "$MODULES/lib$name.a" "$@"
}

build() {
  local name="$1"; shift
  echo "== building $name"
  swiftc -parse-as-library -sanitize=fuzzer,address -O -module-name "${name//-/_}" \
    "$@" -o "$BUILD/$name-fuzzer"
}

run() {
  local name="$1"
  local corpus="$BUILD/corpus-$name"
  rm -rf "$corpus"
  cp -r "$FUZZ/corpus/$name" "$corpus"
  echo "== running $name for ${SECONDS_EACH}s (full output in $BUILD/$name.log)"
  local result=0
  local dict=()
  if [ -f "$FUZZ/$name.dict" ]; then dict=(-dict="$FUZZ/$name.dict"); fi
  "$BUILD/$name-fuzzer" "$corpus" "${dict[@]}" -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -seed="$SEED" -artifact_prefix="$ARTIFACTS/$name-" >"$BUILD/$name.log" 2>&1 || result=$?
  if [ "$result" -ne 0 ]; then
    tail -n 60 "$BUILD/$name.log"
  else
    grep -E "^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)" "$BUILD/$name.log" || true
  fi
  return "$result"
}

build http-request "${REQUEST_SOURCES[@]}" "$FUZZ/HTTPRequestParserFuzz.swift"
build multipart "${MULTIPART_SOURCES[@]}" "$FUZZ/MultipartParserFuzz.swift"
build json "${JSON_SOURCES[@]}" "$FUZZ/JSONParserFuzz.swift"
build_module Errors "$ROOT"/Shared/Errors/*.swift
build_module JSON "$JSON"/*.swift
mapfile -t DOMAIN_SOURCES < <(find "$ROOT/Shared/ClientDomain" -name '*.swift' | sort)
build_module ClientDomain "${DOMAIN_SOURCES[@]}"
build client-input -I "$MODULES" -L "$MODULES" -lClientDomain -lJSON -lErrors \
  "${CLIENT_INPUT_SOURCES[@]}" "$FUZZ/ClientInputFuzz.swift"

status=0
run http-request || status=1
run multipart || status=1
run json || status=1
run client-input || status=1
if [ "$status" -ne 0 ]; then
  echo "fuzzing found a crash; see $ARTIFACTS" >&2
fi
exit "$status"
