"""Answer links: opaque, unguessable, derived from a server-side secret, never carrying a task token.

A link id is HMAC-SHA256(secret, case_id:nonce), base64url, 32 characters (192 bits). The
server can re-derive it for reminders from the case's nonce; the links table is keyed by a hash
of the id, so a copy of the table alone does not give working links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

LINK_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")


def new_nonce() -> str:
    return secrets.token_hex(16)


def link_id(secret: bytes, case_id: str, nonce: str) -> str:
    mac = hmac.new(secret, f"{case_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:32]


def link_hash(link: str) -> str:
    return hashlib.sha256(link.encode()).hexdigest()


def is_well_formed(link: str) -> bool:
    return bool(LINK_ID.match(link))


def link_url(base_url: str, link: str) -> str:
    return f"{base_url.rstrip('/')}/respond/{link}"
