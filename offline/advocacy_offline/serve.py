"""`advocacy serve`: the offline system on localhost, so a person can open the emails and answer as a council would.

One process holds everything:

- the offline environment (moto in-process, the stack from template.yaml, the real handlers, the virtual
  clock), exactly as `advocacy run` and the tests use it. Here the clock follows real time: a simulated day
  lasts `--day-seconds` (a real day by default), so nothing expires while someone clicks around;
- a moto server on a second port that serves the *same* moto backends over HTTP, so commands in another
  process can look at the running system (`AWS_ENDPOINT_URL=http://127.0.0.1:<moto port>`; the stack's names
  are in `<state dir>/serve.json`);
- a web server (werkzeug) on 127.0.0.1: the outbox at `/outbox/`, the real respond function at
  `/respond/<link>` (each request becomes an API Gateway HTTP API v2 event and goes through Lambda in moto),
  and the cases at `/status.json`.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import logging
import mimetypes
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from .env import OfflineEnv
from .httpapi import http_event
from .run import LINK, Runner, RunOptions, ScriptedResponse
from .targets import FollowingClock

HOST = "127.0.0.1"
MAX_FORM = 256 * 1024  # local only; the respond function itself copes with any size API Gateway sends (10 MB)
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".eml": "message/rfc822", ".json": "application/json"}


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

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def moto_port_number(self) -> int:
        return self.moto_port or self.port + 1

    @property
    def outbox_dir(self) -> Path:
        return self.outbox or self.state_dir / "outbox"


def _hide_links(text: str) -> str:
    """Answer links are secrets: logs show only their first characters."""
    return LINK.sub(lambda m: f"/respond/{m.group(1)[:6]}...", text)


class Site:
    """The web pages, over one running offline environment (a WSGI application)."""

    def __init__(self, env: OfflineEnv, runner: Runner, outbox: Path) -> None:
        self.env = env
        self.runner = runner
        self.outbox = outbox
        self._outbox_lock = threading.Lock()  # write_outbox rewrites every .eml file
        self.urls = Map(
            [
                Rule("/", endpoint="home"),
                Rule("/outbox", endpoint="home"),
                Rule("/outbox/", endpoint="outbox", defaults={"name": ""}),
                Rule("/outbox/<name>", endpoint="outbox"),
                Rule("/status.json", endpoint="status"),
                Rule("/respond/<path:link>", endpoint="respond", methods=["GET", "HEAD", "POST"]),
            ],
            strict_slashes=False,
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        request.max_content_length = MAX_FORM
        try:
            endpoint, values = self.urls.bind_to_environ(environ).match()
            response = getattr(self, f"on_{endpoint}")(request, **values)
        except RequestEntityTooLarge:
            response = Response("Too large\n", status=413, content_type="text/plain; charset=utf-8")
        except HTTPException as exc:
            response = Response(
                f"{exc.name}. The outbox is at /outbox/\n", status=exc.code or 500, content_type="text/plain"
            )
        response.headers.setdefault("Cache-Control", "no-store")
        return response(environ, start_response)

    # ------------------------------------------------------------------ pages
    def on_home(self, request: Request) -> Response:
        return redirect("/outbox/")

    def write_outbox(self) -> None:
        from .outbox import write_outbox

        write_outbox(self.env, self.outbox)  # the emails sent so far

    def on_outbox(self, request: Request, name: str) -> Response:
        if name and not SAFE_NAME.match(name):
            raise NotFound()
        with self._outbox_lock:
            if name in ("", "index.html"):
                self.write_outbox()
                name = "index.html"
            path = self.outbox / name
            if not path.is_file():
                raise NotFound()
            body = path.read_bytes()
        ctype = CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(body, content_type=ctype)

    def on_status(self, request: Request) -> Response:
        doc = json.dumps(self.runner.result(), indent=2, default=str, ensure_ascii=False)
        return Response(doc, content_type="application/json")

    def on_respond(self, request: Request, link: str) -> Response:
        """Through API Gateway's door: an HTTP API v2 event, the real respond function in moto."""
        method = "GET" if request.method == "HEAD" else request.method
        body = request.get_data() if method == "POST" else None
        event = http_event(
            method,
            request.path,
            body=body,
            content_type=request.content_type or "application/x-www-form-urlencoded",
            source_ip=request.remote_addr or HOST,
            user_agent=request.user_agent.string or "unknown",
        )
        result = self.env.invoke("RespondFunction", event)
        if not isinstance(result, dict) or "statusCode" not in result:  # the function itself failed
            return Response("The respond function failed: see the log.\n", status=502, content_type="text/plain")
        raw = result.get("body") or ""
        payload = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        return Response(payload, status=int(result["statusCode"]), headers=headers)

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


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        sys.stderr.write(f"  {self.command} {_hide_links(self.path.split('?')[0])} -> {code}\n")

    def log_error(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"  {_hide_links(format % args)}\n")


def _check_free(port: int, what: str, option: str) -> None:
    """Fail in a second, not after the stack is up: is the port free on 127.0.0.1?"""
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


def _keep_up(env: OfflineEnv, runner: Runner, stop: threading.Event) -> None:
    """What Lambda's SQS poller and SES's event publishing do on AWS, while the clock follows real time:
    poll the case queue, publish delivery events, and put scripted answers on the clock."""
    while not stop.wait(0.2):
        try:
            while env.pump_queue():
                pass
            runner.schedule_new()
            env.clock.check()
        except Exception as exc:  # keep serving; say what went wrong, once per kind
            if type(exc).__name__ not in runner.errors:
                runner.errors.append(type(exc).__name__)
                sys.stderr.write(f"  background work: {type(exc).__name__}: {exc}\n")


def _write_state(options: ServeOptions, env: OfflineEnv, moto: str, clock: FollowingClock) -> Path:
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
        "clock": clock.to_json(),  # the staff commands read simulated time from it
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
            start=datetime.now(UTC),  # a person is watching: simulated time starts now and follows real time
            public_base_url=options.base_url,
            log_path=options.state_dir / "lambda.log",
        )
        with env, moto_server(moto_port) as moto:
            runner = Runner(env, options.responses, RunOptions())
            site = Site(env, runner, options.outbox_dir)
            try:
                httpd: BaseWSGIServer = make_server(
                    HOST, options.port, site, threaded=True, request_handler=_QuietHandler
                )
            except OSError as exc:
                raise ServeError(f"cannot listen on {HOST}:{options.port} for the web pages ({exc})") from None
            for path in options.files:
                key = env.upload(path)
                runner.uploads.append(key)
                say(f"Uploaded {path.name} as s3://{env.stack.bucket}/{key}")
            # every first email goes out now (paced under the SES rate: within the first simulated hour)
            env.settle(
                done=lambda: not env.queue_depths()[0] and not runner.unsent_first_emails(),
                until=env.clock.now() + timedelta(hours=1),
                on_idle=runner.schedule_new,
            )
            with env.clock.following_real_time(options.day_seconds):
                threading.Thread(target=_keep_up, args=(env, runner, stop), name="keep-up", daemon=True).start()
                anchor = FollowingClock(env.clock.now(), time.time(), options.day_seconds)
                state_file = _write_state(options, env, moto, anchor)
                site.write_outbox()  # once now, for people who open the folder
                link = site.example_link()
                with env.reading() as services:
                    cases = len(services.cases.all())
                say("")
                who = (
                    "The scripted answers come on their days." if options.responses else "Nobody answers unless you do."
                )
                say(f"{cases} cases, {len(env.sent_emails())} emails sent. {who}")
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
