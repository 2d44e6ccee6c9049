"""Ingest: an Ofsted file in S3 becomes one queued case per home x placing authority.

Nothing is lost: every case is claimed in the cases table before it is queued and marked once SQS has it;
a claim never marked queued is queued again on the next delivery. Repeats of the same ratings (the same S3
event twice, or the same file uploaded again) queue nothing new, and a new rating for a home and authority
whose case is still open joins that case (a staff work item) instead of starting a second chase.

A ratings snapshot (a file with no placing-authority column: Ofsted's ratings of every home) opens no case:
it is stored and compared with the snapshot before it (`logic/monitoring.py`), and its report says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from ..domain.authorities import AuthorityDirectory
from ..domain.case import Case
from ..domain.models import CaseMessage
from ..domain.ofsted import FileUnreadable, OfstedFile, open_ofsted
from ..domain.pipeline import Counts, HomeOut, case_message, process
from ..domain.snapshot import read_snapshot
from ..ports import Alerts, CaseQueue, Cases, Claim, Clock, Files, WorkItems
from .ingest_report import ReportWriter
from .monitoring import RecordSnapshot, SnapshotOutcome

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
    joined: int = 0
    work_items: int = 0  # staff work items this file raised
    report_key: str | None = None
    snapshot: SnapshotOutcome | None = None  # a ratings snapshot: what monitoring made of it

    def summary(self) -> dict[str, Any]:
        """Counts, keys and dates only: safe to log."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in {"counts", "snapshot"}}
        out.update(asdict(self.counts))
        if self.snapshot is not None:
            figures = self.snapshot.summary.figures()
            out["snapshot"] = {**figures, "already_recorded": self.snapshot.already_recorded}
        return out


def object_key(raw_key: str) -> str:
    """S3 event keys are URL-encoded: '+' is a space and '%2B' a plus."""
    return unquote_plus(raw_key)


class _Claims:
    """Claims cases and queues the new ones ten at a time."""

    def __init__(self, ingest: Ingest, key: str) -> None:
        self.ingest = ingest
        self.key = key
        self.pending: list[CaseMessage] = []
        self.queued = self.already_known = self.joined = self.work_items = 0

    def add(self, msg: CaseMessage) -> None:
        now = self.ingest.clock.now()
        claim = self.ingest.cases.claim(Case.opened(msg, now, self.ingest.retention_days))
        if claim is Claim.KNOWN:
            self.already_known += 1
            return
        if claim is Claim.JOINED:
            self._join(msg, now)
            return
        self.pending.append(msg)
        if len(self.pending) == 10:
            self.flush()

    def _join(self, msg: CaseMessage, now: datetime) -> None:
        holder = self.ingest.cases.open_case_for(msg.urn, msg.gss_code)
        if holder is None:  # closed a moment ago: this rating opens a case of its own
            self.add(msg)
            return
        self.joined += 1
        self.ingest.cases.join_rating(holder.case_id, msg.rating_date, self.key, now)
        raised = self.ingest.work.raise_item(
            "rating_joined_open_case",
            f"{holder.case_id}#{msg.rating_date.isoformat()}",
            now,
            case_id=holder.case_id,
            urn=msg.urn,
            gss_code=msg.gss_code,
            rating_date=msg.rating_date.isoformat(),
            object_key=self.key,
        )
        self.work_items += int(raised)

    def flush(self) -> None:
        if not self.pending:
            return
        failed = self.ingest.queue.send(self.pending)
        if failed:
            raise RuntimeError(f"{len(failed)} cases could not be queued; the event will be retried")
        self.ingest.cases.mark_queued([m.case_id for m in self.pending], self.ingest.clock.now())
        self.queued += len(self.pending)
        self.pending = []


