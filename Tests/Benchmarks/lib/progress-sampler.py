#!/usr/bin/env python3
"""Samples a service's request counter every 100 ms while a load runs, then says how even
the progress was: the slowest intervals, and the time in stalls (intervals with less than a
tenth of the run's mean rate). A tail in the latency that comes with stalls means the whole
pipeline stopped for a while; one without them means single requests were slow.

usage: progress-sampler.py METRICS_URL COUNTER_PREFIX SECONDS
Prints one line: "stalls <count> <total ms>; slowest 100 ms intervals (offset s: requests): ..."
"""
import sys, time, urllib.request

url, prefix, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])

def count():
    body = urllib.request.urlopen(url, timeout=2).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(prefix))

samples, start, wall_start = [], time.monotonic(), time.strftime("%H:%M:%S", time.gmtime())
while time.monotonic() - start < seconds:
    try:
        samples.append((time.monotonic() - start, count()))
    except OSError:
        pass
    time.sleep(0.1)
rates = [((t1, t2), (n2 - n1) / (t2 - t1)) for (t1, n1), (t2, n2) in zip(samples, samples[1:])]
# Only while the load ran: between the first and the last interval with any progress.
active = [i for i, (_, r) in enumerate(rates) if r > 0]
if not active:
    print("stalls n/a (no progress seen)")
    sys.exit(0)
rates = rates[active[0]:active[-1] + 1]
mean = sum(r * (t2 - t1) for (t1, t2), r in rates) / sum(t2 - t1 for (t1, t2), _ in rates)
stalls = [((t1, t2), r) for (t1, t2), r in rates if r < mean / 10]
slowest = sorted(rates, key=lambda x: x[1])[:5]
print(f"started {wall_start} UTC; stalls {len(stalls)} {sum(t2 - t1 for (t1, t2), _ in stalls) * 1000:.0f}; mean {mean:.0f}/s; slowest 100 ms intervals "
      + ", ".join(f"{t1:.1f} s: {r:.0f}/s" for (t1, _), r in slowest))
