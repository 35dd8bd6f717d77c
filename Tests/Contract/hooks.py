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

Uploads likewise: a file's type is decided by its bytes, which no schema keyword states (the
document lists the accepted media types in the part's `encoding`), so a valid upload case
carries a small file of one of those types, each type in turn; outside the stateful phase
(whose links name records that exist), valid upload and download cases name the lead and the
care document the script made, so that they reach the store rather than answering 404.

The run's credentials (the super-admin it logs in as, its API key, and the agent the leads
refer to) are the fuzzer's to use, not to change: a case aimed at one of them (a new password,
`active: false`, a revocation) would end the run's access, so it goes to a spare user or key
the script made instead, in every case.
"""

import io
import itertools
import os
import re
import zipfile

import schemathesis

_serial = itertools.count(1)
_COMPANY_ID = os.environ["COMPANY_ID"]
_COMPANY_NUMBER = int(os.environ["COMPANY_NUMBER"])
_AGENT_NUMBER = int(os.environ["AGENT_NUMBER"])
_OWN_USERS = {os.environ["ADMIN_ID"], os.environ["AGENT_ID"]}
_SPARE_USER_ID = os.environ["SPARE_USER_ID"]
_OWN_KEY_ID = os.environ["API_KEY_ID"]
_SPARE_KEY_ID = os.environ["SPARE_KEY_ID"]
_LEAD_NUMBER = int(os.environ["LEAD_NUMBER"])
_CARE_DOCUMENT_ID = os.environ["CARE_DOCUMENT_ID"]
_CARE_CLIENT_NUMBER = os.environ["CARE_CLIENT_NUMBER"]
_CARER_ID = os.environ["CARER_ID"]
# The care records the script made, by the paths that name one.
_CARE_RECORD_IDS = {
    "/api/goal/{id}": os.environ["GOAL_ID"], "/api/goal/{id}/tasks": os.environ["GOAL_ID"],
    "/api/goal/{id}/tasks/{taskId}": os.environ["GOAL_ID"], "/api/medication/{id}": os.environ["MEDICATION_ID"],
    "/api/appointment/{id}": os.environ["APPOINTMENT_ID"],
}
_TASK_ID = os.environ["TASK_ID"]
# The care part 2 routes that name a client by `{clientId}`, and those whose body does.
_CARE_RECORD_LISTS = ("/api/goal/client/{clientId}", "/api/medication/client/{clientId}",
                      "/api/appointment/appointmentListsClient/{clientId}")
_CARE_RECORD_CREATES = ("/api/goal/create", "/api/medication/create", "/api/appointment/create")
# The care routes that name one client by `{id}`.
_CARE_CLIENT_PATHS = ("/api/user/clientDetails/{id}", "/api/frontend/clientDetails/client/details/{id}",
                      "/api/user/clientUpdate/{id}", "/api/frontend/clientDetails/client/update/{id}",
                      "/api/user/updateUserStatus/{id}/{status}")
_CARE_WRITES = ("/api/clientDetails/create", "/api/user/clientUpdate/{id}", "/api/frontend/clientDetails/client/update/{id}")
# What the APIs trim around an email: Unicode White_Space and, as Foundation does on Linux, U+200B.
_WHITE_SPACE = "".join(chr(c) for c in [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200C),
                                        0x2028, 0x2029, 0x202F, 0x205F, 0x3000])


def _office(entry):
    """A ZIP archive holding `[Content_Types].xml` and `entry`: what the store takes for DOCX or XLSX."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(entry, "<document/>")
    return buffer.getvalue()


# A small file of each type the store accepts (by the same signatures it checks).
_FILES = {
    "pdf": b"%PDF-1.4\n% contract test\n%%EOF\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
    "webp": b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0e\x00\x00\x00/\x00\x00\x00\x00\x07\x10\x11\xfd\x0f",
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    "docx": _office("word/document.xml"),
    "xlsx": _office("xl/workbook.xml"),
    "text": "Contract test notes, caf\u00e9.\n".encode(),
}
# Per upload operation: the file part and the types it accepts (DocumentFormat.accepted).
_UPLOADS = {
    "/api/clients/passport/{leadId}": ("passport", ["pdf", "png", "jpeg", "webp", "heic"]),
    "/api/document/upload": ("file", ["pdf", "png", "jpeg", "docx", "xlsx", "text"]),
}


def _documents(method, path, case, phase, body, serial):
    """Gives a valid upload a file of an accepted type; outside the stateful phase, points
    valid upload and download cases at the script's lead and care document."""
    if method == "POST" and path in _UPLOADS:
        part, kinds = _UPLOADS[path]
        if part in body:
            body[part] = _FILES[kinds[serial % len(kinds)]]
    if phase == "stateful":
        return
    parameters = case.path_parameters if case.path_parameters is not None else {}
    if path == "/api/clients/passport/{leadId}":
        parameters["leadId"] = _LEAD_NUMBER
    if path == "/api/document/upload" and "clientId" in body:
        body["clientId"] = str(_LEAD_NUMBER)
    if path == "/api/document/file/{documentId}" and method == "GET":
        parameters["documentId"] = _CARE_DOCUMENT_ID