class Ingest:
    def __init__(
        self,
        *,
        files: Files,
        cases: Cases,
        queue: CaseQueue,
        work: WorkItems,
        alerts: Alerts,
        clock: Clock,
        retention_days: int,
        monitor: RecordSnapshot,
        directory: AuthorityDirectory | None = None,
    ) -> None:
        self.files, self.cases, self.queue, self.work, self.alerts = files, cases, queue, work, alerts
        self.clock, self.retention_days, self.monitor = clock, retention_days, monitor
        self.directory = directory or AuthorityDirectory.default()

    def __call__(self, bucket: str, key: str, version_id: str | None = None) -> IngestResult:
        result = IngestResult(bucket=bucket, key=key, status="processed")
        if key.endswith(REPORT_SUFFIX) or key.endswith("/"):
            result.status = "ignored"
            return result
        result.report_key = key + REPORT_SUFFIX
        claims = _Claims(self, key)
        writer = ReportWriter()
        try:
            with self.files.open(bucket, key, version_id) as stream:
                try:
                    file: OfstedFile = open_ofsted(stream, key.rsplit("/", 1)[-1])  # type: ignore[arg-type]
                except FileUnreadable as exc:
                    return self._unreadable(result, exc.reason)
                with file:
                    if file.is_ratings_snapshot:
                        return self._snapshot(result, file, version_id)
                    for outcome in process(file, self.directory):
                        result.counts.add(outcome)
                        writer.add(outcome)
                        if isinstance(outcome, HomeOut):
                            for case in outcome.cases:
                                la = self.directory.by_gss(case.gss_code)
                                name = la.name if la else case.gss_code
                                claims.add(case_message(outcome.home, case, name, bucket, key))
                claims.flush()
            result.queued, result.already_known, result.joined = claims.queued, claims.already_known, claims.joined
            head = {
                "file": self._file_facts(result, file, version_id),
                "status": result.status,
                "counts": {
                    **asdict(result.counts),
                    "queued": result.queued,
                    "already_known": result.already_known,
                    "joined_open_case": result.joined,
                },
            }
            self.files.put_text_chunks(bucket, result.report_key, writer.chunks(head))
            result.work_items = claims.work_items + self._work_items(result, writer)
        except FileUnreadable as exc:  # raised mid-stream (e.g. too many rows)
            return self._unreadable(result, exc.reason)
        finally:
            writer.close()
        return result

    @staticmethod
    def _file_facts(result: IngestResult, file: OfstedFile, version_id: str | None) -> dict[str, Any]:
        return {
            "bucket": result.bucket,
            "key": result.key,
            "version_id": version_id,
            "format": file.format,
            "sheet": file.sheet,
            "header_row": file.header_row,
        }

    def _snapshot(self, result: IngestResult, file: OfstedFile, version_id: str | None) -> IngestResult:
        """A ratings snapshot: stored and compared (monitoring), its report written; no case is opened."""
        snapshot = read_snapshot(file)
        counts = result.counts
        counts.rows_read, counts.homes = file.data_rows, len(snapshot.homes)
        counts.skipped, counts.rejected = snapshot.skipped, len(snapshot.rejected)
        outcome = self.monitor(snapshot, result.key)
        result.snapshot = outcome
        assert result.report_key is not None
        self.files.put_json(
            result.bucket,
            result.report_key,
            {
                "file": self._file_facts(result, file, version_id),
                "status": result.status,
                "kind": "ratings_snapshot",
                "counts": asdict(counts),
                "snapshot": {
                    **outcome.summary.figures(),
                    "already_recorded": outcome.already_recorded,
                    "inadequate_homes": sorted(snapshot.inadequate),
                    "newly_inadequate_homes": list(outcome.newly_inadequate),
                    "unnotified_inadequate_homes_listed": list(outcome.unnotified),
                },
                "cases": [],
                "rejected": [{"row": r.row, "errors": list(r.errors)} for r in snapshot.rejected],
            },
        )
        result.work_items = outcome.work_items + self._rejected_rows(result)
        if result.counts.rejected:
            self.alerts.alert(
                "advocacy-notify: staff work items from an Ofsted file",
                {"key": result.key, "rejected_rows": result.counts.rejected, "report": result.report_key},
            )
        return result

    def _rejected_rows(self, result: IngestResult) -> int:
        if not result.counts.rejected:
            return 0
        return int(
            self.work.raise_item(
                "rejected_rows",
                result.key,
                self.clock.now(),
                object_key=result.key,
                count=result.counts.rejected,
                report=result.report_key,
            )
        )

    def _unreadable(self, result: IngestResult, reason: str) -> IngestResult:
        result.status, result.reason = "unreadable", reason
        now = self.clock.now()
        assert result.report_key is not None
        self.files.put_json(
            result.bucket,
            result.report_key,
            {"file": {"bucket": result.bucket, "key": result.key}, "status": "unreadable", "reason": reason},
        )
        result.work_items = int(
            self.work.raise_item("unreadable_file", result.key, now, object_key=result.key, reason=reason)
        )
        self.alerts.alert(
            "advocacy-notify: an Ofsted file could not be read",
            {"bucket": result.bucket, "key": result.key, "reason": reason, "report": result.report_key},
        )
        return result

    def _work_items(self, result: IngestResult, writer: ReportWriter) -> int:
        """One work item per unresolved authority, home without a placing authority, and file with rejected
        rows. Returns how many were raised (repeats of the same file raise none)."""
        now = self.clock.now()
        raised = 0
        for entry in writer.unresolved.values():
            raised += self.work.raise_item(
                f"{entry['status']}_authority",
                f"{result.key}#{entry['input']}",
                now,
                input=entry["input"],
                urns=entry["urns"][:MAX_LISTED],
                object_key=result.key,
                candidates=[c["gss_code"] for c in entry["candidates"]],
            )
        for urn in list(writer.no_placing)[:MAX_LISTED]:
            raised += self.work.raise_item(
                "no_placing_authority", f"{result.key}#{urn}", now, urn=urn, object_key=result.key
            )
        raised += self._rejected_rows(result)
        if writer.unresolved or writer.no_placing or result.counts.rejected:
            self.alerts.alert(
                "advocacy-notify: staff work items from an Ofsted file",
                {
                    "key": result.key,
                    "unresolved_authorities": len(writer.unresolved),
                    "homes_without_placing_authority": len(writer.no_placing),
                    "rejected_rows": result.counts.rejected,
                    "report": result.report_key,
                },
            )
        return raised
