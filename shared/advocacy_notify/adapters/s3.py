"""S3: stream an Ofsted file, write its validation report next to it, keep ratings snapshots."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from .aws import error_code


class S3Files:
    """`ports.Files` on S3."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def open(self, bucket: str, key: str, version_id: str | None = None) -> IO[bytes]:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        body: IO[bytes] = self.client.get_object(**kwargs)["Body"]
        return body

    def put_json(self, bucket: str, key: str, document: Any) -> None:
        self.client.put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(document, indent=1, default=str).encode(),
            ContentType="application/json",
        )

    def put_text_chunks(self, bucket: str, key: str, chunks: Iterator[str]) -> None:
        """Upload a document produced in pieces, spooling to disk rather than memory."""
        with tempfile.TemporaryFile() as f:
            for chunk in chunks:
                f.write(chunk.encode())
            f.seek(0)
            # one PutObject (reports are far below the 5 GB single-request limit)
            self.client.put_object(Bucket=bucket, Key=key, Body=f, ContentType="application/json")

    def get_json(self, bucket: str, key: str) -> Any | None:
        try:
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            if error_code(exc) in {"NoSuchKey", "404"}:
                return None
            raise
        return json.loads(body)

    def keys(self, bucket: str, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out.extend(str(o["Key"]) for o in page.get("Contents", []))
        return sorted(out)
