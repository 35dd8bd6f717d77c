#!/usr/bin/env python3
"""The fault suite: faults injected one at a time under a steady mixed load, then checked.

Started by Tests/Faults/run.sh with a supervised stack running (deploy/local/supervise.sh: each
process's pid in <work>/pids/<name>.pid, restarted when it exits). Each phase:

1. the load runs for a few seconds (`--steady`);
2. the fault is injected (`t0`; for a freeze, the moment the process is let go again);
3. recovery is timed from t0: the first write sent after t0 that got a 2xx ("writes back"), and
   the first moment a marker client created after t0 shows at its version in both the search
   and the stats read model ("read models caught up": with one events partition, each read
   model applies the log in order, so the marker's presence means everything written before
   it is applied too);
4. the load runs a little longer, is paused (operations in flight finish, retries included),
   and one more marker is waited for;
5. the checks (checks.py) run on everything written so far; the phase's row counts its own
   writes and what its callers saw.

Exit status 0 when no phase found anything, 1 otherwise.
"""
import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from caller import Caller                                   # noqa: E402
from checks import (Database, IdentityState, Snapshot, WriteTally, caller_view,   # noqa: E402
                    stats_problems)
from load import Load, Tenancy, Write, send_write           # noqa: E402

SERVICES = ["gateway", "command-service", "search-projection", "stats-projection", "document-store", "crm-sync"]
RECOVERY_LIMIT = 120.0    # seconds a fault may take to heal before the phase is a finding
SINGLE_SERVICE_TARGET = 5.0
LOG_LOST_TARGET = 15.0


class NotBuilt(Exception):
    """A fault whose target is not built yet: reported as not run, never as passed."""


# --- The stack's processes ----------------------------------------------------------------------
class Stack:
    def __init__(self, work, ports):
        self.work, self.ports = work, ports

    def pid(self, name, wait=30.0):
        """The supervised process's pid (waiting while it is being restarted)."""
        deadline = time.time() + wait
        path = os.path.join(self.work, "pids", f"{name}.pid")
        while True:
            try:
                with open(path) as handle:
                    return int(handle.read().strip())
            except (OSError, ValueError):
                if time.time() > deadline:
                    return None
                time.sleep(0.05)

    @staticmethod
    def descendants(pid):
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as handle:
                        parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                    children.setdefault(parent, []).append(int(entry))
                except (OSError, IndexError, ValueError):
                    pass
        found, queue = [], [pid]
        while queue:
            for child in children.get(queue.pop(), []):
                found.append(child)
                queue.append(child)
        return found

    def ready(self, name):
        if name == "postgres":
            return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.ports["postgres"])]).returncode == 0
        if name == "broker":
            try:
                socket.create_connection(("127.0.0.1", self.ports["broker"]), timeout=1).close()
                return True
            except OSError:
                return False
        answer = Caller(self.ports[name], 2.0).call("GET", "/readyz")
        return answer.status == 200

    def wait_back(self, name, old_pid, deadline):
        """When `name` runs again under a new pid and is ready, or None."""
        while time.time() < deadline:
            pid = self.pid(name, wait=0.5)
            if pid is not None and pid != old_pid and self.ready(name):
                return time.time()
            time.sleep(0.05)
        return None


# --- Faults ---------------------------------------------------------------------------------------
class Fault:
    """name, what it does, the process it hits, how to inject it (returns t0), and which
    recovery target applies."""

    def __init__(self, name, description, target, inject, restarts, target_seconds=None):
        self.name, self.description, self.target = name, description, target
        self.inject, self.restarts, self.target_seconds = inject, restarts, target_seconds


def kill(name, sig=signal.SIGKILL):
    def inject(stack):
        t0 = time.time()
        os.kill(stack.pid(name), sig)
        return t0
    return inject


def kill_tree(name):
    def inject(stack):
        pid = stack.pid(name)
        os.kill(pid, signal.SIGKILL)
        t0 = time.time()
        for child in Stack.descendants(pid):
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return t0
    return inject


