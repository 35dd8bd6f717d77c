#!/usr/bin/env bash
# Benchmark: document uploads and downloads through the gateway (streamed to the document
# store, which hashes, fsyncs and renames each file and commits its metadata) against nginx
# doing the same transfers in the same run:
#
#   uploads:   N multipart POSTs of an 8 MB file (distinct contents) to
#              POST /api/document/upload  vs  nginx writing each body to disk
#              (client_body_in_file_only on, then a body-less answer from an upstream)
#   downloads: the same N files from GET /api/document/file/:id (authorized per request)
#              vs  nginx serving them as static files
#
# Each side runs with the same curl settings and concurrency; prints MB/s and the ratio of the
# gateway to nginx (target: at least 0.5 for each). Release builds, LOG_LEVEL=warning, free
# loopback ports, everything stopped on exit. Not a test: it never fails on a number.
#
# nginx never fsyncs the bodies it keeps; the store must (each file fsynced before it is
# renamed). So the uploads print one more figure for context, not as the target: the disk's
# own durable write rate, the same files copied by `dd conv=fsync` (written in 64 KB pieces and
# fsynced, each) at the same concurrency into the same file system, with no network and no
# hashing: roughly what an upload path that fsyncs each file could reach here.
#
# The gateway uploads also print the store's mean time per upload in each phase (receive,
# commit: fsync and rename, metadata) from its clientele_document_upload_phase_seconds, and
# both sides' mean time per upload as curl sees it (its time_total: without the process's own
# start and exit, which the rates include for both alike) beside the gateway's own handler time
# (http_request_duration_seconds of the upload route).
#
# BENCH_PERF=PREFIX BENCH_PERF_RUN=uploads BENCH_PERF_SERVICE=document-store: a perf profile of
# that service during the gateway uploads (lib/stack.sh, perf_start).
#
# usage: Tests/Benchmarks/documents.sh [uploads=100] [size MB=8] [concurrency=4]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
count="${1:-100}"
size_mb="${2:-8}"
concurrency="${3:-4}"
# shellcheck source=lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
start_stack

# A super-admin (care.documents in every company), its session, and one client to attach to.
admin_email="bench@documents.bench"
admin_password="bench-password-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ADMIN_PASSWORD="$admin_password" DATABASE_URL="$(pg_url clientele_gateway)" "$bin/clientctl" create-admin --email "$admin_email" >/dev/null
token="$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" \
    "$gateway/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
company="$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"name":"Documents Bench"}' \
    "$gateway/api/companies" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["number"])')"
client="$(curl -fsS -D - -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Bench Client\",\"email\":\"bench@example.com\",\"company\":$company}" "$gateway/api/clients" \
    | awk -F/ 'tolower($0) ~ /^location:/ {gsub(/\r/, ""); print $NF}')"

# N files of SIZE MB: a PDF header and random bytes (distinct, so nothing deduplicates).
mkdir -p "$work/files" "$work/nginx/body" "$work/nginx/static"
for i in $(seq 1 "$count"); do
    { printf '%%PDF-1.7\n'; head -c $((size_mb * 1024 * 1024 - 9)) /dev/urandom; } >"$work/files/doc-$i.pdf"
done
total_mb=$((count * size_mb))

nginx_port="$(free_port)"
sink_port="$(free_port)"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_max_body_size 1g;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        # The whole body goes to a file on disk (kept), then a body-less call answers.
        location /upload {
            client_body_in_file_only on;
            client_body_buffer_size 128k;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Body-File \$request_body_file;
            proxy_pass http://127.0.0.1:$sink_port;
        }
        location /files/ { alias $work/nginx/static/; }
    }
    server {
        listen 127.0.0.1:$sink_port;
        location / { default_type application/json; return 201 '{"stored":true}'; }
    }
}
CONF
nginx -c "$work/nginx/nginx.conf" &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$nginx_port/files/" 2>/dev/null && break; sleep 0.1; done

now() { date +%s.%N; }
rate() { python3 -c "print(round($1 / ($3 - $2), 1))"; }

# run_parallel FILE_OF_COMMANDS: runs each line with bash, $concurrency at a time; fails on any failure.
run_parallel() { xargs -d '\n' -P "$concurrency" -I{} bash -c '{}' <"$1"; }

# Uploads: the same curl invocation shape for both; each appends its transfer's time (curl's
# time_total: connect to last answer byte, without the process's own start and exit) to its side's file.
: >"$work/nginx-uploads.txt"
: >"$work/gateway-uploads.txt"
for i in $(seq 1 "$count"); do
    echo "curl -fsS -o /dev/null -w '%{time_total}\\n' -F file=@$work/files/doc-$i.pdf http://127.0.0.1:$nginx_port/upload >>$work/nginx-upload-times.txt" >>"$work/nginx-uploads.txt"
    echo "curl -fsS -o $work/files/doc-$i.json -w '%{time_total}\\n' -H 'Authorization: Bearer $token' -F file=@$work/files/doc-$i.pdf -F clientId=$client -F documentType=report $gateway/api/document/upload >>$work/gateway-upload-times.txt" >>"$work/gateway-uploads.txt"
done
start="$(now)"; run_parallel "$work/nginx-uploads.txt"; end="$(now)"
nginx_up="$(rate "$total_mb" "$start" "$end")"
mkdir -p "$work/fsynced"
: >"$work/fsynced-writes.txt"
for i in $(seq 1 "$count"); do
    echo "dd if=$work/files/doc-$i.pdf of=$work/fsynced/doc-$i.pdf bs=64K conv=fsync status=none" >>"$work/fsynced-writes.txt"
