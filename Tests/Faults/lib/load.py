"""The fault suite's load: creates, updates, deletes and reads through every built API, from
several companies, each request and its outcome recorded.

Each worker thread owns the clients it created, so the writes to one client come from one
worker, one at a time. Every write carries its own `X-Correlation-Id` (`f-<worker>-<n>`), which
the command service stores with the event (`events.correlation_id`): that is how the checks
find what each write did. Organization API writes also carry that id as their
`Idempotency-Key` and are sent again with it after no answer or a 5xx, as a careful client
would; the other APIs take no key, so their writes are sent once.
"""
import random
import threading
import time

from caller import Caller

REQUEST_TIMEOUT = 20.0   # seconds; the gateway gives up on an upstream after 15
RETRY_WINDOW = 60.0      # an Organization API write is retried for this long
V1_STATUSES = ["active", "inactive"]
ADMIN_STATUSES = ["active", "inactive", "suspended", "trial"]
PLANS = ["free", "standard", "premium"]
ACCOUNT_TYPES = ["individual", "business", "enterprise"]


class Write:
    """One logical write: its attempts and what it came to.

    outcome: `acked` (a 2xx), `refused` (a 4xx: nothing should be written) or `uncertain`
    (no answer, or a 5xx: it may or may not be written, but wholly or not at all).
    """
    __slots__ = ("wid", "api", "op", "attempts", "outcome", "version", "client")

    def __init__(self, wid, api, op):
        self.wid, self.api, self.op = wid, api, op
        self.attempts, self.outcome, self.version, self.client = [], None, None, None

    @property
    def t_first(self):
        return self.attempts[0].t_send

    @property
    def last(self):
        return self.attempts[-1]


class Recorder:
    """Every answer (reads and writes) and every logical write, in one place."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answers = []   # (answer, api, op, is_write)
        self.writes = []

    def answer(self, answer, api, op, is_write):
        with self.lock:
            self.answers.append((answer, api, op, is_write))

    def write(self, write):
        with self.lock:
            self.writes.append(write)


class Tenancy:
    """What the setup made: companies (id, number, API key), the super-admin's session, staff users."""

    def __init__(self, companies, markers, token, users):
        self.companies = companies   # [{"id", "number", "name", "key"}]
        self.markers = markers       # the company only markers are written to
        self.token = token
        self.users = users           # one staff user id per worker


def send_write(caller, recorder, write, method, path, headers, body, retry, stopping):
    """Sends `write` (again while `retry` allows: after no answer or a 5xx, honouring
    Retry-After, at most 2 s apart, for RETRY_WINDOW seconds) and settles its outcome."""
    headers = dict(headers, **{"X-Correlation-Id": write.wid})
    deadline = time.time() + RETRY_WINDOW
    while True:
        answer = caller.call(method, path, headers, body)
        write.attempts.append(answer)
        recorder.answer(answer, write.api, write.op, True)
        if answer.ok:
            write.outcome = "acked"
            break
        if answer.status is not None and 400 <= answer.status < 500:
            write.outcome = "refused"
            break
        if not retry or time.time() > deadline or stopping():
            write.outcome = "uncertain"
            break
        advice = answer.headers.get("retry-after", "")
        time.sleep(min(2.0, float(advice)) if advice.isdigit() else 0.5)
    recorder.write(write)
    return answer


