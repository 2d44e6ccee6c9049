"""The readable end-of-run summary: one row per case, then the staff work items."""

from __future__ import annotations

from typing import Any

from .console import say, table

STATUS_WORDS = {
    "confirmed": "confirmed",
    "referrals_in_progress": "referrals in progress",
    "no_children_placed": "no children placed",
    "need_help": "needs help",
    "unresolved": "UNRESOLVED",
    "delivery_failed": "NO ADDRESS REACHABLE",
    "technical_failure": "WAITING ON SES",
    "failed": "FAILED",
    "awaiting_response": "waiting",
    "escalated": "escalated",
    "queued": "queued",
    "closed_by_staff": "closed by staff",
}


# work items about one case (the ones about a file are listed above from the file's report)
CASE_WORK = frozenset(
    {
        "unresolved",
        "need_help",
        "delivery_failed",
        "technical_failure",
        "failed",
        "email_uncertain",
        "no_contacts",
        "fix_contact",
        "complaint",
        "rating_joined_open_case",
        "case_not_started",
        "case_message_failed",
        "unreadable_case_message",
    }
)


def print_summary(result: dict[str, Any]) -> None:
    rows = []
    for c in sorted(result["cases"], key=lambda c: (c["la_name"], c["urn"])):
        kinds = [e["kind"] for e in c["emails"]]
        sent = ", ".join(_count(kinds.count(k), k) for k in ("initial", "reminder", "escalation") if k in kinds)
        days = c.get("working_days_to_answer")
        rows.append(
            [
                c["la_name"],
                c["urn"],
                sent or "none",
                STATUS_WORDS.get(c["status"], c["status"]),
                "-" if days is None else _count(days, "working day"),
            ]
        )
    say("")
    say("Cases (one per home x placing authority)")
    table(["Authority", "Home URN", "Emails sent", "Status", "Time to answer"], rows)
    t = result["totals"]
    e = t["emails"]
    say("")
    say(
        f"{t['cases']} cases; emails: {e['initial']} initial, {e['reminder']} reminders, {e['escalation']} escalations."
    )
    say("By status: " + ", ".join(f"{STATUS_WORDS.get(k, k)} {v}" for k, v in t["by_status"].items()))
    staff = result["staff_work_items"]
    say("")
    say("Staff work items")
    items = 0
    for u in staff["unresolved_authorities"]:
        cands = ", ".join(c["name"] for c in u.get("candidates", []))
        say(
            f"  - {u['status']} placing authority {u['input']!r} for home(s) {', '.join(u['urns'])}"
            + (f": could be {cands}" if cands else "")
        )
        items += 1
    for urn in staff["homes_without_placing_authority"]:
        say(f"  - home {urn} has no placing authority in the file")
        items += 1
    for r in staff["rejected_rows"]:
        say(f"  - rejected row {r['row']} of {r['key']}: {'; '.join(r['errors'])}")
        items += 1
    for f in staff["unreadable_files"]:
        say(f"  - file {f['key']} could not be read: {f['reason']}")
        items += 1
    for w in result["work_items"]:
        if w["kind"] in CASE_WORK:
            say(f"  - {w['kind'].replace('_', ' ')}: case {w.get('case_id') or w.get('gss_code')}")
            items += 1
    if not items:
        say("  none")


def _count(n: int, noun: str) -> str:
    """`1 reminder`, `2 reminders`; `initial` has no plural here."""
    return f"{n} {noun}" if n == 1 or noun == "initial" else f"{n} {noun}s"
