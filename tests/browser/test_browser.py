"""What people see: a council opens the email, follows the link and answers, in a real headless Chromium.

`advocacy serve` runs the real respond function through moto; every page is saved to docs/screenshots/.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import advocacy_command, without_aws_settings

PROJECT = Path(__file__).resolve().parents[2]
Served = Any  # tests/browser/conftest.py: url, moto_url, stdout, stderr_path, state_file
pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SHOTS = PROJECT / "docs" / "screenshots"
LINK_PATH = re.compile(r"^/respond/[A-Za-z0-9_-]{32}$")
NARROW = 320  # CSS px: WCAG 1.4.10 reflow


def screenshot(driver: Any, name: str, *, full_page: bool = True, max_height: int = 3200) -> Path:
    """The whole page (up to max_height CSS pixels), not only what the 1200x1600 window shows."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    if not full_page:
        assert driver.save_screenshot(str(path))
        return path
    width, height = driver.execute_script(
        "const b = document.body.getBoundingClientRect();"
        "return [document.documentElement.clientWidth, Math.ceil(b.bottom + window.scrollY)];"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, max_height), "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def email_shot(driver: Any, article: Any, frame: Any, height: int) -> None:
    """One email from the outbox, whole: the frame as tall as the email, and a window tall enough to paint it
    (Chromium does not paint a frame's content outside the window)."""
    size = driver.get_window_size()
    driver.execute_script("arguments[0].style.height = arguments[1] + 'px';", frame, height + 4)
    try:
        driver.set_window_size(size["width"], min(height + 400, 4000))
        driver.execute_script("arguments[0].scrollIntoView(true);", article)
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert article.screenshot(str(SHOTS / "email.png"))
    finally:
        driver.set_window_size(size["width"], size["height"])


def wait(driver: Any, seconds: float = 15) -> WebDriverWait[Any]:
    return WebDriverWait(driver, seconds)


def status(served: Served) -> dict[str, Any]:
    with urllib.request.urlopen(f"{served.url}/status.json", timeout=30) as response:
        assert response.status == 200
        doc: dict[str, Any] = json.load(response)
        return doc


