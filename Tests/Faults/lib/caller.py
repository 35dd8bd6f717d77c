"""HTTP calls for the fault suite: one keep-alive connection per caller, every outcome kept.

A call never raises: it answers an `Answer` holding either the status, headers and body, or
the transport failure (`timeout`, `refused`, `reset`, ...) that stood in for them.
"""
import http.client
import json
import socket
import time


class Answer:
    __slots__ = ("status", "headers", "body", "error", "t_send", "t_done")

    def __init__(self, status, headers, body, error, t_send, t_done):
        self.status, self.headers, self.body, self.error = status, headers, body, error
        self.t_send, self.t_done = t_send, t_done

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def etag_version(self):
        tag = self.headers.get("etag", "").strip('"')
        return int(tag) if tag.isdigit() else None

    def outcome(self):
        """The status as text, or the transport failure."""
        return str(self.status) if self.status is not None else self.error


class Caller:
    """Calls one loopback port over a keep-alive connection, reopened after any failure.

    A connection idle for more than `max_idle` seconds is replaced before use, so a server's
    idle timeout never shows up as a failure of the system under test.
    """

    def __init__(self, port, timeout, max_idle=5.0):
        self.port, self.timeout, self.max_idle = port, timeout, max_idle
        self.connection, self.last_used = None, 0.0

    def close(self):
        if self.connection is not None:
            self.connection.close()
        self.connection = None

    def call(self, method, path, headers=None, body=None):
        """`body` sent as JSON."""
        fields = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            fields["Content-Type"] = "application/json"
        return self.call_raw(method, path, fields, data)

    def call_raw(self, method, path, headers, data):
        """`data` (bytes, or None) sent as it is, with `headers`."""
        t_send = time.time()
        if self.connection is not None and t_send - self.last_used > self.max_idle:
            self.close()
        fields = dict(headers or {})
        error = None
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.connection.request(method, path, body=data, headers=fields)
            response = self.connection.getresponse()
            payload = response.read()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, payload, None,
                            t_send, time.time())
            if response.will_close:
                self.close()
            self.last_used = answer.t_done
            return answer
        except socket.timeout:
            error = "timeout"
        except ConnectionRefusedError:
            error = "refused"
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            error = "reset"
        except (http.client.HTTPException, OSError) as failure:
            error = type(failure).__name__
        self.close()
        return Answer(None, {}, b"", error, t_send, time.time())
