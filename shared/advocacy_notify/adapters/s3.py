"""S3: stream an Ofsted file and write its validation report next to it."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from typing import IO, Any

from .aws import client


def head(bucket: str, key: str) -> dict[str, Any]:
    return dict(client("s3").head_object(Bucket=bucket, Key=key))


def open_stream(bucket: str, key: str, version_id: str | None = None) -> IO[bytes]:
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        kwargs["VersionId"] = version_id
    body: IO[bytes] = client("s3").get_object(**kwargs)["Body"]
    return body


def put_json(bucket: str, key: str, document: Any) -> None:
    client("s3").put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(document, indent=1, default=str).encode(),
        ContentType="application/json",
    )


def put_text_chunks(bucket: str, key: str, chunks: Iterable[str]) -> None:
    """Upload a document produced in pieces, spooling to disk rather than memory."""
    with tempfile.TemporaryFile() as f:
        for chunk in chunks:
            f.write(chunk.encode())
        f.seek(0)
        # one PutObject in this thread (reports are far below the 5 GB single-request limit)
        client("s3").put_object(Bucket=bucket, Key=key, Body=f, ContentType="application/json")
