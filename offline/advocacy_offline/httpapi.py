"""Build API Gateway HTTP API (payload v2) events, as the respond function receives them on AWS."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import urlencode


def http_event(
    method: str,
    path: str,
    *,
    body: str | bytes | None = None,
    content_type: str = "application/x-www-form-urlencoded",
    source_ip: str = "127.0.0.1",
    user_agent: str = "advocacy-offline",
) -> dict[str, Any]:
    raw = body.encode() if isinstance(body, str) else body
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} /respond/{{link}}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "host": "respond.example",
            "user-agent": user_agent,
            "content-type": content_type,
            "accept": "text/html",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "offline",
            "domainName": "respond.example",
            "domainPrefix": "respond",
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} /respond/{{link}}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": user_agent,
            },
        },
        "pathParameters": {"link": path.rsplit("/", 1)[-1]},
        "isBase64Encoded": False,
    }
    if raw is not None:
        # HTTP APIs base64-encode form posts
        event["body"] = base64.b64encode(raw).decode()
        event["isBase64Encoded"] = True
    return event


def form_body(fields: dict[str, str]) -> str:
    return urlencode(fields)
