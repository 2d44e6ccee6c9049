"""Make moto's Step Functions engine run on a VirtualClock: `with drive_stepfunctions(clock): ...`.

moto 5.2's ASL interpreter (`mock_aws(config={"stepfunctions": {"execute_state_machine": True}})`)
runs every execution on real threads and waits in real time. Inside `drive_stepfunctions(clock)`:

- every thread the engine creates is tracked by the clock: the engine appends each one to
  `moto.stepfunctions.parser.utils.TMP_THREADS` before starting it, and every module holding that list
  gets one whose `append` calls `clock.track(thread)`;
- the engine's events are `VirtualEvent`s (its modules see a `threading` whose `Event` is the clock's),
  so task timeouts, `.waitForTaskToken`, heartbeats, Parallel/Map joins and `Wait` states wait in
  virtual time, and `SendTaskSuccess` from any thread wakes the task as a due-now item;
- `Program.eval`'s `worker_thread.join(timeout)` is a virtual wait (tracked threads join virtually);
- `time.sleep` (retry intervals, .sync polling) and `time.time` (Wait) are the clock's;
- `JitterStrategy: FULL` draws from a generator seeded with the execution's name, the state's name and
  the attempt, never from the global `random`;
- history event timestamps, `$$.State.EnteredTime`, execution start and stop dates and Wait
  `Timestamp`s are virtual.

It patches nothing else. Missing targets (a moto upgrade) fail at patch time, naming each one
(`check_targets()` lists them). Exiting closes the clock - every parked engine thread unwinds - and
restores moto. One `drive_stepfunctions` at a time per process.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib
import inspect
import random
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .vclock import VirtualClock

PARSER = "moto.stepfunctions.parser"


@dataclass(frozen=True)
class Target:
    """One moto attribute that `drive_stepfunctions` replaces: `module` is relative to PARSER."""

    module: str
    attribute: str  # "name" or "Class.name"
    why: str

    @property
    def qualified(self) -> str:
        return f"{PARSER}.{self.module}.{self.attribute}"


_EXECUTE_STATE = "asl.component.state.exec.execute_state"
_CALLBACK_SERVICE = "asl.component.state.exec.state_task.service.state_task_service_callback"

TARGETS: tuple[Target, ...] = (
    Target("utils", "TMP_THREADS", "every engine thread is appended here before it starts"),
    Target("asl.component.program.program", "TMP_THREADS", "the execution's worker thread"),
    Target(_EXECUTE_STATE, "TMP_THREADS", "each task's evaluation thread"),
    Target(_CALLBACK_SERVICE, "TMP_THREADS", ".sync tasks' waitForTaskToken thread"),
    Target("backend.execution_worker", "TMP_THREADS", "each execution's logic thread"),
    Target("asl.component.state.exec.state_parallel.branch_worker", "TMP_THREADS", "Parallel branches"),
    Target("asl.component.state.exec.state_map.iteration.inline_iteration_component", "TMP_THREADS", "Map"),
    Target("asl.eval.environment", "threading", "Environment.program_state_event: Wait states"),
    Target(_EXECUTE_STATE, "threading", "terminated_event: task timeouts (TimeoutSeconds[Path])"),
    Target("asl.eval.callback.callback", "Event", "waitForTaskToken, heartbeats, activity starts"),
    Target("asl.component.state.exec.state_parallel.branches_decl", "threading", "Parallel's join"),
    Target("asl.component.state.exec.state_map.iteration.job", "threading", "Map's join"),
    Target("asl.component.common.retry.retrier_decl", "time", "time.sleep(interval_seconds): Retry"),
    Target(_CALLBACK_SERVICE, "time", "time.sleep: .sync polling"),
    Target("asl.component.state.wait.wait_function.wait_function", "time", "time.time: Wait measures its wait"),
    Target("asl.component.common.retry.jitter_strategy_decl", "JitterStrategyDecl._eval_body", "global random"),
    Target("asl.eval.event.event_manager", "EventManager._get_current_timestamp", "history event timestamps"),
    Target("asl.component.state.wait.wait_function.timestamp", "datetime", "Wait Timestamp: now()"),
    Target("asl.component.state.state", "datetime", "$$.State.EnteredTime"),
    Target("models", "datetime", "execution start date"),
    Target("backend.execution", "datetime", "execution stop date"),
)


class MotoTargetMissing(RuntimeError):
    """moto no longer has something drive_stepfunctions patches (an upgrade moved it)."""


def _resolve(target: Target) -> tuple[Any, str]:
    """(owner object, attribute name) for a target, or MotoTargetMissing."""
    try:
        owner: Any = importlib.import_module(f"{PARSER}.{target.module}")
    except ImportError as exc:
        raise MotoTargetMissing(f"{PARSER}.{target.module} is gone ({target.why}): see sfn_time.py") from exc
    *path, name = target.attribute.split(".")
    for part in path:
        owner = getattr(owner, part, None)
        if owner is None:
            break
    if owner is None or not hasattr(owner, name):
        raise MotoTargetMissing(f"{target.qualified} is gone ({target.why}): see sfn_time.py")
    return owner, name


def check_targets() -> list[str]:
    """The targets moto no longer has, each as a message naming it (empty: all present)."""
    missing: list[str] = []
    for target in TARGETS:
        try:
            _resolve(target)
        except MotoTargetMissing as exc:
            missing.append(str(exc))
    return missing


# ---------------------------------------------------------------------- replacements
class _TrackingList(list[threading.Thread]):
    """Stands in for TMP_THREADS: tracks each appended thread instead of keeping it."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def append(self, thread: threading.Thread) -> None:
        self._clock.track(thread)