class Worker(threading.Thread):
    """A closed loop of mixed operations, paused between phases."""

    # (weight, operation name); a write to a client falls back to a create while the worker has none.
    MIX = [
        (14, "v1_create"), (16, "v1_update"), (4, "v1_delete"), (10, "v1_get"), (4, "v1_list"),
        (8, "leads_create"), (8, "leads_update"), (2, "leads_delete"), (6, "leads_get"), (3, "leads_list"),
        (3, "admin_create"), (6, "admin_update"), (4, "admin_activity"), (1, "admin_delete"),
        (4, "admin_get"), (2, "admin_list"), (2, "admin_stats"),
        (2, "identity_me"), (1, "identity_companies"), (1, "identity_users"), (2, "identity_user_update"),
        (0.5, "identity_company_create"),
    ]

    def __init__(self, index, load):
        super().__init__(daemon=True, name=f"worker-{index}")
        self.index, self.load = index, load
        self.caller = Caller(load.gateway_port, REQUEST_TIMEOUT)
        self.random = random.Random(index)
        self.seq = 0
        self.v1, self.leads, self.admin = [], [], []   # (company, client id) owned by this worker
        self.user_names = []                            # (wid, name) of this worker's user updates
        self.names, self.weights = zip(*[(name, weight) for weight, name in self.MIX])

    # --- plumbing ---------------------------------------------------------------------------
    def next_wid(self):
        self.seq += 1
        return f"f-{self.index}-{self.seq}"

    def company(self):
        return self.random.choice(self.load.tenancy.companies)

    def session(self):
        return {"Authorization": f"Bearer {self.load.tenancy.token}"}

    def read(self, api, op, path, headers):
        answer = self.caller.call("GET", path, headers)
        self.load.recorder.answer(answer, api, op, False)
        return answer

    def write(self, api, op, method, path, headers, body=None, retry=False):
        write = Write(self.next_wid(), api, op)
        answer = send_write(self.caller, self.load.recorder, write, method, path, headers, body, retry,
                            self.load.stopping.is_set)
        return write, answer

    def run(self):
        while not self.load.stopping.is_set():
            if not self.load.begin(self):
                self.load.running.wait(0.2)
                continue
            name = self.random.choices(self.names, self.weights)[0]
            try:
                getattr(self, name)()
            except Exception as failure:   # an answer the driver did not expect: reported, never fatal
                self.load.driver_errors.append(f"{name}: {failure!r}")
            finally:
                self.load.end(self)
            time.sleep(self.load.think)

    # --- Organization API (API keys; retried with the same Idempotency-Key) -----------------
    def v1_headers(self, company, wid=None):
        headers = {"Authorization": f"Bearer {company['key']}"}
        if wid:
            headers["Idempotency-Key"] = wid
        return headers

    def v1_write(self, op, method, path, company, body=None):
        write = Write(self.next_wid(), "v1", op)
        answer = send_write(self.caller, self.load.recorder, write, method, path,
                            self.v1_headers(company, write.wid), body, True, self.load.stopping.is_set)
        return write, answer

    def v1_create(self):
        company = self.company()
        body = {"name": f"Fault client {self.index}-{self.seq + 1}", "phone": f"+1 555 {self.seq % 10000:04d}",
                "status": self.random.choice(V1_STATUSES)}
        write, answer = self.v1_write("create", "POST", "/api/v1/clients", company, body)
        if write.outcome == "acked":
            write.client, write.version = answer.json()["data"]["id"], answer.etag_version()
            self.v1.append((company, write.client))

    def v1_update(self):
        if not self.v1:
            return self.v1_create()
        company, client = self.random.choice(self.v1)
        body = {"notes": f"note {self.seq + 1}", "status": self.random.choice(V1_STATUSES)}
        write, answer = self.v1_write("update", "PATCH", f"/api/v1/clients/{client}", company, body)
        write.client = client
        if write.outcome == "acked":
            write.version = answer.etag_version()

    def v1_delete(self):
        if not self.v1:
            return self.v1_create()
        company, client = self.v1.pop(self.random.randrange(len(self.v1)))
        write, _ = self.v1_write("delete", "DELETE", f"/api/v1/clients/{client}", company)
        write.client = client

    def v1_get(self):
        if not self.v1:
            return self.v1_list()
        company, client = self.random.choice(self.v1)
        self.read("v1", "get", f"/api/v1/clients/{client}", self.v1_headers(company))

    def v1_list(self):
        self.read("v1", "list", "/api/v1/clients?limit=20", self.v1_headers(self.company()))

    # --- Leads API (staff session; sent once) -----------------------------------------------
    def leads_create(self):
        company = self.company()
        n = self.seq + 1
        body = {"name": f"Fault lead {self.index}-{n}", "email": f"lead-{self.index}-{n}@faults.test",
                "company": company["number"], "phone": f"+1 556 {n % 10000:04d}"}
        write, answer = self.write("leads", "create", "POST", "/api/clients", self.session(), body)
        if write.outcome == "acked":
            write.client = answer.headers.get("location", "").rsplit("/", 1)[-1]
            self.leads.append((company, write.client))

    def leads_update(self):
        if not self.leads:
            return self.leads_create()
        company, number = self.random.choice(self.leads)
        body = {"phone": f"+1 557 {self.seq % 10000:04d}", "address": f"{self.seq + 1} Fault Street"}
        write, _ = self.write("leads", "update", "PUT", f"/api/clients/{number}", self.session(), body)
        write.client = number

    def leads_delete(self):
        if not self.leads:
            return self.leads_create()
        company, number = self.leads.pop(self.random.randrange(len(self.leads)))
        write, _ = self.write("leads", "delete", "DELETE", f"/api/clients/{number}", self.session())
        write.client = number

    def leads_get(self):
        if not self.leads:
            return self.leads_list()
        _, number = self.random.choice(self.leads)
        self.read("leads", "get", f"/api/clients/{number}", self.session())

    def leads_list(self):
        self.read("leads", "list", f"/api/clients?page=1&company={self.company()['number']}", self.session())

    # --- Admin clients API (staff session; sent once) ---------------------------------------
    def admin_create(self):
        company = self.company()
        n = self.seq + 1
        body = {"email": f"admin-{self.index}-{n}@faults.test", "companyId": company["id"],
                "displayName": f"Fault admin client {self.index}-{n}", "plan": self.random.choice(PLANS)}
        write, answer = self.write("admin", "create", "POST", "/api/admin/clients", self.session(), body)
        if write.outcome == "acked":
            write.client = (answer.json() or {}).get("data", {}).get("id")
            if write.client:
                self.admin.append((company, write.client))

    def admin_update(self):
        if not self.admin:
            return self.admin_create()
        _, client = self.random.choice(self.admin)
        body = {"bio": f"bio {self.seq + 1}", "plan": self.random.choice(PLANS),
                "status": self.random.choice(ADMIN_STATUSES), "accountType": self.random.choice(ACCOUNT_TYPES)}
        write, _ = self.write("admin", "update", "PUT", f"/api/admin/clients/{client}", self.session(), body)
        write.client = client

    def admin_activity(self):
        if not self.admin:
            return self.admin_create()
        _, client = self.random.choice(self.admin)
        write, _ = self.write("admin", "activity", "POST", f"/api/admin/clients/{client}/activity", self.session(),
                              {"type": self.random.choice(["submission", "active"])})
        write.client = client

    def admin_delete(self):
        if not self.admin:
            return self.admin_create()
        _, client = self.admin.pop(self.random.randrange(len(self.admin)))
        write, _ = self.write("admin", "delete", "DELETE", f"/api/admin/clients/{client}", self.session())
        write.client = client

    def admin_get(self):
        if not self.admin:
            return self.admin_list()
        _, client = self.random.choice(self.admin)
        self.read("admin", "get", f"/api/admin/clients/{client}", self.session())

    def admin_list(self):
        self.read("admin", "list", f"/api/admin/clients?companyId={self.company()['id']}&limit=20", self.session())

    def admin_stats(self):
        self.read("admin", "stats", f"/api/admin/clients/stats?companyId={self.company()['id']}", self.session())

    # --- Identity (staff session; sent once) ------------------------------------------------
    def identity_me(self):
        self.read("identity", "me", "/api/auth/me", self.session())

    def identity_companies(self):
        self.read("identity", "companies", "/api/companies", self.session())

    def identity_users(self):
        self.read("identity", "users", "/api/users", self.session())

    def identity_user_update(self):
        user = self.load.tenancy.users[self.index]
        name = f"Fault user {self.index} v{self.seq + 1}"
        write, _ = self.write("identity", "user_update", "PUT", f"/api/users/{user}", self.session(), {"name": name})
        write.client = name
        self.user_names.append(write)

    def identity_company_create(self):
        name = f"Fault Co {self.index}-{self.seq + 1}"
        write, _ = self.write("identity", "company_create", "POST", "/api/companies", self.session(), {"name": name})
        write.client = name