done
start="$(now)"; run_parallel "$work/fsynced-writes.txt"; end="$(now)"
fsynced_up="$(rate "$total_mb" "$start" "$end")"
rm -rf "$work/fsynced"
# The store's own timing of each accepted upload by phase (clientele_document_upload_phase_seconds):
# "<phase> <sum> <count>" lines.
upload_phases() {
    service_metrics document-store \
        | sed -n 's/^clientele_document_upload_phase_seconds_\(sum\|count\){phase="\([a-z]*\)"} \(.*\)$/\2 \1 \3/p'
}
# The gateway's own time per upload route request (request head to answer written): "<sum> <count>".
upload_handler() {
    service_metrics gateway \
        | awk '/^http_request_duration_seconds_(sum|count)\{.*route="\/api\/document\/upload",status="201"/ {print $2}' | paste -sd' '
}
# mean_ms FILE: the mean of the seconds in FILE (one a line), in milliseconds.
mean_ms() { python3 -c 'import sys; v = [float(l) for l in open(sys.argv[1]) if l.strip()]; print(f"{sum(v) / len(v) * 1000:.1f}")' "$1"; }
handler_before="$(upload_handler)"
phases_before="$(upload_phases)"
before="$(cpu_sample)"; perf_start uploads
start="$(now)"; run_parallel "$work/gateway-uploads.txt"; end="$(now)"
perf_stop
gateway_up="$(rate "$total_mb" "$start" "$end")"
upload_handler_ms="$(python3 -c 'import sys
b = [float(x) for x in sys.argv[1].split()] or [0, 0]
a = [float(x) for x in sys.argv[2].split()]
print(f"{(a[0] - b[0]) / (a[1] - b[1]) * 1000:.1f}")' "$handler_before" "$(upload_handler)")"
upload_cpu="$(cpu_report "$before" "$(cpu_sample)" "$(python3 -c "print($end - $start)")")"
upload_phase_means="$(python3 - "$phases_before" "$(upload_phases)" <<'PY'
import sys
def load(text):
    values = {}
    for line in text.strip().splitlines():
        phase, kind, value = line.split()
        values[(phase, kind)] = float(value)
    return values
before, after = load(sys.argv[1]), load(sys.argv[2])
parts = []
for phase in ["receive", "commit", "metadata"]:
    count = after.get((phase, "count"), 0) - before.get((phase, "count"), 0)
    total = after.get((phase, "sum"), 0) - before.get((phase, "sum"), 0)
    parts.append(f"{phase} {total / count * 1000:.1f} ms" if count else f"{phase} -")
print("  the store's time per upload (mean): " + ", ".join(parts))
PY
)"

# Downloads: nginx serves the same files statically; the gateway by the url each upload answered.
cp "$work"/files/doc-*.pdf "$work/nginx/static/"
: >"$work/nginx-downloads.txt"
: >"$work/gateway-downloads.txt"
for i in $(seq 1 "$count"); do
    url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["url"])' "$work/files/doc-$i.json")"
    echo "curl -fsS -o /dev/null http://127.0.0.1:$nginx_port/files/doc-$i.pdf" >>"$work/nginx-downloads.txt"
    echo "curl -fsS -o /dev/null -H 'Authorization: Bearer $token' $gateway$url" >>"$work/gateway-downloads.txt"
done
run_parallel "$work/nginx-downloads.txt"   # warm the page cache for both sides alike
start="$(now)"; run_parallel "$work/nginx-downloads.txt"; end="$(now)"
nginx_down="$(rate "$total_mb" "$start" "$end")"
before="$(cpu_sample)"
start="$(now)"; run_parallel "$work/gateway-downloads.txt"; end="$(now)"
gateway_down="$(rate "$total_mb" "$start" "$end")"
download_cpu="$(cpu_report "$before" "$(cpu_sample)" "$(python3 -c "print($end - $start)")")"

printf '%-44s %10s\n' "$count x ${size_mb} MB, $concurrency at a time" "MB/s"
printf '%-44s %10s\n' "nginx uploads (client_body_in_file_only)" "$nginx_up"
printf '%-44s %10s\n' "gateway uploads (streamed, fsynced)" "$gateway_up"
printf '%-44s %10s\n' "context: dd conv=fsync of the same files" "$fsynced_up"
echo "$upload_cpu"
echo "$upload_phase_means"
echo "  time per upload (mean): as curl sees it, nginx $(mean_ms "$work/nginx-upload-times.txt") ms, gateway $(mean_ms "$work/gateway-upload-times.txt") ms; the gateway's handler $upload_handler_ms ms"
printf '%-44s %10s\n' "nginx downloads (static)" "$nginx_down"
printf '%-44s %10s\n' "gateway downloads (authorized)" "$gateway_down"
echo "$download_cpu"
echo "ratio gateway/nginx: uploads $(python3 -c "print(round($gateway_up / $nginx_up, 2))"), downloads $(python3 -c "print(round($gateway_down / $nginx_down, 2))") (target >= 0.5 each)"
echo "context: gateway uploads / dd conv=fsync $(python3 -c "print(round($gateway_up / $fsynced_up, 2))"); dd conv=fsync / nginx $(python3 -c "print(round($fsynced_up / $nginx_up, 2))")"
