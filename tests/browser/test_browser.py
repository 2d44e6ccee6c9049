"""What people see: a council opens the email, follows the link and answers, in a real headless Chromium.

`advocacy serve` runs the real respond function through moto; every page is saved to docs/screenshots/.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

PROJECT = Path(__file__).resolve().parents[2]
Served = Any  # tests/browser/conftest.py: url, moto_url, stdout, stderr_path
pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SHOTS = PROJECT / "docs" / "screenshots"
LINK_PATH = re.compile(r"^/respond/[A-Za-z0-9_-]{32}$")


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
    summary.find_element(By.CSS_SELECTOR, "a[href$='#children_count']").click()
    assert driver.switch_to.active_element.get_attribute("id") == "children_count"
    assert {c["case_id"]: c["status"] for c in status(served)["cases"]} == before  # a bad answer changes nothing

    # a proper answer
    driver.find_element(By.CSS_SELECTOR, "input[name='answer'][value='confirmed']").click()
    fill(driver, "children_count", "2")
    driver.find_element(By.CSS_SELECTOR, "input[name='advocacy_before_contact'][value='yes']").click()
    fill(driver, "responder_name", "Sam Example")
    fill(driver, "responder_role", "Advocacy lead")
    fill(driver, "responder_email", "sam.example@council.example")
    fill(driver, "notes", "Both children have an advocate.")
    driver.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    panel = wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".panel")))
    assert panel.find_element(By.CSS_SELECTOR, ".panel__title").text == "Answer received"
    assert "Sam Example" in driver.find_element(By.CSS_SELECTOR, ".summary-list").text
    screenshot(driver, "confirmation.png")

    # the link again: already used, and nothing changes
    driver.get(href)
    h1 = wait(driver).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
    assert h1.text == "This link has already been used"
    assert not driver.find_elements(By.TAG_NAME, "form")
    screenshot(driver, "already-answered.png")

    # the case is answered, and the workflow has been told (the execution stops waiting)
    cases = {c["case_id"]: c for c in status(served)["cases"]}
    assert cases[case_id]["status"] == "confirmed"
    assert cases[case_id]["answer"] == "confirmed"
    assert all(s == before[k] for k, s in ((k, c["status"]) for k, c in cases.items()) if k != case_id)


def test_a_forged_link_is_not_found(served: Served, browser: Any) -> None:
    browser.get(f"{served.url}/respond/{secrets.token_urlsafe(24)}")
    h1 = wait(browser).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
    assert h1.text == "Page not found"
    assert not browser.find_elements(By.TAG_NAME, "form")
    screenshot(browser, "not-found.png")


def test_other_processes_see_the_same_aws(served: Served) -> None:
    """The moto server on the second port serves the same backends: a staff script could use it."""
    import boto3

    doc = json.loads((Path(served.stderr_path).parent / "serve.json").read_text(encoding="utf-8"))
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
