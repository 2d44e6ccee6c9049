"""Ingest: an Ofsted file in S3 becomes one queued case per home x placing authority.

Nothing is lost: every case is claimed in the cases table before it is queued and marked once
SQS has it; a claim that was never marked queued is queued again on the next delivery. Repeats
of the same ratings (the same S3 event twice, or the same file uploaded again) queue nothing new.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import IO, Any
from urllib.parse import unquote_plus

from ..adapters import dynamodb as ddb
from ..adapters import repository as repo
from ..adapters import s3, sns, sqs
from ..domain.authorities import AuthorityDirectory
from ..domain.models import CaseMessage, CaseStatus, Rejected, Skipped
from ..domain.ofsted import FileUnreadable, OfstedFile, open_ofsted
from ..domain.pipeline import Counts, HomeOut, case_message, process
from ..settings import Settings

REPORT_SUFFIX = ".report.json"
MAX_LISTED = 500  # rows listed by number in one work item; the report lists them all


@dataclass
class IngestResult:
    bucket: str
    key: str
    status: str  # processed | unreadable | ignored
    reason: str | None = None
    counts: Counts = field(default_factory=Counts)
    queued: int = 0
    already_known: int = 0
    report_key: str | None = None

    def summary(self) -> dict[str, Any]:
        return {**{k: v for k, v in asdict(self).items() if k != "counts"}, **asdict(self.counts)}


def object_key(raw_key: str) -> str:
    """S3 event keys are URL-encoded: '+' is a space and '%2B' a plus."""
    return unquote_plus(raw_key)


class _Queue:
    """Claims cases and sends them ten at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pending: list[CaseMessage] = []
        self.queued = 0
        self.already_known = 0

    def add(self, msg: CaseMessage) -> None:
        doc = msg.model_dump(mode="json")
        now = self.settings.clock.now()
        doc.update(
            sk=ddb.CASE,
            status=CaseStatus.QUEUED.value,
            opened_at=repo.iso(now),
            expires_at=int(now.timestamp()) + self.settings.retention_days * 86400,
        )
        try:
            ddb.put(
                self.settings.cases_table,
                doc,
                # new, or claimed by a run that crashed before SQS had it (and no workflow has started since)
                condition="attribute_not_exists(case_id) OR "
                "(attribute_not_exists(queued_at) AND attribute_not_exists(workflow_started_at))",
            )
        except ddb.ConditionFailed:
            self.already_known += 1
            return
        self.pending.append(msg)
        if len(self.pending) == sqs.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch = [sqs.Outgoing(id=m.case_id, body=m.model_dump_json(), group=m.gss_code) for m in self.pending]
        failed = sqs.send_batch(self.settings.case_queue_url, batch)
        if failed:
            raise RuntimeError(f"{len(failed)} cases could not be queued; the event will be retried")
        at = repo.iso(self.settings.clock.now())
        for m in self.pending:
            repo.update_case(self.settings.cases_table, m.case_id, {"queued_at": at})
        self.queued += len(self.pending)
        self.pending = []


class _ReportWriter:
    """Writes the JSON report to a temporary file as outcomes stream past (memory stays flat)."""

    def __init__(self) -> None:
        self.parts: dict[str, IO[str]] = {
            name: tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed in close()
            for name in ("homes", "cases", "skipped_rows", "rejected")
        }
        self.first = dict.fromkeys(self.parts, True)
        self.unresolved: dict[str, dict[str, Any]] = {}
        self.no_placing: list[str] = []

    def _write(self, part: str, doc: Any) -> None:
        f = self.parts[part]
        f.write(("" if self.first[part] else ",\n") + json.dumps(doc, default=str))
        self.first[part] = False

    def add(self, o: HomeOut | Skipped | Rejected) -> None:
        if isinstance(o, HomeOut):
            h = o.home
            self._write(
                "homes",
                {
                    "row": o.row,
                    "urn": h.urn,
                    "name": h.name,
                    "provision_type": h.provision_type,
                    "judgement": h.judgement,
                    "inspection_date": h.inspection_date.isoformat(),
                    "local_authority": h.local_authority,
                    "placing_authorities": [
                        {"input": m.input, "status": m.status, "gss_code": m.gss_code, "name": m.name}
                        for m in h.placing_authorities
                    ],
                },
            )
            for c in o.cases:
                self._write("cases", c.model_dump())
            for m in h.placing_authorities:
                if m.status != "resolved":
                    entry = self.unresolved.setdefault(
                        m.input,
                        {
                            "input": m.input,
                            "status": m.status,
                            "candidates": [c.model_dump() for c in m.candidates],
                            "urns": [],
                        },
                    )
                    entry["urns"].append(h.urn)
            if not h.placing_authorities:
                self.no_placing.append(h.urn)
        elif isinstance(o, Skipped):
            self._write("skipped_rows", o.model_dump())
        else:
            self._write("rejected", o.model_dump())

    def chunks(self, head: dict[str, Any]) -> Iterator[str]:
        yield json.dumps(head, default=str)[:-1]
        for name, f in self.parts.items():
            f.seek(0)
            yield f',\n"{name}": [\n'
            while chunk := f.read(1 << 16):
                yield chunk
            yield "]"
        yield ',\n"unresolved_authorities": ' + json.dumps(list(self.unresolved.values()))
        yield ',\n"homes_without_placing_authority": ' + json.dumps(self.no_placing) + "}\n"

    def close(self) -> None:
        for f in self.parts.values():
            f.close()