def fill(driver: Any, field_id: str, value: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def narrow(driver: Any, height: int = 640) -> None:
    """A 320 CSS px wide window (Chromium's own window cannot be made that narrow)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": NARROW, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def wide(driver: Any) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def assert_reflows(driver: Any, page: str, shot: str | None = None) -> None:
    """At 320 CSS px the page does not scroll sideways (and, when asked, is photographed that wide)."""
    narrow(driver)
    try:
        inner, client, scroll = driver.execute_script(
            "const e = document.documentElement; return [window.innerWidth, e.clientWidth, e.scrollWidth];"
        )
        assert inner == NARROW
        # clientWidth is the window less any vertical scroll bar: stricter than innerWidth
        assert scroll <= client <= inner, f"the {page} page scrolls sideways at {NARROW} px: {scroll} px wide"
        if shot:
            screenshot(driver, shot)
    finally:
        wide(driver)


def in_view(driver: Any, element: Any) -> bool:
    """Wholly inside the window (give or take the sub-pixel rounding of scrolling to an element)."""
    return bool(
        driver.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            "return r.height > 0 && r.top >= -1 && r.bottom <= window.innerHeight + 1;",
            element,
        )
    )


def label_of(driver: Any, field_id: str) -> Any:
    """The words that name a field: its fieldset's legend (radios), or its <label>."""
    field = driver.find_element(By.ID, field_id)
    if field.get_attribute("type") == "radio":
        return field.find_element(By.XPATH, "ancestor::fieldset/legend")
    return driver.find_element(By.CSS_SELECTOR, f"label[for='{field_id}']")


def follow_every_summary_link(driver: Any) -> list[str]:
    """Each error summary link focuses its field with the field's label and error message in view."""
    summary = driver.find_element(By.CSS_SELECTOR, ".error-summary")
    fragments = [(a.get_attribute("href") or "").split("#", 1)[1] for a in summary.find_elements(By.TAG_NAME, "a")]
    assert fragments
    for fragment in fragments:
        driver.execute_script("window.scrollTo(0, 0);")
        summary.find_element(By.CSS_SELECTOR, f"a[href$='#{fragment}']").click()
        assert driver.switch_to.active_element.get_attribute("id") == fragment
        assert in_view(driver, label_of(driver, fragment)), f"#{fragment}: its label is out of view"
        message = driver.find_element(By.ID, f"{fragment}-error")
        assert in_view(driver, message), f"#{fragment}: its error message is out of view"
    driver.execute_script("window.scrollTo(0, 0);")
    return fragments


def follow_every_summary_link_on_a_desk_and_a_phone(driver: Any) -> list[str]:
    """follow_every_summary_link in the 1200 px window, then on a 320 x 568 screen."""
    fragments = follow_every_summary_link(driver)
    narrow(driver, height=568)
    try:
        assert follow_every_summary_link(driver) == fragments
    finally:
        wide(driver)
    return fragments


def fill_answer(driver: Any) -> None:
    """A proper answer in every field but the notes."""
    driver.find_element(By.CSS_SELECTOR, "input[name='answer'][value='confirmed']").click()
    fill(driver, "children_count", "2")
    driver.find_element(By.CSS_SELECTOR, "input[name='advocacy_before_contact'][value='yes']").click()
    fill(driver, "responder_name", "Sam Example")
    fill(driver, "responder_role", "Advocacy lead")
    fill(driver, "responder_email", "sam.example@council.example")


def moto(served: Served, service: str) -> Any:
    """A boto3 client for the moto server that `advocacy serve` runs beside the pages."""
    import boto3

    doc = json.loads(served.state_file.read_text(encoding="utf-8"))
    assert doc["aws_endpoint_url"] == served.moto_url
    return boto3.client(
        service,
        region_name=doc["region"],
        endpoint_url=served.moto_url,
        aws_access_key_id="offline",
        aws_secret_access_key="offline",
    )


def stack_output(served: Served, name: str) -> str:
    doc = json.loads(served.state_file.read_text(encoding="utf-8"))
    return str(doc["stack"]["outputs"][name])


def test_serve_prints_where_to_go(served: Served) -> None:
    assert f"{served.url}/outbox/" in served.stdout
    assert re.search(rf"{re.escape(served.url)}/respond/[A-Za-z0-9_-]{{32}}", served.stdout)
    assert "Press Ctrl-C to stop." in served.stdout


def test_a_council_answers_from_the_email(served: Served, browser: Any) -> None:
    driver = browser

    # the outbox: every email sent so far; GET / goes there
    driver.get(served.url + "/")
    wait(driver).until(ec.url_to_be(served.url + "/outbox/"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Emails sent in this run"
    rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) >= 20, "the demo file sends an initial email per case"
    screenshot(driver, "outbox.png", full_page=False)

    # the first initial email, as the council's inbox shows it
    first = next(r for r in rows if r.find_element(By.CSS_SELECTOR, ".tag").text == "initial")
    anchor = first.find_element(By.CSS_SELECTOR, "a[href^='#email-']").get_attribute("href")
    assert anchor is not None
    article = driver.find_element(By.ID, anchor.split("#", 1)[1])
    case_id = article.find_element(By.XPATH, ".//dt[.='Case']/following-sibling::dd[1]").text
    eml = first.find_element(By.CSS_SELECTOR, "a[href$='.eml']").get_attribute("href")
    with urllib.request.urlopen(eml, timeout=30) as response:  # the .eml carries the same link
        raw = response.read().decode("utf-8")
    assert f"X-Advocacy-Case-Id: {case_id}" in raw

    # the answer link in the email, opened as from the council's inbox
    frame = article.find_element(By.TAG_NAME, "iframe")
    driver.switch_to.frame(frame)
    href = driver.find_element(By.CSS_SELECTOR, "a[href*='/respond/']").get_attribute("href")
    height = driver.execute_script("return document.documentElement.scrollHeight;")
    driver.switch_to.default_content()
    email_shot(driver, article, frame, height)
    assert href is not None
    assert href.startswith(served.url + "/respond/"), "the emails' links point at this server"
    path = href.removeprefix(served.url)
    assert LINK_PATH.match(path)
    assert path in raw
    driver.get(href)

    # the form: GET changes nothing
    h1 = wait(driver).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
    assert h1.text.startswith("Confirm advocacy for children placed at")
    assert driver.find_element(By.CSS_SELECTOR, "form[method='post']")
    assert not driver.find_elements(By.CSS_SELECTOR, ".error-summary")
    screenshot(driver, "form.png")
    assert_reflows(driver, "form", "form-320.png")
    notes = driver.find_element(By.ID, "notes")
    assert notes.get_attribute("maxlength") == "2000"
    before = {c["case_id"]: c["status"] for c in status(served)["cases"]}
    assert before[case_id] == "awaiting_response"

    # an empty form: an error summary whose links lead to the fields
    driver.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    summary = wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".error-summary")))
    assert driver.title.startswith("Error:")
    assert summary.find_element(By.TAG_NAME, "h2").text == "There is a problem"
    targets = [a.get_attribute("href") for a in summary.find_elements(By.CSS_SELECTOR, "a")]
    fragments = [t.split("#", 1)[1] for t in targets if t]
    assert fragments[:2] == ["answer", "children_count"]
    assert {"responder_name", "responder_role", "responder_email"} <= set(fragments)
    for fragment in fragments:
        assert driver.find_elements(By.ID, fragment), f"the error link #{fragment} leads to a field"
    assert driver.find_element(By.ID, "answer-error").is_displayed()
    screenshot(driver, "form-errors.png")
    # focus is on the error summary (GOV.UK), and each link lands with its field's label and message in view
    wait(driver).until(lambda d: "error-summary" in (d.switch_to.active_element.get_attribute("class") or ""))
    assert follow_every_summary_link_on_a_desk_and_a_phone(driver) == fragments
    assert_reflows(driver, "form with errors")
    summary.find_element(By.CSS_SELECTOR, "a[href$='#children_count']").click()
    assert driver.switch_to.active_element.get_attribute("id") == "children_count"
    assert {c["case_id"]: c["status"] for c in status(served)["cases"]} == before  # a bad answer changes nothing

    # children placed there: the habitual-referral question is required too
    driver.find_element(By.CSS_SELECTOR, "input[name='answer'][value='confirmed']").click()
    fill(driver, "children_count", "2")
    driver.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "advocacy_before_contact-error")))
    wait(driver).until(lambda d: "error-summary" in (d.switch_to.active_element.get_attribute("class") or ""))
    assert follow_every_summary_link_on_a_desk_and_a_phone(driver)[0] == "advocacy_before_contact"

    # 70 KiB pasted into the notes (past the box's maxlength, as a script can): only the notes are refused
    fill_answer(driver)
    driver.execute_script("document.getElementById('notes').value = 'x'.repeat(70 * 1024);")
    driver.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    summary = wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".error-summary")))
    assert [a.get_attribute("href").split("#", 1)[1] for a in summary.find_elements(By.TAG_NAME, "a")] == ["notes"]
    assert [e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, ".error-message")] == ["notes-error"]
    assert "2,000 characters or fewer" in driver.find_element(By.ID, "notes-error").text
    assert driver.find_element(By.CSS_SELECTOR, "input[name='answer'][value='confirmed']").is_selected()
    assert driver.find_element(By.CSS_SELECTOR, "input[name='advocacy_before_contact'][value='yes']").is_selected()
    kept = {f: driver.find_element(By.ID, f).get_attribute("value") for f in ("children_count", "responder_name")}
    assert kept == {"children_count": "2", "responder_name": "Sam Example"}
    assert driver.find_element(By.ID, "responder_role").get_attribute("value") == "Advocacy lead"
    assert driver.find_element(By.ID, "responder_email").get_attribute("value") == "sam.example@council.example"
    assert driver.find_element(By.ID, "notes").get_attribute("value").startswith("xxxx")
    assert {c["case_id"]: c["status"] for c in status(served)["cases"]} == before
    assert_reflows(driver, "form with the oversize notes")

    # a proper answer
    fill_answer(driver)
    fill(driver, "notes", "Both children have an advocate.")
    driver.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    panel = wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".panel")))
    assert panel.find_element(By.CSS_SELECTOR, ".panel__title").text == "Answer received"
    assert "Sam Example" in driver.find_element(By.CSS_SELECTOR, ".summary-list").text
    screenshot(driver, "confirmation.png")
    assert_reflows(driver, "confirmation")

    # the link again: already used, and nothing changes
    driver.get(href)
    h1 = wait(driver).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
    assert h1.text == "This link has already been used"
    assert not driver.find_elements(By.TAG_NAME, "form")
    answered = driver.find_element(By.CSS_SELECTOR, ".summary-list").text
    assert "Every child we placed there has an independent advocate or has been offered one" in answered
    assert re.search(r"Answered\s+\w+day \d+ \w+ 20\d\d at \d+:\d\d[ap]m", answered)
    assert "Sam Example" not in driver.page_source  # the council's answer, not who gave it
    screenshot(driver, "already-answered.png")
    assert_reflows(driver, "already answered")

    # the case is answered, and the workflow has been told (the execution stops waiting)
    cases = {c["case_id"]: c for c in status(served)["cases"]}
    assert cases[case_id]["status"] == "confirmed"
    assert cases[case_id]["answer"] == "confirmed"
    record = moto(served, "dynamodb").get_item(
        TableName=stack_output(served, "CasesTableName"), Key={"case_id": {"S": case_id}, "sk": {"S": "CASE"}}
    )["Item"]
    assert record["advocacy_before_contact"] == {"BOOL": True}  # the habitual-referral answer
    assert all(s == before[k] for k, s in ((k, c["status"]) for k, c in cases.items()) if k != case_id)


