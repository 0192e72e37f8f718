"""Make ``*.expected.csv`` (well,target,ct) from allotropy's published ASM JSON, the
expected output beside each example file in allotropy's tests. Run once, by hand, with
the JSON files at hand (they are 20-250 kB each, so only this digest is kept):

    python extract_expected.py EXAMPLE.json > EXAMPLE.expected.csv
    python extract_expected.py --verdicts EXAMPLE.json > EXAMPLE.expected.csv

A Ct allotropy reports as missing ("N/A", or no "cycle threshold result") is written empty.
``--verdicts`` adds the instrument's own verdicts allotropy kept in its custom information
documents: ``omit`` (true/false) and ``flags`` (the QuantStudio flag columns set to Y among
EXPFAIL THOLDFAIL BADROX NOISE SPIKE PRFDROP, and INCONCLUSIVE for that Amp Status, space
separated, in that order).
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


FLAGS = ("EXPFAIL", "THOLDFAIL", "BADROX", "NOISE", "SPIKE", "PRFDROP")


def _custom(m: dict[str, Any]) -> dict[str, Any]:
    """Every custom information entry of a measurement's processed data, keys upper-case."""
    out: dict[str, Any] = {}
    for d in m.get("processed data aggregate document", {}).get("processed data document", []):
        for doc in (d.get("data processing document", {}).get("custom information document", {}), d):
            for key, value in doc.get("custom information document", {}).items() if doc is d else doc.items():
                out[key.upper()] = value
    return out


def _verdicts(m: dict[str, Any]) -> tuple[str, str]:
    info = _custom(m)
    omit = str(info.get("OMIT", "false")).lower() == "true"
    flags = [f for f in FLAGS if str(info.get(f, "")).upper() == "Y"]
    if str(info.get("AMP STATUS", "")).upper().replace(" ", "_") == "INCONCLUSIVE":
        flags.append("INCONCLUSIVE")
    return ("true" if omit else "false"), " ".join(flags)


def main(path: str, verdicts: bool = False) -> None:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["well", "target", "ct", *(("omit", "flags") if verdicts else ())])
    for m in _measurements(doc):
        sample = m["sample document"]
        well = sample.get("well location identifier") or sample.get("location identifier")
        writer.writerow([well, m["target DNA description"], _ct(m), *(_verdicts(m) if verdicts else ())])


if __name__ == "__main__":
    main(sys.argv[-1], verdicts="--verdicts" in sys.argv[1:-1])
