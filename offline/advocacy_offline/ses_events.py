"""SES's event publishing, offline: what the configuration set would send about each email moto accepted.

moto's SES keeps the messages it accepts but publishes no events. SES sends, for each recipient, a Delivery,
a Bounce (hard or soft) or a Complaint (after a delivery) to the configuration set's destination, a moment
after the send; the twin does the same, through the stack's SNS topic, so the real `delivery_events`
function records each email's status per recipient. By default every recipient's mail is delivered; a
`Fate` decides otherwise (the response script's `bounce`).
"""

from __future__ import annotations

import email
import email.policy
import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

# delivered | permanent | transient | complaint (delivered, then a complaint)
Fate = Callable[[str, str, int, str], str]  # (case id, recipient, stage, email kind) -> what happens
EVENT_DELAY = timedelta(minutes=1)


def always_delivered(case_id: str, recipient: str, stage: int, kind: str) -> str:
    return "delivered"


def _header(raw: str, name: str) -> str | None:
    parsed = email.message_from_string(raw.split("\r\n\r\n", 1)[0] + "\r\n\r\n", policy=email.policy.default)
    value = parsed.get(name)
    return str(value) if value is not None else None


class SesEventPublisher:
    """Call `publish_new()` whenever the twin is idle: events for the emails accepted since, one minute on."""

    def __init__(self, env: Any, fate: Fate = always_delivered) -> None:
        self.env = env
        self.fate = fate
        self.seen = 0
        self.pending = 0  # events scheduled and not yet published

    def publish_new(self) -> list[tuple[str, str]]:
        """Schedule the events of the emails accepted since the last call; returns their (case id, kind)."""
        sent = self.env.sent_emails()
        fresh, self.seen = sent[self.seen :], len(sent)
        new: list[tuple[str, str]] = []
        for msg in fresh:
            raw = getattr(msg, "raw_data", "") or ""
            case_id = _header(raw, "X-Advocacy-Case-Id")
            kind = _header(raw, "X-Advocacy-Email-Kind") or "email"
            if not case_id:
                continue
            new.append((case_id, kind))
            stage_header = _header(raw, "X-Advocacy-Stage")
            if stage_header is None or not stage_header.isdigit():
                continue
            stage = int(stage_header)
            events = self._events(msg, case_id, stage, kind)
            if events:
                self.pending += 1
                self.env.clock.call_at(self.env.clock.now() + EVENT_DELAY, functools.partial(self._publish, events))
        return new

    def _events(self, msg: Any, case_id: str, stage: int, kind: str) -> list[dict[str, Any]]:
        mail = {
            "messageId": str(msg.id),
            "source": str(msg.source),
            "destination": list(msg.destinations),
            "tags": {"case_id": [case_id], "stage": [str(stage)], "kind": [kind]},
        }
        by_fate: dict[str, list[str]] = {}
        for recipient in msg.destinations:
            by_fate.setdefault(self.fate(case_id, recipient, stage, kind), []).append(recipient)
        events: list[dict[str, Any]] = []
        delivered = by_fate.get("delivered", []) + by_fate.get("complaint", [])
        if delivered:
            events.append({"eventType": "Delivery", "mail": mail, "delivery": {"recipients": delivered}})
        for fate, bounce_type in (("permanent", "Permanent"), ("transient", "Transient")):
            if by_fate.get(fate):
                events.append(
                    {
                        "eventType": "Bounce",
                        "mail": mail,
                        "bounce": {
                            "bounceType": bounce_type,
                            "bounceSubType": "General" if bounce_type == "Permanent" else "MailboxFull",
                            "bouncedRecipients": [{"emailAddress": r} for r in by_fate[fate]],
                        },
                    }
                )
        if by_fate.get("complaint"):
            events.append(
                {
                    "eventType": "Complaint",
                    "mail": mail,
                    "complaint": {
                        "complaintFeedbackType": "abuse",
                        "complainedRecipients": [{"emailAddress": r} for r in by_fate["complaint"]],
                    },
                }
            )
        return events

    def _publish(self, events: list[dict[str, Any]]) -> None:
        self.pending -= 1
        for event in events:
            self.env.publish_delivery_event(event)
