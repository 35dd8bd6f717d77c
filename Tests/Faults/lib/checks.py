"""The fault suite's checks: what the callers were told against what the stores hold.

- Every write: a 2xx is in the event store exactly once (found by its correlation id), with
  the version its ETag gave, and its client's final version is in every read model; a write
  with no answer (or a 5xx) is there once or not at all; a refused write (4xx) is not there.
- The event store against the read models, every client: the search read model (`clients`)
  and the stats read model (`stats_clients`) hold each stream at its final version, deleted
  exactly when the store says so, and nothing else; no event is parked.
- The stats figures (`GET /internal/v1/stats`, per company and over all) equal a recount of
  the search read model.
- Identity writes (companies, users' names), which are not events: acknowledged ones are in
  the gateway's database once, and a user's name is the last acknowledged one or a later
  unanswered one.
- What callers saw: no 500, every 503 with `Retry-After`, no write answered with another 5xx,
  no request left unanswered past the request timeout, no 5xx body carrying internals, and no
  broken connection unless the gateway itself was the fault.
"""
import collections
import subprocess
import time

INTERNALS = (b"SQLSTATE", b"PostgresError", b".swift", b"Fatal error", b"Traceback", b"libpq", b"rdkafka")


class Database:
    """psql against the stack's PostgreSQL (trust auth on loopback)."""

    def __init__(self, port):
        self.port = port

    def rows(self, database, sql, attempts=5):
        for attempt in range(attempts):
            done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                                   "-qAtX", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                                  capture_output=True, text=True, timeout=120,
                                  env={"PGCONNECT_TIMEOUT": "5", "PATH": "/usr/bin:/bin"})
            if done.returncode == 0:
                return [line.split("\t") for line in done.stdout.splitlines() if line]
            if attempt == attempts - 1:
                raise RuntimeError(f"psql on {database} failed: {done.stderr.strip()[:300]}")
            time.sleep(1)

    def value(self, database, sql):
        rows = self.rows(database, sql)
        return rows[0][0] if rows else None


class Snapshot:
    """The event store and both read models, read together once the load is paused."""

    def __init__(self, db):
        self.streams = {}   # stream id -> (final version, deleted)
        for stream, version, deleted in db.rows("clientele_commands",
                                                "SELECT stream_id, max(stream_version), bool_or(type = 'client.deleted') "
                                                "FROM events GROUP BY stream_id"):
            self.streams[stream] = (int(version), deleted == "t")
        self.by_correlation = collections.defaultdict(list)   # correlation id -> [(stream, version, type)]
        for correlation, stream, version, kind in db.rows(
                "clientele_commands",
                "SELECT correlation_id, stream_id, stream_version, type FROM events WHERE correlation_id LIKE 'f-%'"):
            self.by_correlation[correlation].append((stream, int(version), kind))
        self.search = {row[0]: (int(row[1]), row[2] == "t")
                       for row in db.rows("clientele_search", "SELECT id, version, deleted FROM clients")}
        self.stats = {row[0]: (int(row[1]), row[2] == "t")
                      for row in db.rows("clientele_stats", "SELECT id, version, deleted FROM stats_clients")}
        self.parked = {name: int(db.value(database, "SELECT count(*) FROM projection_parked_events"))
                       for name, database in (("search", "clientele_search"), ("stats", "clientele_stats"))}

    def read_model_problems(self, limit=5):
        """Streams a read model lacks, holds at another version, or holds without the store."""
        problems = []
        for name, model in (("search", self.search), ("stats", self.stats)):
            differing = [stream for stream, final in self.streams.items() if model.get(stream) != final]
            extra = [stream for stream in model if stream not in self.streams]
            for stream in differing[:limit]:
                problems.append(f"{name} read model holds client {stream} at {model.get(stream)}, "
                                f"the event store at {self.streams[stream]} (version, deleted)")
            if len(differing) > limit:
                problems.append(f"{name} read model: {len(differing) - limit} more clients differ from the event store")
            if extra:
                problems.append(f"{name} read model holds {len(extra)} clients the event store does not")
            if self.parked[name]:
                problems.append(f"{name} projection parked {self.parked[name]} events")
        return problems


class WriteTally:
    """What became of a set of writes."""

    def __init__(self):
        self.acked = self.lost = self.doubled = self.uncertain = self.uncertain_written = self.refused = 0
        self.problems = []

    def count(self, writes, snapshot, identity):
        for write in writes:
            if write.api == "identity":
                self.identity(write, identity)
                continue
            events = snapshot.by_correlation.get(write.wid, [])
            if write.outcome == "acked":
                self.acked += 1
                if not events:
                    self.lost += 1
                    self.problems.append(f"lost: {write.api} {write.op} {write.wid} was acknowledged "
                                         f"({write.last.status}) but is not in the event store")
                    continue
                if len(events) > 1:
                    self.doubled += 1
                    self.problems.append(f"doubled: {write.api} {write.op} {write.wid} is in the event store "
                                         f"{len(events)} times")
                    continue
                stream, version, _ = events[0]
                if write.version is not None and write.version != version:
                    self.problems.append(f"{write.api} {write.op} {write.wid}: ETag said version {write.version}, "
                                         f"the event store has {version}")
                final = snapshot.streams[stream]
                missing = [name for name, model in (("search", snapshot.search), ("stats", snapshot.stats))
                           if model.get(stream) != final]
                if missing:
                    self.lost += 1
                    self.problems.append(f"lost: {write.api} {write.op} {write.wid} is stored but the "
                                         f"{' and '.join(missing)} read model does not show client {stream} "
                                         f"at its final version {final[0]}")
            elif write.outcome == "uncertain":
                self.uncertain += 1
                if len(events) > 1:
                    self.doubled += 1
                    self.problems.append(f"doubled: unanswered {write.api} {write.op} {write.wid} is in the event "
                                         f"store {len(events)} times")
                elif events:
                    self.uncertain_written += 1
            else:
                self.refused += 1
                if events:
                    self.problems.append(f"{write.api} {write.op} {write.wid} was refused "
                                         f"({write.last.status}) but is in the event store")

    def identity(self, write, identity):
        if write.op == "company_create":
            stored = identity.companies.get(write.client.lower(), 0)
            if write.outcome == "acked":
                self.acked += 1
                if stored != 1:
                    self.lost += stored == 0
                    self.problems.append(f"company {write.wid} was acknowledged but is stored {stored} times")
            elif write.outcome == "uncertain":
                self.uncertain += 1
                self.uncertain_written += stored
            else:
                self.refused += 1
        else:   # user_update: the user's final name is checked per user (IdentityState.user_problems)
            if write.outcome == "acked":
                self.acked += 1
            elif write.outcome == "uncertain":
                self.uncertain += 1
            else:
                self.refused += 1


