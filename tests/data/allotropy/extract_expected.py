"""Make ``*.expected.csv`` (well,target,ct) from allotropy's published ASM JSON, the
expected output beside each example file in allotropy's tests. Run once, by hand, with
the JSON files at hand (they are 20-250 kB each, so only this digest is kept):

    python extract_expected.py EXAMPLE.json > EXAMPLE.expected.csv

A Ct allotropy reports as missing ("N/A", or no "cycle threshold result") is written empty.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import Any


def _measurements(doc: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(doc, dict):
        if "target DNA description" in doc and "sample document" in doc:
            out.append(doc)
        for value in doc.values():
            out.extend(_measurements(value))
    elif isinstance(doc, list):
        for value in doc:
            out.extend(_measurements(value))
    return out


def _ct(m: dict[str, Any]) -> str:
    docs = m.get("processed data aggregate document", {}).get("processed data document", [])
    for d in docs:
        ct = d.get("cycle threshold result (qPCR)", d.get("cycle threshold result"))
        if isinstance(ct, dict) and isinstance(ct.get("value"), int | float):
            return f"{float(ct['value']):g}"
    return ""


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["well", "target", "ct"])
    for m in _measurements(doc):
        sample = m["sample document"]
        well = sample.get("well location identifier") or sample.get("location identifier")
        writer.writerow([well, m["target DNA description"], _ct(m)])


if __name__ == "__main__":
    main(sys.argv[1])
