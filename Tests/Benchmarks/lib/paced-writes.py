#!/usr/bin/env python3
"""Write-to-visible latency at a fixed write rate (an open-loop load, unlike wrk's closed loop).

POSTs /api/v1/clients at RATE writes/s for SECONDS through the gateway. Request i is due at
start + i/RATE whatever happened before it, and its latency is counted from that due time (so
a stall shows up in the figures instead of slowing the load down: no coordinated omission).

A 201 from the gateway means the write is visible: the gateway answers a write only after the
search projection shows it (read-your-writes), or sends `X-Consistency: pending` when its wait
ran out. So the time from due to a 201 without `pending` is the write-to-visible latency;
answers with `pending` (not visible in time) and non-201 answers are counted apart. Every
SAMPLE_EVERY-th created client is also read back through the gateway at once, and a read that
does not show it counts as a failure.

Prints one line: `sent N visible N pending N failed N readback N/M p50 X p90 X p99 X max X` (ms).

usage: paced-writes.py GATEWAY_URL API_KEY RATE SECONDS [CONNECTIONS=64]
"""
import asyncio
import json
import sys
import time

SAMPLE_EVERY = 50


async def exchange(reader, writer, method, path, host, key, body=None):
    """One HTTP/1.1 keep-alive request; returns (status, headers, body bytes)."""
    payload = body.encode() if body is not None else b""
    head = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Length: {len(payload)}\r\n")
    if body is not None:
        head += "Content-Type: application/json\r\n"
    writer.write(head.encode() + b"\r\n" + payload)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    data = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, data


async def main():
    url, key, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    connections = int(sys.argv[5]) if len(sys.argv) > 5 else 64
    host_port = url.split("//", 1)[1].rstrip("/")
    host, port = host_port.split(":")
    idle = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection(host, int(port)))
    latencies, counts = [], {"visible": 0, "pending": 0, "failed": 0, "readback_ok": 0, "readback": 0}
    prefix = f"{int(time.time())}"

    async def one(i, due):
        connection = await idle.get()
        try:
            body = json.dumps({"name": f"Paced client {prefix}-{i}", "phone": f"+1 555-{i % 10000:04d}"})
            status, headers, data = await exchange(*connection, "POST", "/api/v1/clients", host_port, key, body)
            done = time.monotonic()
            if status != 201:
                counts["failed"] += 1
                return
            if headers.get("x-consistency") == "pending":
                counts["pending"] += 1
                return
            counts["visible"] += 1
            latencies.append((done - due) * 1000)
            if i % SAMPLE_EVERY == 0:
                client_id = json.loads(data)["data"]["id"]
                counts["readback"] += 1
                status, _, data = await exchange(*connection, "GET", f"/api/v1/clients/{client_id}", host_port, key)
                if status == 200 and json.loads(data)["data"]["name"] == f"Paced client {prefix}-{i}":
                    counts["readback_ok"] += 1
        except Exception:
            counts["failed"] += 1
            connection = await asyncio.open_connection(host, int(port))
        finally:
            idle.put_nowait(connection)

    total = int(rate * seconds)
    start = time.monotonic()
    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 1) if latencies else float("nan")

    print(f"sent {total} visible {counts['visible']} pending {counts['pending']} failed {counts['failed']} "
          f"readback {counts['readback_ok']}/{counts['readback']} "
          f"p50 {pct(0.50)} p90 {pct(0.90)} p99 {pct(0.99)} max {round(latencies[-1], 1) if latencies else 'nan'}")


asyncio.run(main())
