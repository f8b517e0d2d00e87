#!/usr/bin/env python3
"""Turns the benchmark's result rows into the printed table, or into one JSON object.

The context (command line, machine, how each peer ran) comes as tab-separated key and value lines.
Rows come as tab-separated lines: section, test, unit, better (higher|lower), ours, peer label,
peer value, goal, note. A value cell holds one figure per run, space-separated; the median is shown
and the runs go into the JSON. Values that are not numbers (an errno name, "n/a") are shown as they are.
The ratio always reads "ours relative to the peer, above 1 is better for ours": ours/peer for
throughput, peer/ours for times and memory. A goal is either on that ratio ("ratio>=0.8") or on our
own figure ("ours<=1.15"). Nothing here fails a run: it reports.
"""
import json
import sys


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def fmt(value):
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def median(text):
    """A cell holds one figure per run, space-separated; the table shows their median."""
    samples = text.split()
    values = [number(v) for v in samples]
    if not samples:
        return "n/a", []
    if any(v is None for v in values):
        return samples[0], samples
    values.sort()
    mid = len(values) // 2
    value = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
    return str(value), values


def evaluate(row):
    row["ours"], row["oursRuns"] = median(row["ours"])
    row["peerValue"], row["peerRuns"] = median(row["peerValue"])
    ours, peer = number(row["ours"]), number(row["peerValue"])
    ratio = None
    if ours is not None and peer is not None and ours > 0 and peer > 0:
        ratio = ours / peer if row["better"] == "higher" else peer / ours
    met = None
    goal = row["goal"]
    if goal.startswith("ratio>=") and ratio is not None:
        met = ratio >= float(goal[len("ratio>="):])
    elif goal.startswith("ours<=") and ours is not None:
        met = ours <= float(goal[len("ours<="):])
    row["ratio"] = None if ratio is None else round(ratio, 3)
    row["goalMet"] = met
    for key in ("ours", "peerValue"):
        value = number(row[key])
        row[key] = row[key] if value is None else value
    return row


def read_rows(path):
    rows = []
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 9:
                continue
            keys = ("section", "test", "unit", "better", "ours", "peer", "peerValue", "goal", "note")
            rows.append(evaluate(dict(zip(keys, fields))))
    return rows


def cell(value):
    return fmt(value) if isinstance(value, float) else str(value)


def table(context, rows):
    out = []
    out.append(f"winreflink FUSE benchmark  {context.get('date', '')}")
    out.append(f"command: {context.get('command', '')}")
    for key, value in context.items():
        if key not in ("date", "command"):
            out.append(f"{key}: {value}")
    out.append("ratio = ours relative to the peer, >1 is better for ours (ours/peer for rates, peer/ours for times and memory)")
    sections = []
    for r in rows:
        if r["section"] not in sections:
            sections.append(r["section"])
    headers = ("test", "unit", "ours", "peer", "peer value", "ratio", "goal", "")
    for section in sections:
        srows = [r for r in rows if r["section"] == section]
        notes = []
        lines = []
        for r in srows:
            mark = ""
            if r["note"]:
                if r["note"] not in notes:
                    notes.append(r["note"])
                mark = f"[{notes.index(r['note']) + 1}]"
            status = "" if r["goalMet"] is None else ("met" if r["goalMet"] else "MISSED")
            ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
            lines.append((r["test"] + mark, r["unit"], cell(r["ours"]), r["peer"], cell(r["peerValue"]), ratio, r["goal"], status))
        widths = [max(len(str(x[i])) for x in lines + [headers]) for i in range(len(headers))]
        out.append("")
        out.append(f"== {section}")
        for line in [headers] + lines:
            cells = [str(v).ljust(widths[i]) if i in (0, 1, 3, 6, 7) else str(v).rjust(widths[i]) for i, v in enumerate(line)]
            out.append("  " + "  ".join(cells).rstrip())
        for i, n in enumerate(notes):
            out.append(f"  [{i + 1}] {n}")
    return "\n".join(out)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: report.py RESULTS.tsv CONTEXT.tsv [--json]")
    rows = read_rows(sys.argv[1])
    context = {}
    with open(sys.argv[2]) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            context[key] = value
    if "--json" in sys.argv[3:]:
        print(json.dumps({"context": context, "results": rows}, indent=1))
    else:
        print(table(context, rows))


if __name__ == "__main__":
    main()
