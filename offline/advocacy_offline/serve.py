"""`advocacy serve`: the offline system on localhost, so a person can open the emails and answer as a council would.

One process holds everything:

- the offline environment (moto in-process, the stack from template.yaml, the real handlers), exactly as
  `advocacy run` and the tests use it;
- a moto server on a second port that serves the *same* moto backends over HTTP, so commands in another
  process can look at the running system (`AWS_ENDPOINT_URL=http://127.0.0.1:<moto port>`; the stack's
  names are in `<state dir>/serve.json`);
- a small web server on 127.0.0.1: the outbox at `/outbox/`, the real respond function at `/respond/<link>`
  (each request becomes an API Gateway HTTP API v2 event and goes through Lambda in moto), and the cases
  at `/status.json`.

Why the functions do not run against the moto server itself (`OfflineEnv(server_endpoint=...)`): in that
mode a function's own AWS call can trigger another function on one of moto's server threads (ingest writes
its report under `incoming/`, whose bucket notification invokes ingest again), which then waits for the
in-process invocation lock held by the first function, and the whole stack deadlocks. In-process, that
nested invocation runs on the same thread and re-enters the lock.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import json
import logging
import mimetypes
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from .env import OfflineEnv
from .httpapi import http_event
from .run import LINK, Runner, RunOptions, ScriptedResponse

HOST = "127.0.0.1"
MAX_FORM = 256 * 1024  # local only; the respond function itself copes with any size API Gateway sends (10 MB)
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".eml": "message/rfc822",
    ".json": "application/json",
}


class ServeError(Exception):
    """A one-line reason (for example, the port is in use)."""


@dataclass
class ServeOptions:
    files: list[Path]
    port: int = 8787
    moto_port: int | None = None  # default: port + 1
    day_seconds: float = 86400.0
    responses: dict[str, ScriptedResponse] = field(default_factory=dict)
    outbox: Path | None = None  # default: <state_dir>/outbox
    state_dir: Path = Path(".advocacy") / "serve"
    ready_timeout: float = 90.0

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def moto_port_number(self) -> int:
        return self.moto_port or self.port + 1

    @property
    def outbox_dir(self) -> Path:
        return self.outbox or self.state_dir / "outbox"


class Site:
    """What the web server serves, over one running offline environment."""

    def __init__(self, env: OfflineEnv, runner: Runner, outbox: Path) -> None:
        self.env = env
        self.runner = runner
        self.outbox = outbox
        self._outbox_lock = threading.Lock()  # write_outbox rewrites every .eml file

    # ------------------------------------------------------------------ outbox
    def outbox_file(self, name: str) -> tuple[bytes, str] | None:
        from .outbox import write_outbox

        if name and not SAFE_NAME.match(name):
            return None
        with self._outbox_lock:
            if name in ("", "index.html"):
                write_outbox(self.env, self.outbox)  # the emails sent so far
                name = "index.html"
            path = self.outbox / name
            if not path.is_file():
                return None
            body = path.read_bytes()
        ctype = CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return body, ctype

    # ------------------------------------------------------------------ respond
    def respond(
        self, method: str, path: str, body: bytes | None, content_type: str, source_ip: str, user_agent: str
    ) -> tuple[int, dict[str, str], bytes]:
        """Through API Gateway's door: an HTTP API v2 event, the real respond function in moto."""
        event = http_event(
            method,
            path,
            body=body if method == "POST" else None,
            content_type=content_type or "application/x-www-form-urlencoded",
            source_ip=source_ip,
            user_agent=user_agent or "unknown",
        )
        result = self.env.invoke("RespondFunction", event)
        if not isinstance(result, dict) or "statusCode" not in result:  # the function itself failed
            return 502, {"Content-Type": "text/plain; charset=utf-8"}, b"The respond function failed: see the log.\n"
        raw = result.get("body") or ""
        payload = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        return int(result["statusCode"]), headers, payload

    # ------------------------------------------------------------------ status
    def status(self) -> dict[str, Any]:
        return self.runner.result()

    def example_link(self) -> str | None:
        """The answer link in the first initial email that has one."""
        for msg in self.env.sent_emails():
            raw: str = getattr(msg, "raw_data", "") or ""
            if "X-Advocacy-Email-Kind: initial" not in raw:
                continue
            parsed = email.message_from_string(raw, policy=email.policy.default)
            part = parsed.get_body(preferencelist=("plain",))
            found = LINK.search(part.get_content() if part is not None else raw)
            if found:
                return found.group(0)
        return None