def test_a_forged_link_is_not_found(served: Served, browser: Any) -> None:
    browser.get(f"{served.url}/respond/{secrets.token_urlsafe(24)}")
    h1 = wait(browser).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
    assert h1.text == "Page not found"
    assert not browser.find_elements(By.TAG_NAME, "form")
    screenshot(browser, "not-found.png")
    assert_reflows(browser, "not found")


def plant_link(served: Served, expires: str) -> tuple[str, dict[str, Any]]:
    """A new answer link for a case still waiting, put straight into the links table through the moto server."""
    open_case = next(c for c in status(served)["cases"] if c["status"] == "awaiting_response")
    link = secrets.token_urlsafe(24)
    item = {"link_hash": {"S": hashlib.sha256(link.encode()).hexdigest()}, "case_id": {"S": open_case["case_id"]}}
    moto(served, "dynamodb").put_item(
        TableName=stack_output(served, "LinksTableName"), Item={**item, "expires": {"S": expires}}
    )
    return link, open_case


def test_expired_and_error_pages_reflow(served: Served, browser: Any) -> None:
    """One link past its expiry, and one whose record is corrupt (the function fails safe, with its error page)."""
    expired, open_case = plant_link(served, "2020-01-01T00:00:00.000Z")
    broken, _ = plant_link(served, "not a date")

    browser.get(f"{served.url}/respond/{expired}")
    h1 = wait(browser).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
    assert h1.text == "This link has expired"
    assert open_case["urn"] in browser.find_element(By.TAG_NAME, "main").text
    assert_reflows(browser, "expired")

    browser.get(f"{served.url}/respond/{broken}")
    h1 = wait(browser).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
    assert h1.text == "Sorry, there is a problem with the service"
    assert_reflows(browser, "error")


