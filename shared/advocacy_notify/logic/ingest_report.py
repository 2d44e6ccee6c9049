"""The validation report written next to an Ofsted file: streamed to temporary files, so memory stays flat."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from ..domain.models import Rejected, Skipped
from ..domain.pipeline import HomeOut


class ReportWriter:
    """Writes the JSON report to temporary files as outcomes stream past (memory stays flat).

    Each home is one line of the homes part. The placing authorities that a home's later rows add
    (long layout, rows apart) go to a side file, and only their places in it are remembered, by
    URN; they join their home's line when the report is read out.
    """

    def __init__(self) -> None:
        self.parts: dict[str, IO[str]] = {
            name: tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed in close()
            for name in ("homes", "cases", "skipped_rows", "rejected", "more_authorities")
        }
        self.first = dict.fromkeys(self.parts, True)
        self.more_at: dict[str, list[int]] = {}  # URN -> offsets of its later authorities in that side file
        self.unresolved: dict[str, dict[str, Any]] = {}
        self.no_placing: dict[str, None] = {}  # URNs, in file order

    def _write(self, part: str, doc: Any) -> None:
        f = self.parts[part]
        f.write(("" if self.first[part] else ",\n") + json.dumps(doc, default=str))
        self.first[part] = False

    def add(self, o: HomeOut | Skipped | Rejected) -> None:
        if isinstance(o, HomeOut):
            h = o.home
            places = [
                {"input": m.input, "status": m.status, "gss_code": m.gss_code, "name": m.name}
                for m in h.placing_authorities
            ]
            if not o.more:
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
                        "placing_authorities": places,
                    },
                )
            elif places:
                side = self.parts["more_authorities"]
                self.more_at.setdefault(h.urn, []).append(side.tell())
                side.write(json.dumps(places) + "\n")
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
            if not o.more and not h.placing_authorities:
                self.no_placing[h.urn] = None
            elif o.first_authorities:
                del self.no_placing[h.urn]
        elif isinstance(o, Skipped):
            self._write("skipped_rows", o.model_dump())
        else:
            self._write("rejected", o.model_dump())

    def chunks(self, head: dict[str, Any]) -> Iterator[str]:
        yield json.dumps(head, default=str)[:-1]
        for name, f in self.parts.items():
            if name == "more_authorities":
                continue
            f.seek(0)
            yield f',\n"{name}": [\n'
            if name == "homes" and self.more_at:
                yield from self._homes_with_later_rows(f)
            else:
                while chunk := f.read(1 << 16):
                    yield chunk
            yield "]"
        yield ',\n"unresolved_authorities": ' + json.dumps(list(self.unresolved.values()))
        yield ',\n"homes_without_placing_authority": ' + json.dumps(list(self.no_placing)) + "}\n"

    def _homes_with_later_rows(self, homes: IO[str]) -> Iterator[str]:
        side = self.parts["more_authorities"]
        for line in homes:  # one home per line, each but the last ending with ","
            text = line.rstrip("\n")
            comma = text.endswith(",")
            doc = json.loads(text[:-1] if comma else text)
            for offset in self.more_at.get(doc["urn"], ()):
                side.seek(offset)
                doc["placing_authorities"].extend(json.loads(side.readline()))
            yield json.dumps(doc, default=str) + (",\n" if comma else "")

    def close(self) -> None:
        for f in self.parts.values():
            f.close()