def _hide_links(text: str) -> str:
    """Answer links are secrets: logs show only their first characters."""
    return LINK.sub(lambda m: f"/respond/{m.group(1)[:6]}...", text)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "advocacy-serve"

    @property
    def site(self) -> Site:
        site: Site = getattr(self.server, "site")  # noqa: B009 - set by make_http_server
        return site

    # ------------------------------------------------------------------ plumbing
    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None, head: bool = False) -> None:
        self.send_response(status)
        sent = {k.lower() for k in (headers or {})}
        for k, v in (headers or {}).items():
            if k.lower() not in {"content-length", "connection", "transfer-encoding"}:
                self.send_header(k, v)
        if "content-type" not in sent:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        if "cache-control" not in sent:
            self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _redirect(self, location: str, head: bool = False) -> None:
        self._send(HTTPStatus.FOUND, f"See {location}\n".encode(), {"Location": location}, head=head)

    def _not_found(self, head: bool = False) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"Not found. The outbox is at /outbox/\n", head=head)

    def _failed(self, head: bool = False) -> None:
        """Something here broke (not the respond function: it answers with its own error page)."""
        sys.stderr.write(f"  {self.command} {_hide_links(urlsplit(self.path).path)} failed:\n")
        traceback.print_exc(file=sys.stderr)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, b"advocacy serve failed: see its terminal\n", head=head)

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"  {_hide_links(format % args)}\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = code.value if isinstance(code, HTTPStatus) else code
        sys.stderr.write(f"  {self.command} {_hide_links(urlsplit(self.path).path)} -> {status}\n")

    # ------------------------------------------------------------------ routes
    def do_HEAD(self) -> None:
        self._get(head=True)

    def do_GET(self) -> None:
        self._get(head=False)

    def _get(self, head: bool) -> None:
        path = urlsplit(self.path).path
        try:
            if path == "/" or path == "/outbox":
                self._redirect("/outbox/", head)
            elif path.startswith("/outbox/"):
                found = self.site.outbox_file(path.removeprefix("/outbox/"))
                if found is None:
                    self._not_found(head)
                else:
                    body, ctype = found
                    self._send(HTTPStatus.OK, body, {"Content-Type": ctype}, head=head)
            elif path == "/status.json":
                doc = json.dumps(self.site.status(), indent=2, default=str, ensure_ascii=False)
                self._send(HTTPStatus.OK, doc.encode("utf-8"), {"Content-Type": "application/json"}, head=head)
            elif path.startswith("/respond/"):
                self._respond("GET", path, None, head=head)
            else:
                self._not_found(head)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:
            self._failed(head)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_FORM:
            self.close_connection = True
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"Too large\n")
            return
        body = self.rfile.read(length) if length else b""
        try:
            if path.startswith("/respond/"):
                self._respond("POST", path, body)
            else:
                self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"Method not allowed\n", {"Allow": "GET"})
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:
            self._failed()

    def _respond(self, method: str, path: str, body: bytes | None, head: bool = False) -> None:
        status, headers, payload = self.site.respond(
            method,
            path,
            body,
            self.headers.get("Content-Type", ""),
            self.client_address[0],
            self.headers.get("User-Agent", ""),
        )
        self._send(status, payload, headers, head=head)


def make_http_server(site: Site, port: int) -> ThreadingHTTPServer:
    try:
        httpd = ThreadingHTTPServer((HOST, port), Handler)
    except OSError as exc:
        raise ServeError(f"cannot listen on {HOST}:{port} for the web pages ({exc.strerror}); try --port") from None
    httpd.daemon_threads = True
    setattr(httpd, "site", site)  # noqa: B010 - read by Handler.site
    return httpd


def _check_free(port: int, what: str, option: str) -> None:
    """Fail in a second, not after the stack is up: is the port free on 127.0.0.1?"""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers themselves bind
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise ServeError(f"cannot listen on {HOST}:{port} for {what} ({exc.strerror}); try {option}") from None


@contextmanager
def moto_server(port: int) -> Iterator[str]:
    """moto's server on a second port, in this process: it serves the same backends as the in-process mock."""
    from moto.server import ThreadedMotoServer

    _check_free(port, "moto", "--moto-port")  # ThreadedMotoServer would fail on its own thread, unseen
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.stop()