def freeze(name, seconds, tree=False):
    """SIGSTOP (the process, and with `tree` every process under it: PostgreSQL's backends),
    SIGCONT `seconds` later; t0 is the SIGCONT."""
    def inject(stack):
        pid = stack.pid(name)
        os.kill(pid, signal.SIGSTOP)   # first, so it starts no new child meanwhile
        frozen = [pid] + (Stack.descendants(pid) if tree else [])
        for other in frozen[1:]:
            os.kill(other, signal.SIGSTOP)
        time.sleep(seconds)
        for other in reversed(frozen):
            try:
                os.kill(other, signal.SIGCONT)
            except ProcessLookupError:
                pass
        return time.time()
    return inject


class DocumentStoreDiskFull:
    """The document store's volume fills up under the load: uploads through both document routes
    (the leads API's passport, the care API's upload) must answer 503 with `Retry-After` and a JSON
    message (never a 500, never a hang), store nothing (no temporary file, no metadata row, the
    store's verification clean), and work again once space is freed. Needs the store's directory
    on a filesystem of its own (`--documents-fs`, the tmpfs run.sh mounts as root).

    Why 503 and not 507: every write the system cannot store now but may store later answers 503
    with `Retry-After` (the contract this suite checks, and the answer each API's OpenAPI
    operations already list); 507 is WebDAV's, and clients retry 503 but not 507. The message
    says what happened ("Document storage is full; retry later").

    t0 is the moment space is freed (as a freeze's is its end); 'back' is the first upload
    stored after it."""

    UPLOADERS, UPLOADS_EACH, FILE_BYTES = 4, 4, 300_000

    def __init__(self):
        self.fs = self.ports = self.db = self.recorder = self.tenancy = None
        self.findings, self.back, self.lead = [], None, None

    def configure(self, fs, ports, db, recorder, tenancy):
        self.fs, self.ports, self.db, self.recorder, self.tenancy = fs, ports, db, recorder, tenancy

    @staticmethod
    def pdf(size):
        return b"%PDF-1.7\n" + os.urandom(size - 9)

    def upload(self, caller, index, body):
        """One upload (alternately a passport and a care document): its answer, recorded as a write."""
        boundary = f"faults{secrets.token_hex(8)}"
        if index % 2 == 0:
            path, parts = f"/api/clients/passport/{self.lead}", [("passport", "passport.pdf", body)]
        else:
            path, parts = "/api/document/upload", [("file", "plan.pdf", body), ("clientId", None, str(self.lead).encode()),
                                                   ("documentType", None, b"report")]
        data = b""
        for name, filename, value in parts:
            disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
            data += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
            data += (b"Content-Type: application/pdf\r\n" if filename else b"") + b"\r\n" + value + b"\r\n"
        data += f"--{boundary}--\r\n".encode()
        answer = caller.call_raw("POST", path, {"Authorization": f"Bearer {self.tenancy.token}",
                                                "Content-Type": f"multipart/form-data; boundary={boundary}"}, data)
        self.recorder.answer(answer, "documents", "passport" if index % 2 == 0 else "care-upload", True)
        return answer

    def rows(self):
        return int(self.db.value("clientele_documents", "SELECT count(*) FROM documents"))

    def temporary_files(self):
        return os.listdir(os.path.join(self.fs, "tmp")) if os.path.isdir(os.path.join(self.fs, "tmp")) else []

    def verification_problems(self):
        answer = Caller(self.ports["document-store"], 60.0).call("POST", "/internal/v1/document-verification",
                                                                 {"X-Internal-Token": os.environ["INTERNAL_TOKEN"]})
        report = answer.json() if answer.status == 200 else None
        if report is None:
            return [f"the store's verification answered {answer.outcome()}"]
        # Orphaned files are expected: a replaced passport's file waits for the sweep's grace period.
        return [f"verification: {key} {report[key]}" for key in ("missing", "corrupt") if report.get(key)]

    def fill(self):
        """Fills the volume to its last byte; the filler's path."""
        filler = os.path.join(self.fs, "filler")
        with open(filler, "wb", buffering=0) as out:
            for size in (1 << 20, 4096, 1):
                block = b"\0" * size
                try:
                    while True:
                        out.write(block)
                except OSError:
                    pass
        return filler

    def __call__(self, stack):
        if not self.fs:
            raise NotBuilt("the document store's directory is not a filesystem of its own (run.sh mounts a tmpfs as root)")
        self.findings, self.back = [], None
        caller = Caller(self.ports["gateway"], 30.0)
        if self.lead is None:
            company = self.tenancy.companies[0]
            made = caller.call("POST", "/api/clients", {"Authorization": f"Bearer {self.tenancy.token}"},
                               {"name": "Fault documents", "email": f"documents-{secrets.token_hex(4)}@faults.test",
                                "company": company["number"]})
            if made.status != 201:
                raise SystemExit(f"disk-full setup: creating a lead answered {made.outcome()}: {made.body[:300]!r}")
            self.lead = made.headers.get("location", "").rsplit("/", 1)[-1]
        first = self.upload(caller, 1, self.pdf(self.FILE_BYTES))
        if not first.ok:
            self.findings.append(f"an upload before the fault answered {first.outcome()}")
        rows_before = self.rows()
        filler = self.fill()

        answers = []
        lock = threading.Lock()

        def uploader(number):
            own = Caller(self.ports["gateway"], 30.0)
            for round_ in range(self.UPLOADS_EACH):
                answer = self.upload(own, number + round_, self.pdf(self.FILE_BYTES))
                with lock:
                    answers.append(answer)
        threads = [threading.Thread(target=uploader, args=(n,)) for n in range(self.UPLOADERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = [a for a in answers if a.ok]
        for answer in answers:
            if answer.ok:
                continue
            body = answer.json()
            # The care API says what happened; the leads API's 5xx messages are generic by its envelope.
            clear = isinstance(body, dict) and isinstance(body.get("message"), str) and (
                "full" in body["message"] or "success" not in body)
            if answer.status != 503 or not clear:
                self.findings.append(f"an upload on a full disk answered {answer.outcome()} {answer.body[:160]!r}, "
                                     "not 503 with a JSON message (the care API's saying storage is full)")
        deadline = time.time() + 10
        while self.temporary_files() and time.time() < deadline:
            time.sleep(0.1)
        if self.temporary_files():
            self.findings.append(f"{len(self.temporary_files())} temporary file(s) left by refused uploads")
        if self.rows() != rows_before + len(stored):
            self.findings.append(f"metadata rows: {self.rows()}, expected {rows_before + len(stored)} "
                                 f"({len(stored)} upload(s) stored while full)")
        self.findings += self.verification_problems()

        os.unlink(filler)
        t0 = time.time()
        deadline = t0 + RECOVERY_LIMIT
        body = self.pdf(self.FILE_BYTES)
        answer = None
        while time.time() < deadline:
            answer = self.upload(caller, 0, body)
            if answer.ok:
                self.back = time.time()
                break
            time.sleep(0.2)
        if self.back is None:
            self.findings.append(f"no upload was stored within {RECOVERY_LIMIT:.0f} s of freeing space "
                                 f"(the last answered {answer.outcome()} {answer.body[:160]!r})")
        else:
            download = caller.call_raw("GET", f"/api/clients/passport/{self.lead}",
                                       {"Authorization": f"Bearer {self.tenancy.token}"}, None)
            if download.status != 200 or download.body != body:
                self.findings.append(f"the upload after the fault downloads as {download.outcome()}, "
                                     f"{len(download.body)} bytes of {len(body)}")
        self.findings += self.verification_problems()
        print(f"   disk full: {len(answers)} uploads answered "
              + ", ".join(f"{status}x{sum(1 for a in answers if a.outcome() == status)}"
                          for status in sorted({a.outcome() for a in answers}))
              + f"; stored again {seconds(self.back, t0)} s after space was freed", flush=True)
        return t0


document_store_disk_full = DocumentStoreDiskFull()


def none(stack):
    return time.time()


FAULTS = [
    Fault("baseline", "no fault: the load alone", None, none, False),
    Fault("gateway-kill", "kill -9 gateway", "gateway", kill("gateway"), True, SINGLE_SERVICE_TARGET),
    Fault("command-service-kill", "kill -9 command-service", "command-service", kill("command-service"), True,
          SINGLE_SERVICE_TARGET),
    Fault("command-service-freeze", "SIGSTOP command-service for 20 s (past the gateway's 15 s upstream timeout)",
          "command-service", freeze("command-service", 20), False),
    Fault("postgres-restart", "PostgreSQL fast shutdown (SIGINT), supervisor restarts it", "postgres",
          kill("postgres", signal.SIGINT), True),
    Fault("search-projection-kill", "kill -9 search-projection", "search-projection", kill("search-projection"), True,
          SINGLE_SERVICE_TARGET),
    Fault("stats-projection-kill", "kill -9 stats-projection", "stats-projection", kill("stats-projection"), True,
          SINGLE_SERVICE_TARGET),
    Fault("postgres-freeze", "SIGSTOP every PostgreSQL process for 10 s", "postgres", freeze("postgres", 10, tree=True),
          False),
    Fault("document-store-kill", "kill -9 document-store", "document-store", kill("document-store"), True,
          SINGLE_SERVICE_TARGET),
    Fault("crm-sync-kill", "kill -9 crm-sync", "crm-sync", kill("crm-sync"), True, SINGLE_SERVICE_TARGET),
    Fault("broker-freeze", "SIGSTOP broker for 10 s", "broker", freeze("broker", 10), False),
    Fault("postgres-crash", "kill -9 every PostgreSQL process", "postgres", kill_tree("postgres"), True),
    Fault("broker-restart", "kill -9 broker: restarted empty, its log lost", "broker", kill("broker"), True,
          LOG_LOST_TARGET),
    Fault("document-store-disk-full", "the document store's volume full while uploads come in, then space freed",
          "document-store", document_store_disk_full, False),
]
SHORT = ["baseline", "gateway-kill", "command-service-kill", "postgres-restart", "search-projection-kill",
         "broker-restart", "document-store-disk-full"]


# --- Recovery markers -------------------------------------------------------------------------------
class Markers:
    """Marker clients (Organization API creates in a company of their own), to time recovery."""

    def __init__(self, ports, company, recorder, db):
        self.caller = Caller(ports["gateway"], 20.0)
        self.company, self.recorder, self.db = company, recorder, db
        self.count = 0

    def write(self, deadline):
        """Creates a marker (retried with its key); its (id, version), or None by `deadline`."""
        while time.time() < deadline:
            self.count += 1
            write = Write(f"f-m-{self.count}", "marker", "create")
            headers = {"Authorization": f"Bearer {self.company['key']}", "Idempotency-Key": write.wid}
            answer = send_write(self.caller, self.recorder, write, "POST", "/api/v1/clients", headers,
                                {"name": f"Marker {self.count}"}, True, lambda: time.time() > deadline)
            if write.outcome == "acked":
                write.client, write.version = answer.json()["data"]["id"], answer.etag_version()
                return write.client, write.version
            time.sleep(0.1)
        return None

    def visible(self, client, version):
        query = f"SELECT version FROM {{}} WHERE id = '{uuid.UUID(client)}'"
        for database, table in (("clientele_search", "clients"), ("clientele_stats", "stats_clients")):
            try:
                rows = self.db.rows(database, query.format(table), attempts=1)
            except RuntimeError:
                return False
            if not rows or int(rows[0][0]) < version:
                return False
        return True

    def caught_up(self, deadline):
        """Writes a marker and waits until both read models show it: the time they do, or None."""
        marker = self.write(deadline)
        if marker is None:
            return None
        while time.time() < deadline:
            if self.visible(*marker):
                return time.time()
            time.sleep(0.1)
        return None


class Progress(threading.Thread):
    """Once a second until stopped: where each projection and the command service's outbox and
    republish stand (their /internal/v1 status), as JSON lines in <work>/logs/progress.jsonl, so
    a slow recovery shows where its time went."""

    def __init__(self, ports, token, work, fault, t0):
        super().__init__(daemon=True)
        self.ports, self.token, self.fault, self.t0 = ports, token, fault, t0
        self.path = os.path.join(work, "logs", "progress.jsonl")
        self.done = threading.Event()

    def sample(self, service, path):
        answer = Caller(self.ports[service], 1.0).call("GET", path, {"X-Internal-Token": self.token})
        return answer.json() if answer.status == 200 else answer.outcome()

    def run(self):
        with open(self.path, "a") as out:
            while not self.done.wait(1.0):
                out.write(json.dumps({
                    "fault": self.fault, "t": round(time.time() - self.t0, 2),
                    "search": self.sample("search-projection", "/internal/v1/status"),
                    "stats": self.sample("stats-projection", "/internal/v1/status"),
                    "commands": self.sample("command-service", "/internal/v1/status"),
                    "republish": self.sample("command-service", "/internal/v1/admin/republish"),
                }) + "\n")
                out.flush()


# --- Setup ----------------------------------------------------------------------------------------------
def setup(ports, admin_email, admin_password, workers, seeded):
    """Logs the super-admin in and makes, through the API, three companies with an API key each,
    one for markers, with `seeded` one for the seeded events, and a staff user per worker."""
    caller = Caller(ports["gateway"], 30.0)

    def call(method, path, body, token=None, expect=(200, 201)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = caller.call(method, path, headers, body)
        if answer.status not in expect:
            raise SystemExit(f"setup: {method} {path} answered {answer.outcome()}: {answer.body[:300]!r}")
        return answer.json()

    token = call("POST", "/api/auth/login", {"email": admin_email, "password": admin_password})["token"]

    def company(name):
        made = call("POST", "/api/companies", {"name": name}, token)["data"]
        made["key"] = call("POST", "/api/api-keys", {"companyId": made["id"]}, token)["data"]["key"]
        return made

    companies = [company(f"Fault {letter}") for letter in "ABC"]
    markers = company("Fault Markers")
    users = []
    for index in range(workers):
        user = call("POST", "/api/users", {"email": f"fault-user-{index}@faults.test", "name": f"Fault user {index}",
                                           "password": secrets.token_urlsafe(18), "roles": ["sales"],
                                           "companies": [companies[index % len(companies)]["id"]]}, token)["data"]
        users.append(user["id"])
    return Tenancy(companies, markers, token, users), company("Fault Seed") if seeded else None


def seed(db, root, bin_dir, ports, company, events):
    """`events` client.created events straight into the store, put on the log by `clientctl
    republish`, and waited for in both read models."""
    print(f"seeding {events} events into the event store and republishing them...", flush=True)
    started = time.time()
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(ports["postgres"]), "-U", "postgres", "-d", "clientele_commands",
                    "-qAtX", "-v", "ON_ERROR_STOP=1", "-v", f"n={events}", "-v", f"tenant={company['id']}",
                    "-v", "actor=faults", "-f", os.path.join(root, "Tests/Benchmarks/lib/seed-clients.sql")],
                   check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, COMMAND_SERVICE_URL=f"http://127.0.0.1:{ports['command-service']}")
    subprocess.run([os.path.join(bin_dir, "clientctl"), "republish"], check=True, env=env, stdout=subprocess.DEVNULL)
    tenant = company["id"]
    while True:
        search = int(db.value("clientele_search", f"SELECT count(*) FROM clients WHERE tenant_id = '{tenant}'"))
        stats = int(db.value("clientele_stats", f"SELECT count(*) FROM stats_clients WHERE tenant_id = '{tenant}'"))
        if search >= events and stats >= events:
            break
        if time.time() - started > 900:
            raise SystemExit(f"seeding: the read models hold {search} and {stats} of {events} events after 15 minutes")
        time.sleep(1)
    print(f"  seeded and applied in {time.time() - started:.1f} s", flush=True)


# --- Phases ---------------------------------------------------------------------------------------------
class Phase:
    def __init__(self, fault):
        self.fault = fault
        self.start = self.end = self.t0 = None
        self.back = self.caught_up = self.writes_back = None
        self.not_run = None
        self.tally = WriteTally()
        self.seen = {}
        self.findings = []


def run_phase(fault, stack, load, markers, db, stats_get, tenants, steady, settle, ports, work):
    phase = Phase(fault)
    phase.start = time.time()
    load.resume()
    time.sleep(steady)
    old_pid = stack.pid(fault.target) if fault.target else None
    try:
        phase.t0 = fault.inject(stack)
    except NotBuilt as reason:
        phase.not_run = str(reason)
        phase.end = load.pause()
        return phase
    # A fault that checks what its own callers saw (the disk-full uploads) reports it here.
    phase.findings += list(getattr(fault.inject, "findings", []))
    phase.back = getattr(fault.inject, "back", None)
    deadline = phase.t0 + RECOVERY_LIMIT
    progress = Progress(ports, os.environ["INTERNAL_TOKEN"], work, fault.name, phase.t0)
    progress.start()
    back = {}
    watcher = None
    if fault.restarts:
        watcher = threading.Thread(target=lambda: back.setdefault("t", stack.wait_back(fault.target, old_pid, deadline)))
        watcher.start()
    caught = markers.caught_up(deadline)
    if watcher:
        watcher.join()
        phase.back = back.get("t")
        if phase.back is None:
            phase.findings.append(f"{fault.target} was not running and ready again within {RECOVERY_LIMIT:.0f} s")
    phase.caught_up = caught
    progress.done.set()
    progress.join()
    if caught is None:
        phase.findings.append(f"the read models did not catch up within {RECOVERY_LIMIT:.0f} s")
    time.sleep(settle)
    phase.end = load.pause()
    if markers.caught_up(time.time() + RECOVERY_LIMIT) is None:
        phase.findings.append("with the load paused, the read models did not catch up")
    check(phase, load, db, stats_get, tenants, stack)
    return phase


def check(phase, load, db, stats_get, tenants, stack):
    writes = [w for w in load.recorder.writes if phase.start <= w.t_first <= phase.end]
    after = [w.last.t_done for w in writes if w.outcome == "acked" and w.last.t_send >= phase.t0]
    phase.writes_back = min(after) if after else None
    answers = [entry for entry in load.recorder.answers if phase.start <= entry[0].t_send <= phase.end]
    gateway_fault = phase.fault.target == "gateway"
    seen, violations = caller_view(answers, transport_errors_allowed=gateway_fault)
    phase.seen = seen
    for problem, count in sorted(violations.items()):
        phase.findings.append(f"{problem} ({count}x)")
    snapshot = None
    for attempt in range(3):   # the read models settle on their own; a difference that stays is a finding
        snapshot = Snapshot(db)
        if not snapshot.read_model_problems() or attempt == 2:
            break
        time.sleep(3)
    identity = IdentityState(db)
    phase.tally.count(writes, snapshot, identity)
    phase.findings += phase.tally.problems[:20]
    phase.findings += snapshot.read_model_problems()
    phase.findings += stats_problems(db, stats_get, tenants)
    phase.findings += identity.user_problems(load.tenancy.users, load.workers)
    for name in SERVICES:
        if not stack.ready(name):
            phase.findings.append(f"{name} is not ready after the phase")
    with load.recorder.lock:
        errors, load.driver_errors[:] = list(load.driver_errors), []
    phase.findings += [f"driver: {error}" for error in errors[:10]]


# --- The table ----------------------------------------------------------------------------------------------
def seconds(value, t0):
    return f"{value - t0:.1f}" if value is not None and t0 is not None else "-"


def render(phases, seeded):
    header = ["fault", "writes acked", "lost", "doubled", "no answer (written)", "back s", "writes s",
              "read models s", "target", "errors seen by callers (status x count)"]
    rows = []
    for phase in phases:
        if phase.not_run:
            rows.append([phase.fault.name, "NOT RUN", "", "", "", "", "", "", "", phase.not_run])
            continue
        tally = phase.tally
        target = "-"
        if phase.fault.target_seconds:
            worst = max([t for t in (phase.caught_up, phase.writes_back) if t is not None] or [float("inf")])
            met = worst - phase.t0 < phase.fault.target_seconds
            target = f"<{phase.fault.target_seconds:.0f} {'met' if met else 'MISSED'}"
        errors = " ".join(f"{outcome}x{count}" for outcome, count in sorted(phase.seen.items())) or "none"
        rows.append([phase.fault.name, str(tally.acked), str(tally.lost), str(tally.doubled),
                     f"{tally.uncertain} ({tally.uncertain_written})", seconds(phase.back, phase.t0),
                     seconds(phase.writes_back, phase.t0), seconds(phase.caught_up, phase.t0), target, errors])
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    notes = ["times from the fault (for a freeze, from its end): 'back' = the process runs again and is ready;",
             "'writes' = the first write sent after it got a 2xx; 'read models' = a marker written after it shows",
             f"in both read models. Event store before the load: {seeded} seeded events."]
    return "\n".join(lines + [""] + notes)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--ports", required=True)
    parser.add_argument("--admin-email", required=True)
    parser.add_argument("--seed-events", type=int, default=0)
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--documents-fs", default="", help="the document store's directory, a filesystem of its own")
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--think", type=float, default=0.02, help="seconds each worker waits between operations")
    parser.add_argument("faults", nargs="*")
    args = parser.parse_args()
    ports = json.loads(args.ports)
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
    names = args.faults or (SHORT if args.short else [fault.name for fault in FAULTS])
    unknown = set(names) - {fault.name for fault in FAULTS}
    if unknown:
        raise SystemExit(f"unknown faults: {', '.join(sorted(unknown))}; known: {', '.join(f.name for f in FAULTS)}")
    chosen = [fault for fault in FAULTS if fault.name in names]
    steady, settle = (2.0, 2.0) if args.short else (4.0, 3.0)

    db = Database(ports["postgres"])
    stack = Stack(args.work, ports)
    tenancy, seeded_company = setup(ports, args.admin_email, os.environ["FAULTS_ADMIN_PASSWORD"], args.workers,
                                    seeded=args.seed_events > 0)
    token = os.environ["INTERNAL_TOKEN"]
    stats_caller = Caller(ports["stats-projection"], 10.0)

    def stats_get(tenant):
        query = "allTenants=true" if tenant == "all" else f"tenantId={tenant}"
        answer = stats_caller.call("GET", f"/internal/v1/stats?{query}", {"X-Internal-Token": token})
        return answer.json() if answer.status == 200 else None

    tenants = [company["id"] for company in tenancy.companies + [tenancy.markers]]
    if seeded_company:
        seed(db, root, args.bin, ports, seeded_company, args.seed_events)
        tenants.append(seeded_company["id"])

    load = Load(ports["gateway"], tenancy, args.workers, args.think)
    markers = Markers(ports, tenancy.markers, load.recorder, db)
    document_store_disk_full.configure(args.documents_fs, ports, db, load.recorder, tenancy)
    phases = []
    for fault in chosen:
        print(f"== {fault.name}: {fault.description}", flush=True)
        phase = run_phase(fault, stack, load, markers, db, stats_get, tenants, steady, settle, ports, args.work)
        phases.append(phase)
        if phase.not_run:
            print(f"   not run: {phase.not_run}", flush=True)
            continue
        print(f"   {phase.tally.acked} writes acknowledged, read models caught up "
              f"{seconds(phase.caught_up, phase.t0)} s after it; "
              f"{len(phase.findings)} finding(s)", flush=True)
        for finding in phase.findings:
            print(f"   FINDING: {finding}", flush=True)
    load.stop()
    keep_records(args.work, load)
    print()
    print(render(phases, args.seed_events))
    findings = sum(len(phase.findings) for phase in phases)
    not_run = [phase.fault.name for phase in phases if phase.not_run]
    if not_run:
        print(f"not run: {', '.join(not_run)} (see the hook in Tests/Faults/lib/faults.py)")
    print(f"{findings} finding(s)" if findings else "no findings: nothing lost, nothing doubled, every caller answered "
          "within the contract")
    return 1 if findings else 0


def keep_records(work, load):
    """Every logical write and every answer, as JSON lines in <work>/logs (FAULTS_KEEP_LOGS keeps them)."""
    with open(os.path.join(work, "logs", "writes.jsonl"), "w") as out:
        for write in load.recorder.writes:
            out.write(json.dumps({"wid": write.wid, "api": write.api, "op": write.op, "outcome": write.outcome,
                                  "client": write.client, "version": write.version,
                                  "attempts": [[a.t_send, a.t_done, a.outcome(), a.headers.get("retry-after")]
                                               for a in write.attempts]}) + "\n")
    with open(os.path.join(work, "logs", "answers.jsonl"), "w") as out:
        for answer, api, op, is_write in load.recorder.answers:
            out.write(json.dumps([answer.t_send, answer.t_done, api, op, is_write, answer.outcome()]) + "\n")


if __name__ == "__main__":
    sys.exit(main())
