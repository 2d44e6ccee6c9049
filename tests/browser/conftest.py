"""Real-browser fixtures: `advocacy serve` in a subprocess, and Debian's headless Chromium driven by Selenium.

`advocacy serve` runs the offline twin on a virtual clock that follows real time (a simulated day lasts a real
day), so nothing expires while the browser clicks; it writes `<state dir>/serve.json` (the moto endpoint, the
stack's names and the clock's anchor) for the staff commands and for scripts in other processes.

Chromium and chromedriver are Debian's (`make test` installs them). Without them the browser tests fail, with
the reason, and never skip. `ADVOCACY_CHROMIUM` and `ADVOCACY_CHROMEDRIVER` name other paths.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ADVOCACY_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ADVOCACY_CHROMEDRIVER", "/usr/bin/chromedriver")
READY_LINE = "Press Ctrl-C to stop."
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    moto_url: str
    process: subprocess.Popen[str]
    lines: list[str]
    stderr_path: Path

    @property
    def stdout(self) -> str:
        return "\n".join(self.lines)

    @property
    def state_file(self) -> Path:
        """What serve leaves for the staff commands (`--local --state FILE`) and for scripts."""
        return self.stderr_path.parent / "serve.json"


def advocacy_command() -> str:
    exe = Path(sys.executable).parent / "advocacy"
    if not exe.is_file():
        pytest.fail(f"{exe} is missing: run `make install` (pip install -e '.[dev]') first")
    return str(exe)


def without_aws_settings() -> dict[str, str]:
    """This process's environment without AWS_*: what serve and the staff commands use must come from serve.json."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def _read_lines(stream: Any, out: queue.Queue[str | None]) -> None:
    for line in stream:
        out.put(line.rstrip("\n"))
    out.put(None)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()  # SIGTERM: serve shuts down cleanly
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`advocacy serve` on free ports, started once for the module and stopped at the end."""
    state = tmp_path_factory.mktemp("serve")
    port, moto_port = free_port(), free_port()
    while moto_port == port:
        moto_port = free_port()
    stderr_path = state / "stderr.txt"
    env = without_aws_settings()
    with stderr_path.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [
                advocacy_command(),
                *("serve", "--port", str(port), "--moto-port", str(moto_port), "--state-dir", str(state)),
            ],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines: list[str] = []
    incoming: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, incoming), daemon=True).start()
    served = Served(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{moto_port}", process, lines, stderr_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while READY_LINE not in lines:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"advocacy serve was not ready within {START_TIMEOUT:.0f}s:\n{served.stdout}")
            try:
                line = incoming.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if line is None:
                process.wait(timeout=10)
                pytest.fail(
                    f"advocacy serve exited with {process.returncode}:\n{served.stdout}\n"
                    f"{stderr_path.read_text(encoding='utf-8')[-3000:]}"
                )
            lines.append(line)
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # the port answers
        yield served
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless. Missing browser or driver is a failure, not a skip."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).is_file() and os.access(p, os.X_OK))]
    if missing:
        pytest.fail(
            f"the browser tests need Debian's chromium and chromedriver: {', '.join(missing)} not found "
            "(apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,1600",
    ):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
