"""The outbox: every email sent in a run as an .eml file, and an index.html a person can open."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


def _env() -> Environment:
    return Environment(loader=PackageLoader("advocacy_offline", "static"), autoescape=select_autoescape(default=True))


def write_outbox(env: Any, folder: Path, result: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    entries = []
    for n, msg in enumerate(env.sent_emails(), start=1):
        raw: str = getattr(msg, "raw_data", "") or ""
        if not raw:
            continue
        parsed = email.message_from_string(raw, policy=email.policy.default)
        case_id = str(parsed.get("X-Advocacy-Case-Id", "unknown"))
        kind = str(parsed.get("X-Advocacy-Email-Kind", "email"))
        name = f"{n:03d}-{kind}-{case_id}.eml"
        (folder / name).write_text(raw, encoding="utf-8", newline="")
        html_part = parsed.get_body(preferencelist=("html",))
        text_part = parsed.get_body(preferencelist=("plain",))
        entries.append(
            {
                "n": n,
                "file": name,
                "kind": kind,
                "case_id": case_id,
                "subject": str(parsed["Subject"]),
                "to": str(parsed["To"]),
                "cc": str(parsed.get("Cc") or ""),
                "reply_to": str(parsed["Reply-To"]),
                "date": str(parsed["Date"]),
                "html": html_part.get_content() if html_part is not None else "",
                "text": text_part.get_content() if text_part is not None else "",
            }
        )
    page = _env().get_template("outbox.html.j2").render(entries=entries, result=result)
    (folder / "index.html").write_text(page, encoding="utf-8")
    return entries
