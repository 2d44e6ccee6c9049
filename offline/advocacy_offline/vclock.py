"""A deterministic virtual clock: a discrete-event scheduler over real threads.

Simulated time moves only when the scheduler moves it. Work happens in *activities*: a tracked thread
running between two blocking points, or a callback the driver runs. One activity runs at a time. The
scheduler keeps a queue of *due items* ordered by `(due, seq)` - `seq` counts scheduling, so two items
due at the same instant run in the order they were scheduled - and releases them one by one:

- a tracked thread waiting for its turn to start (`track(thread)`, then `thread.start()`);
- a tracked thread waiting on a `VirtualEvent` (with a virtual timeout) or sleeping (`sleep`);
- a callback (`call_at`, `call_soon`, `call_later`).

Setting a `VirtualEvent` from anywhere (an activity, the driver, an HTTP server thread) queues each
waiter's wake-up as a due-now item: the woken thread never runs alongside the activity that woke it.

Two ways to drive it:

- **run** (the default): the caller drives. `run_until_idle()` releases every item due now, one at a
  time, waiting after each until nothing runs; `advance()` moves `now` to the next due time;
  `run(until=...)` does both until nothing is due. Real time never leaks in, so the same scenario gives
  the same order of activities and the same virtual timestamps whatever the CPU load, and whatever
  `pace_seconds_per_day` (real seconds slept per simulated day by `advance()`, 0 = as fast as possible).
- **follow real time** (`follow_real_time(day_seconds)`, for an interactive server): `now()` moves with
  real time, a simulated day lasting `day_seconds`, and a pump thread releases items when they fall
  due. Untracked threads may act at any moment; tracked threads still run one at a time.

It fails loudly: an activity that does not reach a virtual wait within `stall_timeout` real seconds
raises `TwinStalled` in the driver, with every tracked thread's stack; a tracked thread that dies with
an exception raises `TrackedThreadFailed` there. `close()` unwinds every parked tracked thread.

This module knows nothing about moto: `sfn_time.drive_stepfunctions(clock)` makes moto's Step
Functions engine run on it.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

DEFAULT_STALL_TIMEOUT = 120.0
DAY = 86400.0


class VirtualClockError(RuntimeError):
    """The virtual clock cannot keep its promise (the run is not trustworthy)."""


class TwinStalled(VirtualClockError):
    """An activity did not reach a virtual wait in time: it is blocked on something the clock cannot see."""

    def __init__(self, message: str, dump: str) -> None:
        super().__init__(f"{message}\n{dump}")
        self.dump = dump


class TrackedThreadFailed(VirtualClockError):
    """A tracked thread died with an exception that nothing in it handled."""

    def __init__(self, thread_name: str, formatted: str) -> None:
        super().__init__(f"tracked thread {thread_name!r} died:\n{formatted}")
        self.thread_name = thread_name
        self.formatted = formatted


class ClockClosed(BaseException):  # a BaseException: moto's `except Exception` must not swallow it
    """Raised in a tracked thread that waits after the clock closed, so it unwinds and ends."""


class TimerHandle:
    """A scheduled callback. `cancel()` stops it if it has not run yet."""

    def __init__(self, clock: VirtualClock, item: _Item) -> None:
        self._clock = clock
        self._item = item

    @property
    def when(self) -> datetime:
        return self._item.due

    @property
    def cancelled(self) -> bool:
        return self._item.cancelled

    def cancel(self) -> bool:
        """True if the callback was still pending (and now never runs)."""
        with self._clock._lock:
            if self._item.cancelled or self._item.done:
                return False
            self._clock._cancel_locked(self._item)
            return True


class _Waiter:
    """One tracked thread parked until an event is set, a timeout is due, or its turn to start comes."""

    __slots__ = ("event", "released", "resolved", "result", "timeout_item", "tracked")

    def __init__(self, tracked: _Tracked, event: VirtualEvent | None = None) -> None:
        self.tracked = tracked
        self.event = event
        self.resolved = False  # the outcome (set or timed out) is decided
        self.result = False
        self.released = False  # the scheduler gave the thread its turn
        self.timeout_item: _Item | None = None


class _Item:
    __slots__ = ("callback", "cancelled", "done", "due", "result", "seq", "waiter")

    def __init__(
        self,
        due: datetime,
        seq: int,
        *,
        waiter: _Waiter | None = None,
        result: bool | None = None,
        callback: Callable[[], object] | None = None,
    ) -> None:
        self.due = due
        self.seq = seq
        self.waiter = waiter  # a thread's turn (start, wake-up or timeout) ...
        self.result = result  # ... and, for a timeout, the outcome it decides (False)
        self.callback = callback  # or a driver callback
        self.cancelled = False
        self.done = False

    def __lt__(self, other: _Item) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


class _Tracked:
    """The clock's view of one tracked thread."""

    def __init__(self, clock: VirtualClock, thread: threading.Thread) -> None:
        self.thread = thread
        self.name = thread.name
        self.turn = threading.Condition(clock._lock)  # signalled when this thread gets its turn
        self.finished = VirtualEvent(clock)  # set when its target returns: a virtual join
        self.gate: _Waiter | None = None
        self.waiter: _Waiter | None = None  # what it is parked on, if parked
        self.done = False


