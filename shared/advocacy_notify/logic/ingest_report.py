"""The validation report written next to an Ofsted file: streamed to temporary files, so memory stays flat."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from ..domain.models import Rejected, Skipped
from ..domain.pipeline import HomeOut


class ReportWriter:
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
