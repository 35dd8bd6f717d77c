#!/usr/bin/env bash
# Benchmark: the gateway's trivial route (/healthz, a fixed JSON body) against nginx serving
# the same JSON, both on loopback, measured in this one run with the same wrk settings.
# Prints requests/s and p99 for each and the ratio. Not a test: it never fails on a number.
#
# usage: Tests/Benchmarks/http-vs-nginx.sh [seconds=10] [connections=64]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
seconds="${1:-10}"
connections="${2:-64}"
# shellcheck source=lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
stack_build gateway
stack_init
# The gateway keeps companies and API keys in PostgreSQL, so it needs a database to start.
start_postgres
create_database clientele_gateway

nginx_port="$(free_port)"
gateway_port="$(free_port)"
body='{"service":"gateway","status":"ok"}'

mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        location / { default_type application/json; return 200 '$body'; }
    }
}
CONF
nginx -c "$work/nginx/nginx.conf" &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$nginx_port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
# Only /healthz is measured; the upstream services are not started, so its /readyz stays 503.
env HTTP_PORT="$gateway_port" LOG_LEVEL=warning DATABASE_URL="$(pg_url clientele_gateway)" "$bin/gateway" >"$work/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$gateway_port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

wrk -t2 -c"$connections" -d2s "http://127.0.0.1:$nginx_port/healthz" >/dev/null   # warm-up
wrk -t2 -c"$connections" -d2s "http://127.0.0.1:$gateway_port/healthz" >/dev/null
read -r nginx_rps nginx_p99 < <(wrk_measure "http://127.0.0.1:$nginx_port/healthz" -t2 -c"$connections" -d"${seconds}s")
read -r gateway_rps gateway_p99 < <(wrk_measure "http://127.0.0.1:$gateway_port/healthz" -t2 -c"$connections" -d"${seconds}s")
ratio="$(python3 -c "print(round($gateway_rps / $nginx_rps, 2))")"
printf '%-28s %12s %10s\n' "target (wrk -t2 -c$connections, ${seconds}s)" "requests/s" "p99 ms"
printf '%-28s %12s %10s\n' "nginx" "$nginx_rps" "$nginx_p99"
printf '%-28s %12s %10s\n' "gateway GET /healthz" "$gateway_rps" "$gateway_p99"
echo "ratio gateway/nginx: $ratio (target >= 0.6, gateway p99 < 10 ms)"
