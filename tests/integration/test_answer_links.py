"""The answer link: GET changes nothing; POST answers once; reused, expired and forged links."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from advocacy_notify.adapters.dynamo import Table
from advocacy_notify.domain.case import Case, CaseStatus, case_id_for, execution_name
from advocacy_offline.env import OfflineEnv
from advocacy_offline.httpapi import form_body, http_event

from tests.conftest import provisional_csv

GOOD = {
    "answer": "confirmed",
    "children_count": "2",
    "responder_name": "Sam Example",
    "responder_role": "Advocacy lead",
    "responder_email": "sam@leeds.example",
    "notes": "All offered.",
    "advocacy_before_contact": "yes",
}
START = date(2026, 11, 24)
RATING_DATE = date(2026, 11, 2)  # provisional_csv's rating date
LEEDS = "E08000035"
URNS = itertools.count(1)


@dataclass(frozen=True)
class OneCase:
    """A case of its own (one home, Leeds) whose first email is out and whose workflow waits for the answer."""

    env: OfflineEnv
    case_id: str
    urn: str
    link: str


def _link(env: OfflineEnv, case_id: str) -> str:
    sent = [m.raw_data for m in env.sent_emails() if f"X-Advocacy-Case-Id: {case_id}" in m.raw_data]
    assert len(sent) == 1, "the case's first email went out, once"
    found = re.search(r"/respond/([A-Za-z0-9_-]{32})", sent[0])
    assert found, "the email carries an answer link"
    return found.group(1)


def _state(env: OfflineEnv) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item of the cases table and of the links table, in a stable order."""
    with env.reading() as services:
        cases = sorted(services.cases.table.scan(), key=lambda i: (i["case_id"], i["sk"]))
        links_table = Table(services.clients.client("dynamodb"), env.stack.outputs["LinksTableName"])
        links = sorted(links_table.scan(), key=str)
    return cases, links


def _respond(env: OfflineEnv, method: str, link: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    body = form_body(fields) if fields is not None else None
    page: dict[str, Any] = env.invoke("RespondFunction", http_event(method, f"/respond/{link}", body=body))
    return page


def _case(env: OfflineEnv, case_id: str) -> Case:
    with env.reading() as services:
        case = services.cases.get(case_id)
    assert case is not None, case_id
    return case


def _execution(env: OfflineEnv, case_id: str) -> str:
    """The status of the case's workflow."""
    return str(env.executions()[execution_name(case_id)]["status"])


def _open_case(env: OfflineEnv, folder: Path, urn: str) -> OneCase:
    """Upload a file of one home placed by Leeds, and run the twin until the case's workflow waits for the
    answer (its task token kept with the case)."""
    env.upload(provisional_csv(folder / f"{urn}.csv", [(urn, "Link House", "Leeds")]))
    case_id = case_id_for(urn, LEEDS, RATING_DATE)
    env.settle(done=lambda: _case(env, case_id).task_token is not None, until=env.clock.now() + timedelta(hours=1))
    assert _case(env, case_id).status is CaseStatus.AWAITING_RESPONSE
    return OneCase(env, case_id, urn, _link(env, case_id))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflineEnv]:
    """One twin for the module (its set-up costs seconds); each test has a case of its own in it."""
    with OfflineEnv(start=START, log_path=tmp_path_factory.mktemp("links") / "lambda.log") as env:
        yield env


@pytest.fixture
def one_case(stack: OfflineEnv, tmp_path: Path) -> OneCase:
    return _open_case(stack, tmp_path, f"SC4{next(URNS):05d}")


def test_expired_link_shows_a_clear_page_and_changes_nothing(stack: OfflineEnv, tmp_path: Path) -> None:
    """A case that closed unresolved: its link has expired and an answer can no longer change it."""
    late = _open_case(stack, tmp_path, f"SC4{next(URNS):05d}")
    # nobody answers: simulated time runs through the chase to the final deadline. First in the module, so
    # only this case has a chase to run; the tests after it open their cases months later.
    stack.settle(
        done=lambda: _case(stack, late.case_id).status is CaseStatus.UNRESOLVED,
        until=stack.clock.now() + timedelta(days=90),
    )
    assert _case(stack, late.case_id).status is CaseStatus.UNRESOLVED
    before = _state(stack)
    for method in ("GET", "POST"):
        page = _respond(stack, method, late.link, GOOD if method == "POST" else None)
        assert page["statusCode"] == 410
        assert "expired" in page["body"].lower()
    assert _state(stack) == before


def test_link_is_opaque_and_unguessable(one_case: OneCase) -> None:
    env, link = one_case.env, one_case.link
    case = _case(env, one_case.case_id)
    assert len(link) == 32  # 192 bits of HMAC output, base64url
    assert case.case_id not in link
    assert case.task_token
    assert case.task_token not in link
    assert link not in str(_state(env)[1])  # the table holds a hash of the link, not the link