def test_the_error_summary_works_without_javascript(served: Served, browser: Any) -> None:
    """No script: the links still lead to the fields, focus them, and keep their labels in view."""
    link, _ = plant_link(served, "2099-01-01T00:00:00.000Z")
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(f"{served.url}/respond/{link}")
        browser.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
        summary = wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".error-summary")))
        assert summary.find_element(By.TAG_NAME, "h2").text == "There is a problem"
        assert browser.switch_to.active_element.tag_name == "body"  # no script ran to focus the summary
        assert follow_every_summary_link_on_a_desk_and_a_phone(browser)[:2] == ["answer", "children_count"]
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_other_processes_see_the_same_aws(served: Served) -> None:
    """The moto server on the second port serves the same backends: a staff script could use it."""
    import boto3

    doc = json.loads(served.state_file.read_text(encoding="utf-8"))
    assert doc["aws_endpoint_url"] == served.moto_url
    sfn = boto3.client(
        "stepfunctions",
        region_name=doc["region"],
        endpoint_url=served.moto_url,
        aws_access_key_id="offline",
        aws_secret_access_key="offline",
    )
    arn = doc["stack"]["outputs"]["CaseStateMachineArn"]
    cases = status(served)["cases"]
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert {e["name"] for e in executions} == {c["case_id"] for c in cases}
    answered = {c["case_id"] for c in cases if c["status"] not in {"queued", "awaiting_response", "escalated"}}
    deadline = time.monotonic() + 15
    while answered:  # an answered case's execution finishes
        done = {e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"] if e["status"] == "SUCCEEDED"}
        if answered <= done:
            break
        assert time.monotonic() < deadline, f"executions still running for {sorted(answered - done)}"
        time.sleep(0.2)


def staff_command(served: Served, *argv: str) -> Any:
    """A staff command in its own process, on the system serve holds (`--local`, its state file): its JSON."""
    done = subprocess.run(
        [advocacy_command(), *argv, "--local", "--state", str(served.state_file), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=without_aws_settings(),  # the endpoint, names and credentials come from serve.json
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_staff_commands_act_on_what_serve_holds(served: Served) -> None:
    """serve.json holds the clock's anchor (simulated time follows real time from it) and the stack: the staff
    commands, in another process, see the cases and work items the pages and /status.json show."""
    doc = json.loads(served.state_file.read_text(encoding="utf-8"))
    anchor = doc["clock"]
    assert anchor["day_seconds"] == 86400  # a simulated day lasts a real day
    started = datetime.fromisoformat(anchor["virtual"])
    assert abs((started - datetime.now(UTC)).total_seconds()) < 3600, "simulated time starts now"
    assert abs(anchor["real"] - time.time()) < 3600

    shown = status(served)
    listed = staff_command(served, "cases", "list")
    assert {c["case_id"]: c["status"] for c in listed} == {c["case_id"]: c["status"] for c in shown["cases"]}
    assert "@" not in json.dumps(listed)
    work = staff_command(served, "work", "list", "--all")
    assert sorted(w["kind"] for w in work) == sorted(w["kind"] for w in shown["work_items"])
    assert {"unknown_authority", "ambiguous_authority"} <= {w["kind"] for w in work}  # the demo file has both
