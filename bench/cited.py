"""BENCHMARKS.md quotes only what its results files say: `python -m bench.cited` checks every figure
of the targets table against the results file `bench/cited.json` names for it (by run, from the
page's "Runs" table), and that the table shows no figure without a citation."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: A figure: not the 50 of "p50", nor a digit inside a word.
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
#: The checked columns of the targets table (the last, "what limits it", is analysis).
COLUMNS = {"first run": 2, "2026-11-23": 3, "2026-12-04, stock settings": 4, "2026-12-04, tuned planner": 5,
           "third database, stock": 6, "third database, tuned": 7, "fifth database, stock": 8,
           "fifth database, tuned": 9}


def _table(text: str, heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after `heading`."""
    lines = text[text.index(heading):].splitlines()[1:]
    rows = []
    for line in lines:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    return [row for row in rows[1:] if not set("".join(row)) <= set("- ")]  # no header, no rule


def _runs(text: str) -> dict[str, str]:
    """Run name -> results file, from the Runs table (its last column names the file)."""
    runs = {}
    for row in _table(text, "| run | when |"):
        files = re.findall(r"`([^`]+\.json)`", row[-1])
        if files:
            runs[row[0]] = files[0]
    return runs


def _value(document: dict, path: str):
    value = document["results"]
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def problems(doc: Path = ROOT / "BENCHMARKS.md", citations: Path = ROOT / "bench" / "cited.json",
             results: Path = ROOT / "bench" / "results") -> list[str]:
    text = doc.read_text()
    everything = json.loads(citations.read_text())
    cited = {k: v for k, v in everything.items() if not k.startswith("_")}
    runs = {**_runs(text), **{k: v for k, v in everything.get("_runs", {}).items() if not k.startswith("_")}}
    found = []
    table = {row[0]: row for row in _table(text, "## Targets at N = 1,000,000")}
    for target, row in table.items():
        if target not in cited:
            found.append(f"{target!r}: no citation in bench/cited.json")
            continue
        for column, position in COLUMNS.items():
            found += _check_cell(f"{target!r} ({column})", row[position], cited[target][column], runs, results)
    for target in set(cited) - set(table):
        found.append(f"{target!r}: cited, but no such row in the table")
    return found


def _check_cell(where: str, cell: str, entries: list[dict], runs: dict, results: Path) -> list[str]:
    found = []
    for entry in entries:
        if entry["text"] not in cell:
            found.append(f"{where}: cites {entry['text']!r}, which the table does not show")
        quoted = float(NUMBER.search(entry["text"]).group().replace(",", ""))
        value = _value(json.loads((results / runs[entry["run"]]).read_text()), entry["path"])
        decimals = len(NUMBER.search(entry["text"]).group().partition(".")[2])
        measured = round(value * entry.get("scale", 1), decimals)
        if measured != quoted:
            found.append(f"{where}: quotes {entry['text']!r}, {runs[entry['run']]} says {measured}")
    cited_numbers = {NUMBER.search(e["text"]).group() for e in entries}
    for number in NUMBER.findall(cell):
        if number not in cited_numbers:
            found.append(f"{where}: shows {number} without a citation")
    return found


if __name__ == "__main__":
    wrong = problems()
    print("\n".join(wrong) or "every figure of the targets table is its results file's")
    sys.exit(1 if wrong else 0)
