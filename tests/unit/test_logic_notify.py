"""Notify on in-memory fakes: one execution per case; a bad message goes to the DLQ alone, with a work item."""

from __future__ import annotations

import pytest
from advocacy_notify.logic.notify import DIVERT_AFTER

from tests.unit.world import World


def test_a_case_starts_once() -> None:
    w = World()
    msg = w.message()
    handle = w.case_messages()
    assert handle(msg.model_dump_json(), msg.gss_code, "m1", 1) == {"case_id": msg.case_id, "started": True}
    assert handle(msg.model_dump_json(), msg.gss_code, "m2", 1)["started"] is False
    assert list(w.workflow.started) == [msg.case_id]
    assert w.cases.get(msg.case_id).workflow_started_at is not None  # type: ignore[union-attr]


def test_an_unparseable_message_goes_to_the_dlq_alone_at_once() -> None:
    w = World()
    result = w.case_messages()("{not json", "E08000035", "m1", 1)
    assert result["dead_lettered"] == "unreadable_case_message"
    assert [letter.group for letter in w.dead_letters.letters] == ["E08000035"]
    assert w.work.kinds() == ["unreadable_case_message"]


def test_a_valid_message_that_keeps_failing_is_moved_aside_before_the_queue_redrive() -> None:
    w = World()
    msg = w.message()

    def broken(_: object) -> dict[str, object]:
        raise RuntimeError("StartExecution keeps failing")

    handle = w.case_messages()
    handle.start = broken
    for receive in range(1, DIVERT_AFTER):
        with pytest.raises(RuntimeError):
            handle(msg.model_dump_json(), msg.gss_code, "m1", receive)
    result = handle(msg.model_dump_json(), msg.gss_code, "m1", DIVERT_AFTER)
    assert result == {"case_id": msg.case_id, "started": False, "dead_lettered": "case_message_failed"}
    assert w.work.items[next(iter(w.work.items))]["case_id"] == msg.case_id