def _keep_as_generated(case):
    """Takes the case as it now is for what was generated. schemathesis re-checks an edited
    part against the schema, but cannot check a body holding bytes (a file) and counts it as
    invalid; the edits above keep a valid case valid (a file of an accepted type, records that
    exist), so the case stays positive. (`_record_starting_state` is schemathesis 4.32.5's, the
    version schemathesis.sh pins.)"""
    case._record_starting_state()


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
    if path == "/api/clientDetails/create" and method == "POST":
        body["companyId"] = _COMPANY_ID


def _crm(method, path, case, body):
    """Names the run's company in a valid CRM settings case (a super-admin acts in every
    company, so it must name one), and a base URL whose host resolves on a machine without
    DNS: loopback, which the run's crm-sync is allowed to reach (schemathesis.sh)."""
    if path != "/api/admin/crm":
        return
    if case.query is None:
        case.query = {}
    case.query["companyId"] = _COMPANY_ID
    if method == "PUT" and isinstance(body.get("baseUrl"), str):
        body["baseUrl"] = "https://localhost:9"


def _care(path, case, phase, body, serial):
    """Keeps a valid care write valid where the schema cannot say what is: no plan manager or
    support coordinator (they must be users with those roles; the run has none), a date of
    birth in the past, plan dates in order, and an NDIS number of its own (unique per
    company). Outside the stateful phase, a valid case naming one client names the run's."""
    if path in _CARE_WRITES:
        personal, ndis = body.get("personalInfo"), body.get("ndisDetails")
        if isinstance(personal, dict) and isinstance(personal.get("dateOfBirth"), str):
            personal["dateOfBirth"] = min(personal["dateOfBirth"], "2000-01-01")
        if isinstance(ndis, dict):
            ndis.pop("planManager", None)
            ndis.pop("supportCoordinator", None)
            start, end = ndis.get("planStartDate"), ndis.get("planEndDate")
            if isinstance(start, str) and isinstance(end, str) and start > end:
                ndis["planStartDate"], ndis["planEndDate"] = end, start
            if isinstance(ndis.get("ndisNumber"), str):
                ndis["ndisNumber"] = f"43{(serial + 5_000_000) % 10_000_000:07d}"
    if phase != "stateful" and path in _CARE_CLIENT_PATHS and case.path_parameters is not None:
        case.path_parameters["id"] = _CARE_CLIENT_NUMBER
    # Goals, medications and appointments: the run's client, and its health carer (a carer
    # must be a user of the client's company with that role).
    if phase != "stateful" and path in _CARE_RECORD_LISTS and case.path_parameters is not None:
        case.path_parameters["clientId"] = _CARE_CLIENT_NUMBER
    if path in _CARE_RECORD_CREATES and "clientId" in body:
        body["clientId"] = _CARE_CLIENT_NUMBER
    if path.startswith("/api/appointment/") and "healthCarerId" in body:
        body["healthCarerId"] = _CARER_ID
    if path == "/api/appointment/getClientList/healthCarerId/{healthCarerId}" and case.path_parameters is not None:
        case.path_parameters["healthCarerId"] = _CARER_ID
    if phase != "stateful" and path in _CARE_RECORD_IDS and case.path_parameters is not None:
        case.path_parameters["id"] = _CARE_RECORD_IDS[path]
        if "taskId" in case.path_parameters:
            case.path_parameters["taskId"] = _TASK_ID
    # An appointment's times in order, within 12 hours, on a day of its own (so valid
    # bookings rarely meet one another; when they do, 409 is declared).
    if path.startswith("/api/appointment/") and ("startTime" in body or "endTime" in body or "date" in body):
        body["date"] = f"{2031 + serial // 300:04d}-{1 + serial // 25 % 12:02d}-{1 + serial % 25:02d}"
        body["startTime"], body["endTime"] = "09:00", "10:00"
    # The stateful phase links ids by their names: /api/v1's client id (a UUID) lands in the
    # audit's `clientId`, which takes the care API's client numbers. Such a case names the
    # run's care client instead.
    query = case.query if case.query is not None else {}
    if path == "/api/audit/client-access" and not re.fullmatch(r"(client_)?[1-9][0-9]{0,17}|", str(query.get("clientId", ""))):
        query["clientId"] = _CARE_CLIENT_NUMBER


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
    # A case may be positive as a whole with one component made invalid on purpose (the
    # coverage phase's boundary values): editing it would make the invalid part valid.
    if any(component.mode.is_negative for component in meta.components.values()):
        return
    body = case.body if isinstance(case.body, dict) else {}
    serial = next(_serial)
    _existing_records(case.method.upper(), path, body)
    _unique_values(body, case.headers, serial)
    _care(path, case, meta.phase.name, body, serial)
    _crm(case.method.upper(), path, case, body)
    if path in _UPLOADS or path == "/api/document/file/{documentId}":
        _documents(case.method.upper(), path, case, meta.phase.name, body, serial)
        _keep_as_generated(case)
