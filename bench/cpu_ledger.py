"""Where an offline run's CPU goes: the handlers' own code, botocore's client, moto, Step Functions' engine, the twin.

Every thread keeps a stack of *layers*; CPU time (`time.thread_time`) is charged to the layer on top, so each
second is counted once, in the innermost layer that spent it. The layers are entered at the seams every call
crosses:

- `botocore client`: `BaseClient._make_api_call` (validation, serialisation, signing, the event hooks, parsing);
- `moto`: moto's `BotocoreStubber.__call__`, where a request leaves botocore (with the twin's strict checks and
  faults, which answer there too): moto's request handling and its service models, Lambda's invoke included;
- `handler`: a function's handler, from the in-process Lambda hook (`advocacy_offline.lambdas`): the project's
  code, Powertools and pydantic, without the AWS calls it makes (those are the two layers above).

What runs outside every layer is charged to the thread's own layer: `twin driver` on the thread that drives
the run (the virtual clock, the SQS poller, the run's bookkeeping) and `step functions engine` on the threads
moto's Step Functions runs executions on (the ASL interpreter, JSONPath, its waits' bookkeeping).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

HANDLER = "handler"
CLIENT = "botocore client"
MOTO = "moto"
DRIVER = "twin driver"
ENGINE = "step functions engine"
LAYERS = (HANDLER, CLIENT, MOTO, ENGINE, DRIVER)


class CpuLedger:
    """CPU seconds by layer, for the threads that run while it is installed (`with ledger.installed(): ...`)."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.entries: Counter[str] = Counter()  # how many times each layer was entered (AWS calls, invocations)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._driver = threading.get_ident()

    def _state(self) -> list[Any]:
        state: list[Any] | None = getattr(self._local, "state", None)
        if state is None:
            base = DRIVER if threading.get_ident() == self._driver else ENGINE
            # [stack of layers, thread CPU when the top layer last started being charged]
            state = [[base], time.thread_time() if base == DRIVER else 0.0]
            self._local.state = state
        return state

    def _charge(self, state: list[Any], now: float) -> None:
        spent = now - state[1]
        if spent > 0:
            with self._lock:
                self.seconds[state[0][-1]] += spent
        state[1] = now

    @contextlib.contextmanager
    def layer(self, name: str) -> Iterator[None]:
        state = self._state()
        self._charge(state, time.thread_time())
        with self._lock:
            self.entries[name] += 1
        state[0].append(name)
        try:
            yield
        finally:
            self._charge(state, time.thread_time())
            state[0].pop()

    def flush(self) -> None:
        """Charge this thread's time since its last change of layer (call at the end, on the driver thread)."""
        self._charge(self._state(), time.thread_time())

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self.layer(name):
                return fn(*args, **kwargs)

        return wrapped

    @contextlib.contextmanager
    def installed(self) -> Iterator[CpuLedger]:
        """Patch the seams (inside an entered OfflineEnv: the twin's own patch of moto's stubber is then inside
        the `moto` layer)."""
        from advocacy_offline import lambdas
        from advocacy_offline.vclock import VirtualClock
        from botocore.client import BaseClient
        from moto.core.botocore_stubber import BotocoreStubber

        load_handler = lambdas.load_handler

        def load_wrapped(folder: str) -> Any:
            return self.wrap(f"{HANDLER} {folder}", load_handler(folder))

        thread_main = VirtualClock._thread_main

        def flushing_thread_main(clock: VirtualClock, tracked: Any, run: Callable[[], None]) -> None:
            def run_then_flush() -> None:
                try:
                    run()
                finally:
                    self.flush()

            thread_main(clock, tracked, run_then_flush)

        with (
            mock.patch.object(BaseClient, "_make_api_call", self.wrap(CLIENT, BaseClient._make_api_call)),
            mock.patch.object(BotocoreStubber, "__call__", self.wrap(MOTO, BotocoreStubber.__call__)),
            mock.patch.object(lambdas, "load_handler", load_wrapped),
            mock.patch.object(VirtualClock, "_thread_main", flushing_thread_main),
        ):
            self._state()
            yield self
            self.flush()

    def handler_seconds(self) -> dict[str, float]:
        """The handlers' own CPU, by function (folder under functions/)."""
        prefix = f"{HANDLER} "
        return {k.removeprefix(prefix): v for k, v in sorted(self.seconds.items()) if k.startswith(prefix)}

    def report(self) -> dict[str, float]:
        """CPU seconds by layer (the handlers' together)."""
        by_layer = {name: self.seconds[name] for name in LAYERS}
        by_layer[HANDLER] = sum(self.handler_seconds().values())
        return {name: round(seconds, 3) for name, seconds in by_layer.items()}