def test_get_shows_the_form_and_changes_nothing(one_case: OneCase) -> None:
    env, link = one_case.env, one_case.link
    before = _state(env)
    for _ in range(3):  # mail scanners fetch links, sometimes repeatedly
        page = _respond(env, "GET", link)
        assert page["statusCode"] == 200
        assert "<form" in page["body"]
        assert one_case.urn in page["body"]
    assert _state(env) == before
    assert _case(env, one_case.case_id).status is CaseStatus.AWAITING_RESPONSE
    assert _execution(env, one_case.case_id) == "RUNNING"


def test_invalid_answer_keeps_values_and_changes_nothing(one_case: OneCase) -> None:
    env, link = one_case.env, one_case.link
    before = _state(env)
    page = _respond(env, "POST", link, {**GOOD, "answer": "", "children_count": "lots"})
    assert page["statusCode"] == 400
    assert "There is a problem" in page["body"]
    assert "sam@leeds.example" in page["body"]  # the answer is kept on error
    assert _state(env) == before


def test_answer_once_then_the_link_is_used(one_case: OneCase) -> None:
    env, link = one_case.env, one_case.link
    page = _respond(env, "POST", link, GOOD)
    assert page["statusCode"] == 200
    case = _case(env, one_case.case_id)
    assert case.status is CaseStatus.CONFIRMED
    assert case.children_count == 2
    env.settle()  # the resumed workflow runs to its end (no time passes: other cases' timers are days away)
    assert _execution(env, one_case.case_id) == "SUCCEEDED"
    again = _respond(env, "POST", link, {**GOOD, "answer": "need_help"})
    assert again["statusCode"] == 410
    assert "already" in again["body"].lower()
    assert _respond(env, "GET", link)["statusCode"] == 410
    with env.reading() as services:
        answers = services.answers.for_case(one_case.case_id)
    assert [a["answer"] for a in answers] == ["confirmed"]
    assert _case(env, one_case.case_id).status is CaseStatus.CONFIRMED


def test_forged_and_malformed_links_are_not_found(one_case: OneCase) -> None:
    env = one_case.env
    before = _state(env)
    for fake in (secrets.token_urlsafe(24)[:32], "short", "../../etc/passwd", "A" * 32):
        for method in ("GET", "POST"):
            page = _respond(env, method, fake, GOOD if method == "POST" else None)
            assert page["statusCode"] == 404
            assert "Traceback" not in page["body"]
    assert _state(env) == before


def test_a_timed_out_token_is_handled_as_gone(one_case: OneCase) -> None:
    """SendTaskSuccess on a stale token: moto says InvalidToken (AWS: TaskTimedOut). Either means gone."""
    env = one_case.env  # a live stack with a waiting task
    assert env.services().tasks.resume("not-a-live-token", {"answer": "confirmed"}) is False
    assert _execution(env, one_case.case_id) == "RUNNING"  # the real task still waits


@pytest.mark.parametrize(("value", "stored"), [("no", False), ("unknown", None)])
def test_the_habitual_referral_answer_is_stored_with_the_answer(
    one_case: OneCase, value: str, stored: bool | None
) -> None:
    """true / false, or an explicit null for "do not know", in the answers table and on the case record."""
    env, link = one_case.env, one_case.link
    assert _respond(env, "POST", link, {**GOOD, "advocacy_before_contact": value})["statusCode"] == 200
    with env.reading() as services:
        [answer] = services.answers.for_case(one_case.case_id)
        case = services.cases.table.get({"case_id": one_case.case_id, "sk": "CASE"})
    assert case is not None
    for record in (answer, case):
        assert "advocacy_before_contact" in record
        assert record["advocacy_before_contact"] is stored


def test_a_used_link_shows_when_and_what_the_council_answered(one_case: OneCase) -> None:
    env, link = one_case.env, one_case.link
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


def test_an_oversize_paste_keeps_every_other_value_and_changes_nothing(one_case: OneCase) -> None:
    env, link = one_case.env, one_case.link
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


def test_a_body_of_megabytes_is_an_error_page_not_a_crash(one_case: OneCase) -> None:
    env, link = one_case.env, one_case.link
    page = _respond(env, "POST", link, {**GOOD, "notes": "x" * 4 * 1024 * 1024})
    assert page["statusCode"] == 400
    assert 'value="sam@leeds.example"' in page["body"]
    assert len(page["body"]) < 60_000


def test_every_answer_page_sends_hsts_and_allows_only_its_own_script(one_case: OneCase) -> None:
    from advocacy_notify.render.pages import PAGE_CSP

    env, link = one_case.env, one_case.link
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