class _ModuleProxy(types.ModuleType):
    """A module whose attributes are the real module's, except those set on the proxy."""

    def __init__(self, real: types.ModuleType, **overrides: Any) -> None:
        super().__init__(real.__name__)
        self._real = real
        for key, value in overrides.items():
            setattr(self, key, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _VirtualDatetimeClass:
    """Stands in for the `datetime.datetime` class: now()/utcnow() are virtual, the rest is real."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock

    def now(self, tz: _dt.tzinfo | None = None) -> _dt.datetime:
        now = self._clock.now()
        return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)  # naive: UTC, as moto assumes

    def utcnow(self) -> _dt.datetime:
        return self._clock.now().replace(tzinfo=None)

    def __getattr__(self, name: str) -> Any:
        return getattr(_dt.datetime, name)


def jitter_seed(execution_name: str, state_name: str, attempt: int) -> str:
    """What seeds the FULL jitter of one retry: the same retry always waits the same time."""
    return f"{execution_name}\x00{state_name}\x00{attempt}"


def _deterministic_jitter(original: Callable[..., None]) -> Callable[..., None]:
    from moto.stepfunctions.parser.asl.component.common.retry.jitter_strategy_decl import JitterStrategy

    def _eval_body(self: Any, env: Any) -> None:
        if self.jitter_strategy != JitterStrategy.FULL:
            original(self, env)
            return
        interval_seconds = env.stack.pop()
        context = env.states.context_object.context_object_data
        state = context.get("State") or {}
        seed = jitter_seed(context["Execution"]["Name"], state.get("Name", ""), int(state.get("RetryCount", 0)))
        env.stack.append(random.Random(seed).uniform(0, interval_seconds))

    return _eval_body


def _replacements(clock: VirtualClock) -> list[tuple[Target, Any]]:
    tracking = _TrackingList(clock)
    virtual_threading = _ModuleProxy(threading, Event=clock.event)
    virtual_time = _ModuleProxy(time, sleep=clock.sleep, time=clock.timestamp)
    virtual_datetime = _ModuleProxy(_dt, datetime=_VirtualDatetimeClass(clock))
    plan: list[tuple[Target, Any]] = []
    for target in TARGETS:
        owner, name = _resolve(target)
        value: Any
        if name == "TMP_THREADS":
            value = tracking
        elif name == "threading":
            value = virtual_threading
        elif name == "Event":
            value = clock.event
        elif name == "time":
            value = virtual_time
        elif name == "datetime":
            value = virtual_datetime
        elif name == "_eval_body":
            value = _deterministic_jitter(getattr(owner, name))
        elif name == "_get_current_timestamp":
            value = staticmethod(clock.now)
        else:  # pragma: no cover - a new target needs its replacement here
            raise AssertionError(f"no replacement for {target.qualified}")
        plan.append((target, value))
    return plan


def _tmp_thread_holders(value: object) -> list[types.ModuleType]:
    """The loaded engine modules whose TMP_THREADS is `value`."""
    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith(PARSER) and getattr(module, "TMP_THREADS", None) is value
    ]


_active_lock = threading.Lock()
_active: VirtualClock | None = None


@contextlib.contextmanager
def drive_stepfunctions(clock: VirtualClock) -> Iterator[VirtualClock]:
    """Run moto's Step Functions engine on `clock` inside the block. See the module docstring.

    Executions started inside the block are driven by the clock: drive them with
    `clock.run_until_idle()` / `clock.advance()` / `clock.run(until=...)` (or `follow_real_time`).
    """
    global _active
    plan = _replacements(clock)  # resolves every target first: nothing is patched if one is missing
    with _active_lock:
        if _active is not None:
            raise RuntimeError("drive_stepfunctions is already active in this process")
        _active = clock
    applied: list[tuple[Any, str, Any]] = []
    original_tmp_threads = importlib.import_module(f"{PARSER}.utils").TMP_THREADS
    tracking = next(value for target, value in plan if target.attribute == "TMP_THREADS")
    try:
        for owner, name, value in [(*_resolve(target), value) for target, value in plan]:
            applied.append((owner, name, inspect.getattr_static(owner, name)))
            setattr(owner, name, value)
        for module in _tmp_thread_holders(original_tmp_threads):  # any engine module TARGETS does not list
            applied.append((module, "TMP_THREADS", original_tmp_threads))
            setattr(module, "TMP_THREADS", tracking)  # noqa: B010 - a module attribute mypy cannot see
        yield clock
    finally:
        try:
            clock.close()  # unwind parked engine threads while the patches are still in place
        finally:
            for owner, name, original in reversed(applied):
                setattr(owner, name, original)
            for module in _tmp_thread_holders(tracking):  # imported during the block, from the patched utils
                setattr(module, "TMP_THREADS", original_tmp_threads)  # noqa: B010
            with _active_lock:
                _active = None