_DRIVER = object()  # the running activity is a callback in the driver thread


class VirtualEvent(threading.Event):
    """A `threading.Event` whose waits, in tracked threads, are virtual.

    `wait(timeout)` in a tracked thread parks it until the event is set or the virtual time reaches
    now + timeout. In any other thread it is an ordinary wait. `set()` from any thread queues each
    virtual waiter's wake-up as a due-now item (a set-then-clear pulse still wakes them)."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock
        self._waiters: list[_Waiter] = []

    def set(self) -> None:
        with self._clock._lock:
            self._set_locked()

    def _set_locked(self) -> None:
        """Set with the clock's lock held: the wake-ups are queued atomically with the caller's step."""
        super().set()
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            self._clock._resolve_locked(waiter, True)

    def wait(self, timeout: float | None = None) -> bool:
        return self._clock._wait_event(self, timeout)


class VirtualClock:
    """Simulated UTC time and the scheduler that moves it. See the module docstring."""

    def __init__(
        self,
        start: datetime,
        *,
        pace_seconds_per_day: float = 0.0,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    ) -> None:
        if start.tzinfo is None or start.utcoffset() != timedelta(0):
            raise ValueError("VirtualClock needs a timezone-aware UTC start")
        if pace_seconds_per_day < 0 or stall_timeout <= 0:
            raise ValueError("pace_seconds_per_day must be >= 0 and stall_timeout > 0")
        self.pace_seconds_per_day = pace_seconds_per_day
        self.stall_timeout = stall_timeout
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # an activity went idle, an item was queued
        self._now = start.astimezone(UTC)
        self._queue: list[_Item] = []
        self._seq = itertools.count()
        self._cancelled = 0
        self._running: _Tracked | object | None = None
        self._tracked: dict[threading.Thread, _Tracked] = {}
        self._failures: list[TrackedThreadFailed] = []
        self._closed = False
        self.activities = 0  # items released so far (threads' turns and callbacks)
        # follow-real-time mode
        self._follow_anchor: tuple[datetime, float, float] | None = None  # virtual, real monotonic, scale
        self._pump: threading.Thread | None = None
        self._pump_error: BaseException | None = None

    # ------------------------------------------------------------------ time
    def now(self) -> datetime:
        """The simulated time (timezone-aware UTC)."""
        with self._lock:
            return self._now_locked()

    def timestamp(self) -> float:
        """The simulated time as POSIX seconds."""
        return self.now().timestamp()

    def _now_locked(self) -> datetime:
        if self._follow_anchor is None:
            return self._now
        virtual, real, scale = self._follow_anchor
        return virtual + timedelta(seconds=(time.monotonic() - real) * scale)

    def _deadline_locked(self, seconds: float) -> datetime | None:
        """now + seconds, or None for a wait that can never time out (infinite or past year 9999)."""
        if not math.isfinite(seconds):
            return None
        try:
            return self._now_locked() + timedelta(seconds=max(seconds, 0.0))
        except OverflowError:
            return None

    # ------------------------------------------------------------------ scheduling
    def call_at(self, when: datetime, fn: Callable[[], object]) -> TimerHandle:
        """Run `fn()` in the driver at virtual time `when` (at once if `when` has passed)."""
        if when.tzinfo is None:
            raise ValueError("call_at needs a timezone-aware time")
        with self._lock:
            item = self._push_locked(max(when, self._now_locked()), callback=fn)
        return TimerHandle(self, item)

    def call_later(self, seconds: float, fn: Callable[[], object]) -> TimerHandle:
        """Run `fn()` in the driver `seconds` of virtual time from now."""
        with self._lock:
            due = self._deadline_locked(seconds)
            if due is None:
                raise ValueError(f"cannot schedule {seconds} s ahead")
            item = self._push_locked(due, callback=fn)
        return TimerHandle(self, item)

    def call_soon(self, fn: Callable[[], object]) -> TimerHandle:
        """Run `fn()` in the driver now, after what is already due now."""
        with self._lock:
            item = self._push_locked(self._now_locked(), callback=fn)
        return TimerHandle(self, item)

    def _push_locked(
        self,
        due: datetime,
        *,
        waiter: _Waiter | None = None,
        result: bool | None = None,
        callback: Callable[[], object] | None = None,
    ) -> _Item:
        item = _Item(due, next(self._seq), waiter=waiter, result=result, callback=callback)
        heapq.heappush(self._queue, item)
        self._changed.notify_all()
        return item

    def _cancel_locked(self, item: _Item) -> None:
        item.cancelled = True
        self._cancelled += 1
        if self._cancelled > 1000 and self._cancelled * 2 > len(self._queue):
            self._queue = [i for i in self._queue if not i.cancelled]
            heapq.heapify(self._queue)
            self._cancelled = 0

    def _peek_locked(self) -> _Item | None:
        while self._queue and self._queue[0].cancelled:
            heapq.heappop(self._queue)
            self._cancelled -= 1
        return self._queue[0] if self._queue else None

    def next_due(self) -> datetime | None:
        """When the next item falls due, or None if nothing is scheduled."""
        with self._lock:
            item = self._peek_locked()
            return item.due if item else None

    # ------------------------------------------------------------------ tracked threads
    def track(self, thread: threading.Thread) -> None:
        """Make a not-yet-started thread an activity of this clock.

        Its `start()` queues its first turn as a due-now item; it runs only when released, never
        alongside another activity. Its `join()` from a tracked thread is a virtual wait."""
        if thread.ident is not None:
            raise VirtualClockError(f"thread {thread.name!r} started before it was tracked")
        tracked = _Tracked(self, thread)
        run, start, join, is_alive = thread.run, thread.start, thread.join, thread.is_alive

        def tracked_start() -> None:
            with self._lock:
                if self._closed:
                    raise VirtualClockError("the virtual clock is closed")
                self._tracked[thread] = tracked
                tracked.gate = _Waiter(tracked)
                tracked.gate.resolved = True
                turn = self._push_locked(self._now_locked(), waiter=tracked.gate)
            try:
                start()
            except BaseException:  # e.g. "can't start new thread": withdraw its turn, then re-raise
                with self._lock:
                    self._cancel_locked(turn)
                    self._tracked.pop(thread, None)
                raise

        def tracked_run() -> None:
            self._thread_main(tracked, run)

        def tracked_join(timeout: float | None = None) -> None:
            if self._current_tracked() is None:
                join(timeout)
            else:
                tracked.finished.wait(timeout)

        def tracked_is_alive() -> bool:
            return is_alive() and not tracked.done

        # instance attributes win over the class's methods (Thread._bootstrap calls self.run())
        thread.start = tracked_start  # type: ignore[method-assign]
        thread.run = tracked_run  # type: ignore[method-assign]
        thread.join = tracked_join  # type: ignore[method-assign]
        thread.is_alive = tracked_is_alive  # type: ignore[method-assign]

    def _thread_main(self, tracked: _Tracked, run: Callable[[], None]) -> None:
        try:
            with self._lock:
                gate = tracked.gate
                assert gate is not None
                while not gate.released:
                    if self._closed:
                        raise ClockClosed
                    tracked.turn.wait()
            run()
        except ClockClosed:
            pass
        except BaseException as exc:
            failure = TrackedThreadFailed(tracked.name, "".join(traceback.format_exception(exc)))
            failure.__cause__ = exc
            with self._lock:
                self._failures.append(failure)
        finally:
            with self._lock:
                tracked.done = True
                tracked.finished._set_locked()  # joiners wake in order, before the next activity runs
                self._tracked.pop(tracked.thread, None)
                if self._running is tracked:
                    self._running = None
                self._changed.notify_all()

    def _current_tracked(self) -> _Tracked | None:
        return self._tracked.get(threading.current_thread())

    # ------------------------------------------------------------------ virtual waits
    def event(self) -> VirtualEvent:
        """A new `VirtualEvent` on this clock (a drop-in `threading.Event`)."""
        return VirtualEvent(self)

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of virtual time in a tracked thread (real time elsewhere)."""
        with self._lock:
            tracked = self._tracked.get(threading.current_thread())
            if tracked is not None:
                if seconds > 0:
                    self._park_locked(tracked, _Waiter(tracked), seconds)
                return
        time.sleep(max(seconds, 0.0))

    def _wait_event(self, event: VirtualEvent, timeout: float | None) -> bool:
        with self._lock:
            tracked = self._tracked.get(threading.current_thread())
            if tracked is not None:
                if event.is_set():
                    return True
                if timeout is not None and timeout <= 0:
                    return False
                waiter = _Waiter(tracked, event)
                event._waiters.append(waiter)
                return self._park_locked(tracked, waiter, timeout)
        return threading.Event.wait(event, timeout)

    def _park_locked(self, tracked: _Tracked, waiter: _Waiter, timeout: float | None) -> bool:
        """Block the running tracked thread until its waiter is released; the driver goes on."""
        if self._closed:
            raise ClockClosed
        if self._running is not tracked:
            error = VirtualClockError(f"tracked thread {tracked.name!r} waits while it is not the running activity")
            self._failures.append(TrackedThreadFailed(tracked.name, str(error)))
            raise error
        if timeout is not None:
            due = self._deadline_locked(timeout)
            if due is not None:
                waiter.timeout_item = self._push_locked(due, waiter=waiter, result=False)
        tracked.waiter = waiter
        self._running = None
        self._changed.notify_all()
        while not waiter.released:
            if self._closed:
                raise ClockClosed
            tracked.turn.wait()
        tracked.waiter = None
        return waiter.result

    def _resolve_locked(self, waiter: _Waiter, result: bool) -> None:
        """Decide a waiter's outcome and queue its wake-up now (an event was set)."""
        if waiter.resolved:
            return
        waiter.resolved, waiter.result = True, result
        if waiter.timeout_item is not None:
            self._cancel_locked(waiter.timeout_item)
        self._push_locked(self._now_locked(), waiter=waiter)

    def _release_locked(self, item: _Item) -> None:
        """Give a thread its turn (start, wake-up or timeout)."""
        waiter = item.waiter
        assert waiter is not None
        if not waiter.resolved:  # a timeout: the event was not set in time
            waiter.resolved, waiter.result = True, bool(item.result)
            if waiter.event is not None:
                with contextlib.suppress(ValueError):
                    waiter.event._waiters.remove(waiter)
        waiter.released = True
        if not waiter.tracked.done:
            self._running = waiter.tracked
            waiter.tracked.turn.notify()

    # ------------------------------------------------------------------ driving (run mode)
    def run_until_idle(self) -> None:
        """Release every item due now, one at a time in (due, seq) order, waiting after each until
        no activity runs. Callbacks run here, in the caller's thread. Returns when nothing due now
        is left. Raises TwinStalled or TrackedThreadFailed if the clock cannot keep its promise."""
        self._check_driver("run_until_idle")
        while self._step():
            pass

    def _step(self) -> bool:
        """Release one due item and wait until it is idle; False if nothing is due now."""
        with self._lock:
            self._wait_idle_locked()
            item = self._peek_locked()
            if item is None or item.due > self._now_locked():
                return False
            heapq.heappop(self._queue)
            item.done = True
            self.activities += 1
            callback = item.callback
            if callback is None:
                self._release_locked(item)
            else:
                self._running = _DRIVER
        if callback is not None:
            try:
                callback()
            finally:
                with self._lock:
                    self._running = None
                    self._changed.notify_all()
        with self._lock:
            self._wait_idle_locked()
        return True

    def advance(self) -> datetime | None:
        """Move `now` to the next due time (releasing nothing) and return it; None if nothing is due.
        With `pace_seconds_per_day`, first sleep real time in proportion to the simulated gap."""
        self._check_driver("advance")
        with self._lock:
            self._wait_idle_locked()
            item = self._peek_locked()
            if item is None:
                return None
            target = item.due
            gap = max((target - self._now).total_seconds(), 0.0)
        self._pace(gap)
        with self._lock:
            self._now = max(self._now, target)
            return self._now

    def advance_to(self, when: datetime) -> datetime:
        """Move `now` to `when`, which must not pass the next due item (run() does that safely)."""
        self._check_driver("advance_to")
        with self._lock:
            self._wait_idle_locked()
            item = self._peek_locked()
            if item is not None and item.due < when:
                raise VirtualClockError(f"cannot jump to {when.isoformat()}: an item is due at {item.due.isoformat()}")
            gap = max((when - self._now).total_seconds(), 0.0)
        self._pace(gap)
        with self._lock:
            self._now = max(self._now, when)
            return self._now

    def run(self, until: datetime | None = None, stop_when: Callable[[], bool] | None = None) -> datetime:
        """Run until nothing is due (or, with `until`, until everything due by then has run and
        `now` is `until`; or, with `stop_when`, until it returns True - it is asked whenever
        everything due now has run). Returns the virtual time it stopped at. A periodic timer
        makes this run forever without a bound."""
        while True:
            self.run_until_idle()
            if stop_when is not None and stop_when():
                return self.now()
            due = self.next_due()
            if due is None or (until is not None and due > until):
                break
            self.advance()
        if until is not None and until > self.now():
            self.advance_to(until)
        return self.now()

    def _pace(self, gap_seconds: float) -> None:
        if self.pace_seconds_per_day > 0 and gap_seconds > 0:
            time.sleep(gap_seconds / DAY * self.pace_seconds_per_day)

    def _check_driver(self, what: str) -> None:
        if self._closed:
            raise VirtualClockError(f"{what}() on a closed virtual clock")
        if self._current_tracked() is not None:
            raise VirtualClockError(f"{what}() called from a tracked thread")
        if self._follow_anchor is not None and threading.current_thread() is not self._pump:
            raise VirtualClockError(f"{what}() while following real time: the clock's pump drives it")
        if self._pump_error is not None:
            raise self._pump_error

    def _wait_idle_locked(self) -> None:
        deadline = time.monotonic() + self.stall_timeout
        while self._running is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TwinStalled(
                    f"an activity ran for {self.stall_timeout:g} s of real time without reaching a virtual wait "
                    f"(virtual time {self._now_locked().isoformat()}): it is blocked on something the clock cannot see",
                    self._dump_locked(),
                )
            self._changed.wait(remaining)
        if self._failures:
            failure = self._failures.pop(0)
            raise failure

    def _dump_locked(self) -> str:
        frames = sys._current_frames()
        running = self._running
        lines: list[str] = []
        for tracked in sorted(self._tracked.values(), key=lambda t: t is not running):
            if tracked is running:
                state = "RUNNING"
            elif tracked.gate is not None and not tracked.gate.released:
                state = "waiting to start"
            else:
                state = "parked on a virtual wait"
            lines.append(f"--- tracked thread {tracked.name!r}: {state}")
            frame = frames.get(tracked.thread.ident or -1)
            if frame is not None:
                lines.extend(line.rstrip("\n") for line in traceback.format_stack(frame))
        if running is _DRIVER:
            lines.insert(0, "--- a driver callback is running")
        return "\n".join(lines)

    # ------------------------------------------------------------------ follow-real-time mode
    def follow_real_time(self, day_seconds: float) -> None:
        """From now on, a simulated day lasts `day_seconds` real seconds, and a pump thread releases
        items as they fall due (untracked threads may act meanwhile). `stop_following()` ends it."""
        if day_seconds <= 0:
            raise ValueError("day_seconds must be > 0")
        self._check_driver("follow_real_time")
        with self._lock:
            if self._closed:
                raise VirtualClockError("the virtual clock is closed")
            self._follow_anchor = (self._now, time.monotonic(), DAY / day_seconds)
            self._pump_error = None
            self._pump = threading.Thread(target=self._pump_main, name="vclock-pump", daemon=True)
        self._pump.start()

    def stop_following(self) -> None:
        """Freeze time where it is, stop the pump and return to run mode. Raises what stopped the pump."""
        self._stop_pump()
        error, self._pump_error = self._pump_error, None
        if error is not None:
            raise error

    def _stop_pump(self) -> None:
        with self._lock:
            if self._follow_anchor is None:
                return
            self._now = self._now_locked()
            self._follow_anchor = None
            pump, self._pump = self._pump, None
            self._changed.notify_all()
        if pump is not None and pump is not threading.current_thread():
            pump.join(self.stall_timeout + 5)

    @contextlib.contextmanager
    def following_real_time(self, day_seconds: float) -> Iterator[VirtualClock]:
        """`with clock.following_real_time(day_seconds):` - follow_real_time, then stop_following."""
        self.follow_real_time(day_seconds)
        try:
            yield self
        finally:
            self.stop_following()

    @property
    def following(self) -> bool:
        return self._follow_anchor is not None

    def check(self) -> None:
        """Raise what went wrong in the pump (follow mode) or in a tracked thread, if anything."""
        if self._pump_error is not None:
            raise self._pump_error
        with self._lock:
            if self._failures:
                raise self._failures.pop(0)

    def _pump_main(self) -> None:
        try:
            while True:
                with self._lock:
                    if self._follow_anchor is None or self._closed:
                        return
                if self._step():
                    continue
                with self._lock:
                    if self._follow_anchor is None or self._closed:
                        return
                    _, _, scale = self._follow_anchor
                    item = self._peek_locked()
                    wait = 1.0
                    if item is not None:
                        wait = min(wait, max((item.due - self._now_locked()).total_seconds() / scale, 0.0))
                    if wait > 0:
                        self._changed.wait(wait)
        except BaseException as exc:  # surfaced by check() / stop_following()
            self._pump_error = exc

    # ------------------------------------------------------------------ teardown
    def close(self, join_timeout: float = 5.0) -> None:
        """Unwind every parked or waiting tracked thread (each raises ClockClosed and ends), and stop
        following real time. A thread that is running stays as it is."""
        self._stop_pump()  # what stopped the pump, if anything, stays for check()
        with self._lock:
            self._closed = True
            threads = list(self._tracked.values())
            for tracked in threads:
                tracked.turn.notify_all()
            self._changed.notify_all()
        deadline = time.monotonic() + join_timeout
        for tracked in threads:
            remaining = deadline - time.monotonic()
            if remaining > 0 and tracked.thread.ident is not None:
                threading.Thread.join(tracked.thread, remaining)

    @property
    def closed(self) -> bool:
        return self._closed

    def busy_threads(self) -> int:
        """Tracked threads alive (running, waiting for their turn, or parked on a virtual wait): 0 when every
        engine thread has ended - no execution is running."""
        with self._lock:
            return len(self._tracked)

    def describe(self) -> dict[str, Any]:
        """Counts for diagnostics: tracked threads, pending items, activities released."""
        with self._lock:
            return {
                "now": self._now_locked().isoformat(),
                "tracked_threads": len(self._tracked),
                "pending_items": len(self._queue) - self._cancelled,
                "activities": self.activities,
                "following_real_time": self._follow_anchor is not None,
            }
