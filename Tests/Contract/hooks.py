"""schemathesis hooks for Tests/Contract/schemathesis.sh: the cases meant to be valid name
records that exist and repeat no value that must be unique, and no case changes the run's
own credentials.

A request can be well formed and still refer to a record that does not exist (a company, an
agent) or repeat a value another record holds (a client's email or username, an
Idempotency-Key): the answer then depends on the server's state, not on the request's shape,
and the document cannot say which records exist. So in the cases schemathesis means to be
valid, before each is sent, this points such fields at the records the script made
(CONTRACT_* variables) and gives unique values a fresh serial, keeping each value valid
(schemathesis checks the edited case against the schema again). Cases meant to be invalid are
sent as generated.

The run's credentials (the super-admin it logs in as, its API key, and the agent the leads
refer to) are the fuzzer's to use, not to change: a case aimed at one of them (a new password,
`active: false`, a revocation) would end the run's access, so it goes to a spare user or key
the script made instead, in every case.
"""

import itertools
import os

import schemathesis

_serial = itertools.count(1)
_COMPANY_ID = os.environ["COMPANY_ID"]
_COMPANY_NUMBER = int(os.environ["COMPANY_NUMBER"])
_AGENT_NUMBER = int(os.environ["AGENT_NUMBER"])
_OWN_USERS = {os.environ["ADMIN_ID"], os.environ["AGENT_ID"]}
_SPARE_USER_ID = os.environ["SPARE_USER_ID"]
_OWN_KEY_ID = os.environ["API_KEY_ID"]
_SPARE_KEY_ID = os.environ["SPARE_KEY_ID"]
# What the APIs trim around an email: Unicode White_Space and, as Foundation does on Linux, U+200B.
_WHITE_SPACE = "".join(chr(c) for c in [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200C),
                                        0x2028, 0x2029, 0x202F, 0x205F, 0x3000])


def _existing_records(method, path, body):
    """Points the fields that must name existing records at the script's records."""
    if path == "/api/clients" and method == "POST" and "company" in body:
        body["company"] = _COMPANY_NUMBER
    if path in ("/api/clients", "/api/clients/{leadId}") and isinstance(body.get("agents"), list) and body["agents"]:
        first = body["agents"][0]
        agent = {"agentId": _AGENT_NUMBER}
        if isinstance(first, dict) and "agentName" in first:
            agent["agentName"] = first["agentName"]
        body["agents"] = [agent]
    if (path, method) in (("/api/admin/clients", "POST"), ("/api/api-keys", "POST")):
        # A super-admin acts in every company, so it must name one.
        body["companyId"] = _COMPANY_ID
    if path in ("/api/users", "/api/users/{id}") and isinstance(body.get("companies"), list) and body["companies"]:
        body["companies"] = [_COMPANY_ID]


def _fresh_email(email, serial):
    """`email` made unique by `serial`: prefixed to the local part, or, when that would pass
    254 characters, written over the end of the last domain label (surrounding white space,
    which the APIs trim, stays)."""
    core = email.strip(_WHITE_SPACE)
    start = email.index(core) if core else 0
    tag = f"u{serial}"
    if len(core) + len(tag) + 1 <= 254:
        fresh = f"{tag}-{core}"
    elif "." in core and len(core.rsplit(".", 1)[1]) >= len(tag):
        fresh = core[: -len(tag)] + tag
    else:
        return email
    return email[:start] + fresh + email[start + len(core):]


def _unique_values(body, headers, serial):
    """Gives the values that must be unique a fresh serial."""
    email = body.get("email")
    if isinstance(email, str) and "@" in email:
        body["email"] = _fresh_email(email, serial)
    username = body.get("username")
    if isinstance(username, str) and username:
        suffix = f"-{serial}"
        body["username"] = username[: 50 - len(suffix)] + suffix
    if headers and isinstance(headers.get("Idempotency-Key"), str):
        suffix = f"-{serial}"
        headers["Idempotency-Key"] = headers["Idempotency-Key"][: 255 - len(suffix)] + suffix


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    path = case.operation.path
    parameters = case.path_parameters or {}
    if path == "/api/users/{id}" and parameters.get("id") in _OWN_USERS:
        parameters["id"] = _SPARE_USER_ID
    if path == "/api/api-keys/{id}" and parameters.get("id") == _OWN_KEY_ID:
        parameters["id"] = _SPARE_KEY_ID
    if meta is None or not meta.generation.mode.is_positive or path == "/api/auth/login":
        return
    body = case.body if isinstance(case.body, dict) else {}
    _existing_records(case.method.upper(), path, body)
    _unique_values(body, case.headers, next(_serial))
