"""The virtual clock's scheduler on its own: plain threads, no moto."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from advocacy_offline.vclock import (
    TrackedThreadFailed,
    TwinStalled,
    VirtualClock,
    VirtualClockError,
)
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
HOUR = 3600.0
DAY = 86400.0


def spawn(clock: VirtualClock, name: str, body: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=body, name=name, daemon=True)
    clock.track(thread)
    thread.start()
    return thread


def test_the_start_must_be_aware_utc() -> None:
    with pytest.raises(ValueError, match="UTC"):
        VirtualClock(datetime(2026, 11, 2, 9))  # naive: refused
    assert VirtualClock(T0).now() == T0


def test_callbacks_run_in_due_then_scheduling_order_and_time_moves_only_when_advanced() -> None:
    clock = VirtualClock(T0)
    seen: list[tuple[str, datetime]] = []

    def note(label: str) -> Callable[[], None]:
        return lambda: seen.append((label, clock.now()))

    clock.call_at(T0 + timedelta(hours=2), note("b1"))
    clock.call_at(T0 + timedelta(hours=1), note("a"))
    clock.call_at(T0 + timedelta(hours=2), note("b2"))
    clock.call_soon(note("now"))
    assert clock.next_due() == T0

    clock.run_until_idle()
    assert seen == [("now", T0)]
    assert clock.now() == T0  # nothing moves time but the driver

    assert clock.advance() == T0 + timedelta(hours=1)
    assert seen == [("now", T0)]  # advance releases nothing
    clock.run_until_idle()
    assert clock.run() == T0 + timedelta(hours=2)
    assert seen == [
        ("now", T0),
        ("a", T0 + timedelta(hours=1)),
        ("b1", T0 + timedelta(hours=2)),
        ("b2", T0 + timedelta(hours=2)),
    ]
    assert clock.next_due() is None
    assert clock.advance() is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5), max_size=30))
def test_any_schedule_runs_sorted_by_due_time_then_by_scheduling_order(delays: list[int]) -> None:
    clock = VirtualClock(T0)
    order: list[int] = []
    for index, delay in enumerate(delays):
        clock.call_later(delay * HOUR, lambda index=index: order.append(index))  # type: ignore[misc]
    clock.run()
    assert order == sorted(range(len(delays)), key=lambda i: (delays[i], i))


def test_a_cancelled_callback_never_runs_and_run_until_stops_at_until() -> None:
    clock = VirtualClock(T0)
    ran: list[str] = []
    kept = clock.call_later(HOUR, lambda: ran.append("kept"))
    dropped = clock.call_later(2 * HOUR, lambda: ran.append("dropped"))
    late = clock.call_later(3 * DAY, lambda: ran.append("late"))
    assert dropped.cancel() is True
    assert dropped.cancel() is False
    assert clock.run(until=T0 + timedelta(days=1)) == T0 + timedelta(days=1)
    assert ran == ["kept"]
    assert kept.cancel() is False  # it already ran
    assert clock.run(stop_when=lambda: len(ran) == 1) == T0 + timedelta(days=1)  # already true: stays
    assert clock.next_due() == late.when
    with pytest.raises(VirtualClockError, match="an item is due"):
        clock.advance_to(T0 + timedelta(days=4))


def test_a_periodic_timer_runs_until_stop_when_says_so() -> None:
    clock = VirtualClock(T0)
    ticks: list[datetime] = []

    def tick() -> None:  # a poller that reschedules itself every 15 minutes, forever
        ticks.append(clock.now())
        clock.call_later(15 * 60, tick)

    clock.call_soon(tick)
    assert clock.run(stop_when=lambda: len(ticks) == 5) == T0 + timedelta(hours=1)
    assert ticks == [T0 + timedelta(minutes=15 * k) for k in range(5)]
    assert clock.run(until=T0 + timedelta(hours=2)) == T0 + timedelta(hours=2)
    assert len(ticks) == 9


def test_tracked_threads_run_one_at_a_time_in_the_order_they_were_started() -> None:
    clock = VirtualClock(T0, stall_timeout=10)
    running = 0
    most_at_once = 0
    log: list[tuple[int, str, datetime]] = []
    guard = threading.Lock()

    def worker(i: int) -> None:
        nonlocal running, most_at_once
        for step in range(3):
            with guard:
                running += 1
                most_at_once = max(most_at_once, running)
            log.append((i, f"step {step}", clock.now()))
            time.sleep(0.002)  # real work: a window in which another thread could sneak in
            with guard:
                running -= 1
            clock.sleep((i + 1) * HOUR)

    for i in range(8):
        spawn(clock, f"worker-{i}", lambda i=i: worker(i))  # type: ignore[misc]
    clock.run()

    assert most_at_once == 1
    assert [entry[0] for entry in log[:8]] == list(range(8))  # first turns in start order
    for i in range(8):
        times = [when for who, _, when in log if who == i]
        assert times == [T0 + timedelta(hours=(i + 1) * k) for k in range(3)]
    # at a shared instant, whoever went to sleep first wakes first
    at_2h = [who for who, _, when in log if when == T0 + timedelta(hours=2)]
    assert at_2h == [1, 0]  # worker 1 slept at 0h (2nd to go), worker 0 slept again at 1h


def test_a_month_of_sleep_costs_no_real_time() -> None:
    clock = VirtualClock(T0)
    woke: list[datetime] = []
    spawn(clock, "sleeper", lambda: (clock.sleep(30 * DAY), woke.append(clock.now())))
    started = time.perf_counter()
    clock.run()
    assert time.perf_counter() - started < 1.0
    assert woke == [T0 + timedelta(days=30)]


def test_an_event_set_by_an_activity_wakes_its_waiter_after_that_activity() -> None:
    clock = VirtualClock(T0, stall_timeout=10)
    event = clock.event()
    log: list[str] = []

    def waiter() -> None:
        got = event.wait(DAY)
        log.append(f"waiter woke {got} at {clock.now() - T0}")

    def setter() -> None:
        clock.sleep(HOUR)
        event.set()
        log.append("setter set it")
        time.sleep(0.01)  # still running: the waiter must not run alongside
        log.append("setter done")

    spawn(clock, "waiter", waiter)
    spawn(clock, "setter", setter)
    clock.run()
    assert log == ["setter set it", "setter done", "waiter woke True at 1:00:00"]
    assert clock.next_due() is None  # the day-long timeout was withdrawn


def test_a_wait_times_out_at_exactly_its_virtual_deadline() -> None:
    clock = VirtualClock(T0)
    event = clock.event()
    results: list[tuple[bool, datetime]] = []
    spawn(clock, "waiter", lambda: results.append((event.wait(5 * DAY), clock.now())))
    clock.run()
    assert results == [(False, T0 + timedelta(days=5))]


def test_a_set_then_clear_pulse_still_wakes_the_waiter() -> None:
    clock = VirtualClock(T0)
    event = clock.event()
    results: list[bool] = []
    spawn(clock, "waiter", lambda: results.append(event.wait(DAY)))
    clock.run_until_idle()

    def pulse() -> None:
        event.set()
        event.clear()

    clock.call_later(HOUR, pulse)
    clock.run()
    assert results == [True]
    assert clock.now() == T0 + timedelta(hours=1)


def test_an_untracked_thread_can_wake_a_tracked_one() -> None:
    clock = VirtualClock(T0)
    event = clock.event()
    results: list[tuple[bool, datetime]] = []
    spawn(clock, "waiter", lambda: results.append((event.wait(DAY), clock.now())))
    clock.run_until_idle()
    outsider = threading.Thread(target=event.set)  # e.g. an HTTP server thread answering
    outsider.start()
    outsider.join()
    assert clock.next_due() == T0  # the wake-up is due now; the day-long timeout is gone
    clock.run()
    assert results == [(True, T0)]


def test_joining_a_tracked_thread_from_another_is_a_virtual_wait() -> None:
    clock = VirtualClock(T0)
    log: list[tuple[str, bool, datetime]] = []

    def parent() -> None:
        child = threading.Thread(target=lambda: clock.sleep(2 * HOUR), name="child")
        clock.track(child)
        child.start()
        child.join(timeout=HOUR)
        log.append(("after 1h join", child.is_alive(), clock.now()))
        child.join()
        log.append(("after join", child.is_alive(), clock.now()))

    spawn(clock, "parent", parent)
    clock.run()
    assert log == [
        ("after 1h join", True, T0 + timedelta(hours=1)),
        ("after join", False, T0 + timedelta(hours=2)),
    ]


def test_a_thread_blocked_on_a_real_primitive_raises_twin_stalled_with_its_stack() -> None:
    clock = VirtualClock(T0, stall_timeout=0.5)
    real = threading.Event()

    def stuck_on_a_real_event() -> None:
        real.wait(30)

    spawn(clock, "stuck", stuck_on_a_real_event)
    started = time.monotonic()
    with pytest.raises(TwinStalled) as raised:
        clock.run()
    assert time.monotonic() - started < 5
    assert "'stuck': RUNNING" in raised.value.dump
    assert "stuck_on_a_real_event" in raised.value.dump
    real.set()
    clock.run()  # once it moves again, the clock carries on


def test_an_exception_in_a_tracked_thread_surfaces_in_the_driver() -> None:
    clock = VirtualClock(T0)

    def crash() -> None:
        clock.sleep(HOUR)
        raise ValueError("broken engine")

    spawn(clock, "crasher", crash)
    with pytest.raises(TrackedThreadFailed, match="broken engine") as raised:
        clock.run()
    assert raised.value.thread_name == "crasher"
    assert isinstance(raised.value.__cause__, ValueError)
    assert clock.now() == T0 + timedelta(hours=1)


def test_pacing_sleeps_in_proportion_to_simulated_time_and_changes_nothing() -> None:
    def scenario(pace: float) -> tuple[list[tuple[str, datetime]], float]:
        clock = VirtualClock(T0, pace_seconds_per_day=pace)
        log: list[tuple[str, datetime]] = []
        for i in range(3):
            spawn(clock, f"w{i}", lambda i=i: (clock.sleep((i + 1) * 8 * HOUR), log.append((f"w{i}", clock.now()))))  # type: ignore[misc]
        started = time.perf_counter()
        clock.run()
        return log, time.perf_counter() - started

    fast, _ = scenario(0.0)
    paced, paced_seconds = scenario(0.4)
    assert fast == paced
    assert paced_seconds >= 0.4 * 0.99  # one simulated day at 0.4 s a day


def test_following_real_time_releases_items_as_they_fall_due() -> None:
    clock = VirtualClock(T0, stall_timeout=10)
    event = clock.event()
    log: list[tuple[str, datetime]] = []

    def sleeper() -> None:
        clock.sleep(HOUR)
        log.append(("slept", clock.now()))
        got = event.wait()
        log.append((f"answered {got}", clock.now()))

    spawn(clock, "sleeper", sleeper)
    with clock.following_real_time(day_seconds=2.4):  # an hour lasts 0.1 s
        with pytest.raises(VirtualClockError, match="following real time"):
            clock.run_until_idle()
        deadline = time.monotonic() + 5
        while not log and time.monotonic() < deadline:
            time.sleep(0.01)
        event.set()  # from this untracked thread, while time runs
        while len(log) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert [label for label, _ in log] == ["slept", "answered True"]
    assert timedelta(hours=1) <= log[0][1] - T0 < timedelta(hours=2)
    assert log[1][1] >= log[0][1]
    frozen = clock.now()
    time.sleep(0.05)
    assert clock.now() == frozen  # back in run mode: time stands still


def test_close_unwinds_parked_threads() -> None:
    clock = VirtualClock(T0)
    unwound: list[bool] = []

    def forever() -> None:
        try:
            clock.event().wait()
        finally:
            unwound.append(True)

    thread = spawn(clock, "forever", forever)
    clock.run()
    assert thread.is_alive()
    clock.close()
    assert unwound == [True]
    assert not threading.Thread.is_alive(thread)
    with pytest.raises(VirtualClockError, match="closed"):
        clock.run_until_idle()


def test_misuse_is_refused() -> None:
    clock = VirtualClock(T0)
    started = threading.Thread(target=lambda: None)
    started.start()
    started.join()
    with pytest.raises(VirtualClockError, match="started before"):
        clock.track(started)

    errors: list[BaseException] = []

    def drive_from_inside() -> None:
        try:
            clock.run_until_idle()
        except VirtualClockError as exc:
            errors.append(exc)

    spawn(clock, "inside", drive_from_inside)
    clock.run()
    assert len(errors) == 1
    assert "tracked thread" in str(errors[0])


def test_a_failed_start_leaves_no_phantom_turn() -> None:
    clock = VirtualClock(T0, stall_timeout=2)
    woke: list[datetime] = []
    thread = spawn(clock, "once", lambda: (clock.sleep(HOUR), woke.append(clock.now())))
    clock.run_until_idle()  # it is parked, asleep
    with pytest.raises(RuntimeError, match="only be started once"):
        thread.start()
    assert clock.next_due() == T0 + timedelta(hours=1)
    clock.run()  # no TwinStalled: the failed start's turn was withdrawn
    assert woke == [T0 + timedelta(hours=1)]
