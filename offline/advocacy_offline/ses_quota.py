"""SES's maximum send rate, offline: what AWS refuses when an account sends faster than its quota.

moto's SES sends whatever it is given. SES refuses a send over the account's maximum send rate with a
`ThrottlingException` ("Maximum sending rate exceeded.", https://docs.aws.amazon.com/ses/latest/dg/
manage-sending-quotas-errors.html). The twin counts the sends that reach SES in each second of simulated
time and refuses the ones over the rate the same way, so paced sending is tested against the quota.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.awsrequest import AWSResponse

from . import awswire
from .vclock import VirtualClock


class SendRate:
    """What the quota let through, and what it refused."""

    def __init__(self) -> None:
        self.accepted = 0
        self.refused = 0


@contextmanager
def ses_sending_quota(clock: VirtualClock, max_send_rate: float) -> Iterator[SendRate]:
    """Refuse SES v2 SendEmail calls over `max_send_rate` in any second of simulated time."""
    sent: collections.deque[float] = collections.deque()
    lock = threading.Lock()
    rate = SendRate()

    def on_request(call: awswire.WireCall) -> AWSResponse | None:
        if call.service_id != "sesv2" or call.operation != "SendEmail":
            return None
        now = clock.timestamp()
        with lock:
            while sent and sent[0] <= now - 1.0:
                sent.popleft()
            if len(sent) >= max_send_rate:
                rate.refused += 1
                return awswire.error_response(
                    "sesv2", "SendEmail", "ThrottlingException", "Maximum sending rate exceeded.", 400
                )
            sent.append(now)
            rate.accepted += 1
        return None

    with awswire.intercept(on_request):
        yield rate