class IdentityState:
    """The gateway database's companies and users, as the identity checks need them."""

    def __init__(self, db):
        self.companies = collections.Counter(
            row[0].lower() for row in db.rows("clientele_gateway", "SELECT name FROM companies WHERE name LIKE 'Fault Co %'"))
        self.users = {row[0]: row[1] for row in db.rows("clientele_gateway", "SELECT id, name FROM users")}

    def user_problems(self, users, workers):
        """Each worker's user holds the name of its last acknowledged update or of a later unanswered one."""
        problems = []
        for worker in workers:
            updates = worker.user_names
            if not updates:
                continue
            acked = [i for i, write in enumerate(updates) if write.outcome == "acked"]
            start = acked[-1] if acked else 0
            allowed = {write.client for write in updates[start:] if write.outcome in ("acked", "uncertain")}
            if not acked:
                allowed.add(f"Fault user {worker.index}")
            stored = self.users.get(users[worker.index])
            if stored not in allowed:
                problems.append(f"user of worker {worker.index} is named {stored!r}; "
                                f"expected one of {sorted(allowed)}")
        return problems


STATS_FIGURES = [("overview", "totalClients"), ("overview", "activeClients"), ("overview", "inactiveClients"),
                 ("overview", "suspendedClients"), ("overview", "trialClients"), ("plans", "free"),
                 ("plans", "standard"), ("plans", "premium"), ("accountTypes", "individual"),
                 ("accountTypes", "business"), ("accountTypes", "enterprise"), ("engagement", "totalSubmissions")]

RECOUNT_SQL = """
SELECT {tenant}, count(*), count(*) FILTER (WHERE status = 'active'), count(*) FILTER (WHERE status = 'inactive'),
       count(*) FILTER (WHERE status = 'suspended'), count(*) FILTER (WHERE status = 'trial'),
       count(*) FILTER (WHERE plan_effective = 'free'), count(*) FILTER (WHERE plan_effective = 'standard'),
       count(*) FILTER (WHERE plan_effective = 'premium'),
       count(*) FILTER (WHERE account_type_effective = 'individual'),
       count(*) FILTER (WHERE account_type_effective = 'business'),
       count(*) FILTER (WHERE account_type_effective = 'enterprise'), coalesce(sum(submission_count), 0)
FROM clients WHERE NOT deleted {group}
"""


def stats_problems(db, stats_get, tenants):
    """The stats projection's figures for each tenant and for all, against a recount of search."""
    recount = {row[0]: [int(v) for v in row[1:]]
               for row in db.rows("clientele_search", RECOUNT_SQL.format(tenant="tenant_id::text", group="GROUP BY tenant_id"))}
    recount["all"] = [int(v) for v in db.rows("clientele_search", RECOUNT_SQL.format(tenant="'all'", group=""))[0][1:]]
    problems = []
    for tenant in list(tenants) + ["all"]:
        figures = stats_get(tenant)
        if figures is None:
            problems.append(f"stats for {tenant}: the stats projection did not answer")
            continue
        served = [int(figures[part][name]) for part, name in STATS_FIGURES]
        expected = recount.get(tenant, [0] * len(STATS_FIGURES))
        for (part, name), got, want in zip(STATS_FIGURES, served, expected):
            if got != want:
                problems.append(f"stats for {tenant}: {part}.{name} is {got}, a recount of search gives {want}")
    return problems


def caller_view(answers, transport_errors_allowed):
    """Counts what callers saw (anything but a plain 2xx: errors, and writes answered before the
    search read model showed them, `X-Consistency: pending`) and the answers that break the contract."""
    seen = collections.Counter()
    violations = collections.Counter()
    for answer, api, op, is_write in answers:
        if answer.ok:
            if answer.headers.get("x-consistency") == "pending":
                seen["2xx pending"] += 1
            continue
        seen[answer.outcome()] += 1
        status = answer.status
        if status == 500:
            violations[f"{api} {op} answered 500"] += 1
        if status == 503 and "retry-after" not in answer.headers:
            violations[f"{api} {op} answered 503 without Retry-After"] += 1
        if is_write and status is not None and status > 500 and status != 503:
            violations[f"{api} {op} (a write) answered {status}, not 503"] += 1
        if status is not None and status >= 500 and any(marker in answer.body for marker in INTERNALS):
            violations[f"{api} {op} answered {status} with internals in its body"] += 1
        if answer.error == "timeout":
            violations[f"{api} {op} got no answer within the request timeout"] += 1
        elif answer.error is not None and not transport_errors_allowed:
            violations[f"{api} {op}: connection {answer.error} while the gateway was running"] += 1
    return seen, violations