class Load:
    """The workers, started once, run and paused by phase."""

    def __init__(self, gateway_port, tenancy, workers, think):
        self.gateway_port, self.tenancy, self.think = gateway_port, tenancy, think
        self.recorder = Recorder()
        self.driver_errors = []
        self.running, self.stopping = threading.Event(), threading.Event()
        self.state_lock = threading.Condition()
        self.busy_workers = set()
        self.workers = [Worker(i, self) for i in range(workers)]
        for worker in self.workers:
            worker.start()

    def begin(self, worker):
        """Whether `worker` may start an operation now (it then counts as busy until `end`)."""
        with self.state_lock:
            if not self.running.is_set() or self.stopping.is_set():
                return False
            self.busy_workers.add(worker.index)
            return True

    def end(self, worker):
        with self.state_lock:
            self.busy_workers.discard(worker.index)
            self.state_lock.notify_all()

    def resume(self):
        self.running.set()

    def pause(self):
        """Stops starting operations and waits for those in flight (retries included)."""
        with self.state_lock:
            self.running.clear()
            self.state_lock.wait_for(lambda: not self.busy_workers, timeout=RETRY_WINDOW + 2 * REQUEST_TIMEOUT)
        return time.time()

    def stop(self):
        self.stopping.set()
        self.running.set()
        for worker in self.workers:
            worker.join(timeout=RETRY_WINDOW + REQUEST_TIMEOUT)