def ingest_object(
    bucket: str,
    key: str,
    version_id: str | None,
    settings: Settings,
    directory: AuthorityDirectory | None = None,
) -> IngestResult:
    result = IngestResult(bucket=bucket, key=key, status="processed")
    if key.endswith(REPORT_SUFFIX) or key.endswith("/"):
        result.status = "ignored"
        return result
    result.report_key = key + REPORT_SUFFIX
    directory = directory or AuthorityDirectory.default()
    queue = _Queue(settings)
    writer = _ReportWriter()
    try:
        with s3.open_stream(bucket, key, version_id) as stream:
            try:
                file: OfstedFile = open_ofsted(
                    stream,  # type: ignore[arg-type]
                    key.rsplit("/", 1)[-1],
                )
            except FileUnreadable as exc:
                return _unreadable(result, exc.reason, settings)
            with file:
                for outcome in process(file, directory):
                    result.counts.add(outcome)
                    writer.add(outcome)
                    if isinstance(outcome, HomeOut):
                        for case in outcome.cases:
                            la = directory.by_gss(case.gss_code)
                            queue.add(case_message(outcome.home, case, la.name if la else case.gss_code, bucket, key))
            queue.flush()
        result.queued, result.already_known = queue.queued, queue.already_known
        head = {
            "file": {
                "bucket": bucket,
                "key": key,
                "version_id": version_id,
                "format": file.format,
                "sheet": file.sheet,
                "header_row": file.header_row,
            },
            "status": result.status,
            "counts": {**asdict(result.counts), "queued": result.queued, "already_known": result.already_known},
        }
        s3.put_text_chunks(bucket, result.report_key, writer.chunks(head))
        _work_items(result, writer, settings)
    except FileUnreadable as exc:  # raised mid-stream (e.g. too many rows)
        return _unreadable(result, exc.reason, settings)
    finally:
        writer.close()
    return result


def _unreadable(result: IngestResult, reason: str, settings: Settings) -> IngestResult:
    result.status, result.reason = "unreadable", reason
    now = settings.clock.now()
    assert result.report_key is not None
    s3.put_json(
        result.bucket,
        result.report_key,
        {"file": {"bucket": result.bucket, "key": result.key}, "status": "unreadable", "reason": reason},
    )
    repo.add_work_item(settings.work_table, "unreadable_file", result.key, now, object_key=result.key, reason=reason)
    sns.alert(
        settings.alert_topic_arn,
        "advocacy-notify: an Ofsted file could not be read",
        {"bucket": result.bucket, "key": result.key, "reason": reason, "report": result.report_key},
    )
    return result


def _work_items(result: IngestResult, writer: _ReportWriter, settings: Settings) -> None:
    now = settings.clock.now()
    for entry in writer.unresolved.values():
        repo.add_work_item(
            settings.work_table,
            f"{entry['status']}_authority",
            f"{result.key}#{entry['input']}",
            now,
            input=entry["input"],
            urns=entry["urns"][:MAX_LISTED],
            object_key=result.key,
            candidates=[c["gss_code"] for c in entry["candidates"]],
        )
    for urn in writer.no_placing[:MAX_LISTED]:
        repo.add_work_item(
            settings.work_table,
            "no_placing_authority",
            f"{result.key}#{urn}",
            now,
            urn=urn,
            object_key=result.key,
        )
    if result.counts.rejected:
        repo.add_work_item(
            settings.work_table,
            "rejected_rows",
            result.key,
            now,
            object_key=result.key,
            count=result.counts.rejected,
            report=result.report_key,
        )
    if writer.unresolved or writer.no_placing or result.counts.rejected:
        sns.alert(
            settings.alert_topic_arn,
            "advocacy-notify: staff work items from an Ofsted file",
            {
                "key": result.key,
                "unresolved_authorities": len(writer.unresolved),
                "homes_without_placing_authority": len(writer.no_placing),
                "rejected_rows": result.counts.rejected,
                "report": result.report_key,
            },
        )
