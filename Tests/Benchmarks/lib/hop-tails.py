#!/usr/bin/env python3
"""Where a create's slow tail came from: for each hop's histogram, how many observations
between two /metrics snapshots took longer than 25, 50 and 100 ms.

A create passes the hops in this order: the command service's request (append),
the outbox's publish age (occurred until Kafka acknowledged), the search projection's
event age (occurred until applied), the gateway's whole request. A tail that starts at one
hop and is carried by the later ones shows where the time went.

usage: hop-tails.py BEFORE AFTER   (files of "<service> <metrics line>" lines)
"""
import re, sys, collections

HOPS = [
    ("command-service", 'http_request_duration_seconds', 'route="/internal/v1/client-commands"', "append (command service)"),
    ("command-service", 'clientele_outbox_publish_age_seconds', '', "occurred -> Kafka ack"),
    ("search-projection", 'clientele_projection_event_age_seconds', 'target="live"', "occurred -> applied (search)"),
    ("gateway", 'http_request_duration_seconds', 'method="POST",route="/api/v1/clients"', "create through the gateway"),
]

def load(path):
    buckets = collections.defaultdict(float)
    for line in open(path):
        parts = line.split()
        if len(parts) < 3:
            continue
        match = re.match(r'(\S+)_bucket\{(.*)le="([^"]+)"\}$', parts[1])
        if match:
            buckets[(parts[0], match.group(1), match.group(2), match.group(3))] += float(parts[2])
    return buckets

before, after = load(sys.argv[1]), load(sys.argv[2])
for service, metric, labels, title in HOPS:
    counts = collections.defaultdict(float)
    for key, value in after.items():
        if key[0] == service and key[1] == metric and labels in key[2]:
            counts[key[3]] += value - before.get(key, 0)
    if not counts:
        continue
    total = counts.get("+Inf", 0)
    def above(ms):
        finite = [(float(le), n) for le, n in counts.items() if le != "+Inf" and float(le) * 1000 <= ms + 1e-9]
        return total - (max(finite)[1] if finite else 0)
    print(f"   {title:30s} {int(total):7d} observed; over 25 ms {int(above(25)):5d}, over 50 ms {int(above(50)):5d}, over 100 ms {int(above(100)):5d}")