def _wait_for_first_emails(env: OfflineEnv, runner: Runner, timeout: float) -> None:
    """Until the queue is empty and every case has had its first email (or the timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queued, _dlq = env.queue_depths()
        if not queued and all(c["status"] != "queued" for c in runner.cases()):
            return
        time.sleep(0.2)


def _script_answers(runner: Runner, stop: threading.Event) -> None:
    """Scripted answers (--responses), on their own timers, as `advocacy run` does."""
    while not stop.wait(0.2):
        try:
            runner._schedule_answers()
        except Exception as exc:  # keep serving; report once per kind
            if type(exc).__name__ not in runner.errors:
                runner.errors.append(type(exc).__name__)
                sys.stderr.write(f"  scripted answers: {type(exc).__name__}: {exc}\n")


def _write_state(options: ServeOptions, env: OfflineEnv, moto: str) -> Path:
    options.state_dir.mkdir(parents=True, exist_ok=True)
    path = options.state_dir / "serve.json"
    doc = {
        "pid": os.getpid(),
        "url": options.base_url,
        "outbox": f"{options.base_url}/outbox/",
        "status": f"{options.base_url}/status.json",
        "aws_endpoint_url": moto,
        "region": env.stack.region,
        "stack": env.stack.to_json(),
    }
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def serve(options: ServeOptions, say: Callable[[str], None]) -> int:
    """Run until Ctrl-C or SIGTERM. `say` prints a line to the real stdout."""
    for f in options.files:
        if not f.is_file():
            raise ServeError(f"{f}: no such file")
    moto_port = options.moto_port_number
    if moto_port == options.port:
        raise ServeError("--moto-port must differ from --port")
    _check_free(options.port, "the web pages", "--port")
    _check_free(moto_port, "moto", "--moto-port")
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    stop = threading.Event()
    state_file: Path | None = None
    try:
        say("Starting the offline system (moto, the stack from template.yaml, the real functions)...")
        env = OfflineEnv(
            day_seconds=options.day_seconds,
            public_base_url=options.base_url,
            log_path=options.state_dir / "lambda.log",
        )
        with env, moto_server(moto_port) as moto:
            runner = Runner(env, options.responses, RunOptions(day_seconds=options.day_seconds))
            site = Site(env, runner, options.outbox_dir)
            httpd = make_http_server(site, options.port)  # listen now: a busy port fails fast
            try:
                env.start_clock()
                for path in options.files:
                    key = env.upload(path)
                    runner.uploads.append(key)
                    say(f"Uploaded {path.name} as s3://{env.stack.bucket}/{key}")
                env.pump_queue()
                _wait_for_first_emails(env, runner, options.ready_timeout)
                if options.responses:
                    threading.Thread(target=_script_answers, args=(runner, stop), daemon=True).start()
                state_file = _write_state(options, env, moto)
                site.outbox_file("")  # write the outbox once now, for people who open the folder
                cases = runner.cases()
                link = site.example_link()
                say("")
                who = (
                    "The scripted answers come on their days." if options.responses else "Nobody answers unless you do."
                )
                say(f"{len(cases)} cases, {len(env.sent_emails())} emails sent. {who}")
                if options.day_seconds != 86400:
                    say(f"A day lasts {options.day_seconds:g} real seconds: reminders and escalations follow.")
                say(f"  Outbox (the emails):     {options.base_url}/outbox/")
                if link:
                    say(f"  An answer link:          {options.base_url}{link}")
                say(f"  Cases as JSON:           {options.base_url}/status.json")
                say(f"  AWS (moto) for scripts:  {moto}  (stack names in {state_file})")
                say(f"  Functions' log:          {options.state_dir / 'lambda.log'}")
                say("")
                say("Press Ctrl-C to stop.")
                try:
                    httpd.serve_forever(poll_interval=0.25)
                except (KeyboardInterrupt, _Stop):
                    say("\nStopping...")
            finally:
                stop.set()
                httpd.server_close()
    except (KeyboardInterrupt, _Stop):
        say("\nStopping...")
    finally:
        stop.set()
        signal.signal(signal.SIGTERM, previous)
        if state_file is not None:
            state_file.unlink(missing_ok=True)
    say("Stopped.")
    return 0
