"""The answer link: GET changes nothing; POST answers once; reused, expired and forged links."""

from __future__ import annotations

import re
import secrets
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from advocacy_offline.httpapi import form_body, http_event

from tests.conftest import provisional_csv, wait_until

GOOD = {
    "answer": "confirmed",
    "children_count": "2",
    "responder_name": "Sam Example",
    "responder_role": "Advocacy lead",
    "responder_email": "sam@leeds.example",
    "notes": "All offered.",
    "advocacy_before_contact": "yes",
}


def _link(env: Any) -> str:
    raw = wait_until(lambda: [m.raw_data for m in env.sent_emails()])[0]
    found = re.search(r"/respond/([A-Za-z0-9_-]{32})", raw)
    assert found, "the email carries an answer link"
    return found.group(1)


def _state(env: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from advocacy_notify.adapters import dynamodb as ddb

    return (
        sorted(ddb.scan(env.stack.outputs["CasesTableName"]), key=lambda i: (i["case_id"], i["sk"])),
        list(ddb.scan(env.stack.outputs["LinksTableName"])),
    )


def _respond(env: Any, method: str, link: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    body = form_body(fields) if fields is not None else None
    return env.invoke("RespondFunction", http_event(method, f"/respond/{link}", body=body))


@pytest.fixture
def one_case(offline_env: Any, tmp_path: Path) -> Any:
    src = provisional_csv(tmp_path / "one.csv", [("SC400001", "Link House", "Leeds")])
    with offline_env(day_seconds=86400, start=date(2026, 11, 24)) as env:
        env.start_clock()
        env.upload(src)
        env.pump_queue()
        link = _link(env)
        # the email is out; wait for the function to finish recording it before taking snapshots
        wait_until(lambda: any(c.function == "send_email" and c.result for c in env.calls))
        yield env, link


def _case(env: Any) -> dict[str, Any]:
    from advocacy_notify.adapters import repository as repo

    return repo.all_cases(env.stack.outputs["CasesTableName"])[0]


def test_link_is_opaque_and_unguessable(one_case: Any) -> None:
    env, link = one_case
    case = _case(env)
    assert len(link) == 32  # 192 bits of HMAC output, base64url
    assert case["case_id"] not in link
    assert case["task_token"] not in link
    assert link not in str(_state(env)[1])  # the table holds a hash of the link, not the link


def test_get_shows_the_form_and_changes_nothing(one_case: Any) -> None:
    env, link = one_case
    before = _state(env)
    for _ in range(3):  # mail scanners fetch links, sometimes repeatedly
        page = _respond(env, "GET", link)
        assert page["statusCode"] == 200
        assert "<form" in page["body"]
        assert "SC400001" in page["body"]
    assert _state(env) == before
    assert _case(env)["status"] == "awaiting_response"
    assert {e["status"] for e in env.executions().values()} == {"RUNNING"}


def test_invalid_answer_keeps_values_and_changes_nothing(one_case: Any) -> None:
    env, link = one_case
    before = _state(env)
    page = _respond(env, "POST", link, {**GOOD, "answer": "", "children_count": "lots"})
    assert page["statusCode"] == 400
    assert "There is a problem" in page["body"]
    assert "sam@leeds.example" in page["body"]  # the answer is kept on error
    assert _state(env) == before


def test_answer_once_then_the_link_is_used(one_case: Any) -> None:
    from advocacy_notify.adapters import dynamodb as ddb

    env, link = one_case
    page = _respond(env, "POST", link, GOOD)
    assert page["statusCode"] == 200
    case = _case(env)
    assert case["status"] == "confirmed"
    assert case["children_count"] == 2
    wait_until(lambda: {e["status"] for e in env.executions().values()} == {"SUCCEEDED"})
    again = _respond(env, "POST", link, {**GOOD, "answer": "need_help"})
    assert again["statusCode"] == 410
    assert "already" in again["body"].lower()
    assert _respond(env, "GET", link)["statusCode"] == 410
    answers = list(ddb.scan(env.stack.outputs["AnswersTableName"]))
    assert [a["answer"] for a in answers] == ["confirmed"]
    assert _case(env)["status"] == "confirmed"


def test_forged_and_malformed_links_are_not_found(one_case: Any) -> None:
    env, _ = one_case
    before = _state(env)
    for fake in (secrets.token_urlsafe(24)[:32], "short", "../../etc/passwd", "A" * 32):
        for method in ("GET", "POST"):
            page = _respond(env, method, fake, GOOD if method == "POST" else None)
            assert page["statusCode"] == 404
            assert "Traceback" not in page["body"]
    assert _state(env) == before


def test_expired_link_shows_a_clear_page_and_changes_nothing(offline_env: Any, tmp_path: Path) -> None:
    """A case that closed unresolved: its link has expired and an answer can no longer change it."""
    src = provisional_csv(tmp_path / "late.csv", [("SC400002", "Late House", "Leeds")])
    with offline_env(day_seconds=0.04, start=date(2026, 11, 24)) as env:
        env.start_clock()
        env.upload(src)
        env.pump_queue()
        link = _link(env)
        wait_until(lambda: _case(env)["status"] == "unresolved", timeout=30)
        before = _state(env)
        for method in ("GET", "POST"):
            page = _respond(env, method, link, GOOD if method == "POST" else None)
            assert page["statusCode"] == 410
            assert "expired" in page["body"].lower()
        assert _state(env) == before


def test_a_timed_out_token_is_handled_as_gone(one_case: Any) -> None:
    """SendTaskSuccess on a stale token: moto says InvalidToken (AWS: TaskTimedOut). Either means gone."""
    from advocacy_notify.adapters import stepfunctions

    assert one_case  # a live stack with a waiting task
    assert stepfunctions.succeed("not-a-live-token", {"answer": "confirmed"}) is False


@pytest.mark.parametrize(("value", "stored"), [("no", False), ("unknown", None)])
def test_the_habitual_referral_answer_is_stored_with_the_answer(one_case: Any, value: str, stored: bool | None) -> None:
    """true / false, or an explicit null for "do not know", in the answers table and on the case record."""
    from advocacy_notify.adapters import dynamodb as ddb

    env, link = one_case
    assert _respond(env, "POST", link, {**GOOD, "advocacy_before_contact": value})["statusCode"] == 200
    [answer] = list(ddb.scan(env.stack.outputs["AnswersTableName"]))
    case = _case(env)
    for record in (answer, case):
        assert "advocacy_before_contact" in record
        assert record["advocacy_before_contact"] is stored


def test_a_used_link_shows_when_and_what_the_council_answered(one_case: Any) -> None:
    env, link = one_case
    assert (
        _respond(env, "POST", link, {**GOOD, "answer": "referrals_in_progress", "children_count": "3"})["statusCode"]
        == 200
    )
    page = _respond(env, "GET", link)
    assert page["statusCode"] == 410
    body = page["body"]
    assert "This link has already been used" in body
    assert re.search(r"<dt>Answered</dt><dd>\w+day \d+ \w+ 20\d\d at \d+:\d\d[ap]m</dd>", body)
    assert "<dd>We are making referrals to an advocate now</dd>" in body
    assert "<dt>Number of children placed there</dt><dd>3</dd>" in body
    assert "before Help at Hand contacted you</dt><dd>Yes</dd>" in body
    for personal in ("Sam Example", "sam@leeds.example", "All offered."):  # only the council's answer
        assert personal not in body


def test_an_oversize_paste_keeps_every_other_value_and_changes_nothing(one_case: Any) -> None:
    env, link = one_case
    before = _state(env)
    page = _respond(env, "POST", link, {**GOOD, "notes": "x" * 70 * 1024})
    assert page["statusCode"] == 400
    body = page["body"]
    assert body.count('class="error-message"') == 1
    assert "Anything else you want to tell us must be 2,000 characters or fewer" in body
    for kept in ('value="Sam Example"', 'value="Advocacy lead"', 'value="sam@leeds.example"', 'value="2"'):
        assert kept in body
    assert re.search(r'value="confirmed" [^>]*checked', body)
    assert _state(env) == before


def test_a_body_of_megabytes_is_an_error_page_not_a_crash(one_case: Any) -> None:
    env, link = one_case
    page = _respond(env, "POST", link, {**GOOD, "notes": "x" * 4 * 1024 * 1024})
    assert page["statusCode"] == 400
    assert 'value="sam@leeds.example"' in page["body"]
    assert len(page["body"]) < 60_000


def test_every_answer_page_sends_hsts_and_allows_only_its_own_script(one_case: Any) -> None:
    from advocacy_notify.render.pages import PAGE_CSP

    env, link = one_case
    pages = [
        _respond(env, "GET", link),
        _respond(env, "POST", link, {}),
        _respond(env, "GET", "A" * 32),
        _respond(env, "POST", link, GOOD),
        _respond(env, "GET", link),
    ]
    assert [p["statusCode"] for p in pages] == [200, 400, 404, 200, 410]
    for page in pages:
        headers = {k.lower(): v for k, v in page["headers"].items()}
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert headers["content-security-policy"] == PAGE_CSP
