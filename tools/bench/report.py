#!/usr/bin/env python3
"""Turns the benchmark's result rows into the printed table, or into one JSON object.

The context (command line, machine, how each peer ran) comes as tab-separated key and value lines.
Rows come as tab-separated lines: key, section, test, unit, better (higher|lower), ours, peer label,
peer value, note. A value cell holds one figure per run, space-separated; the median is shown
and the runs go into the JSON. Values that are not numbers (an errno name, "n/a") are shown as they are.
The ratio always reads "ours relative to the peer, above 1 is better for ours": ours/peer for
throughput, peer/ours for times and memory; it is the ratio of the medians, and the JSON adds the
ratio of each run's pair (the runs alternate between the sides).

The goals come from the goal table, lines of "|"-separated fields: a row key or fnmatch pattern (the
first line that matches a row wins), the issue that set the goal, the goal, and for the issue's own
rows the figure the issue measured and the row's words in its table. A goal is either on the ratio
("ratio>=0.8") or on our own figure ("ours<=1.15"); "-" marks a row shown for context. Rows whose
line carries the issue's words are repeated, in the table's order, in a summary at the end. Nothing
here fails a run: it reports.
"""
import fnmatch
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
    """A cell holds one figure per run, space-separated, in run order; the table shows their median."""
    samples = text.split()
    values = [number(v) for v in samples]
    if not samples:
        return "n/a", []
    if any(v is None for v in values):
        return samples[0], samples
    ordered = sorted(values)
    mid = len(ordered) // 2
    value = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return str(value), values


def ratio_of(ours, peer, better):
    if ours is None or peer is None or ours <= 0 or peer <= 0:
        return None
    return ours / peer if better == "higher" else peer / ours


def paired_ratios(row):
    """The ratio of each run with its peer's run of the same round, when both sides have every run."""
    ours, peers = row["oursRuns"], row["peerRuns"]
    if len(ours) != len(peers) or not all(isinstance(v, float) for v in ours + peers):
        return []
    ratios = [ratio_of(o, p, row["better"]) for o, p in zip(ours, peers)]
    return [] if None in ratios else [round(r, 3) for r in ratios]


def read_goals(path):
    goals = []
    with open(path) as f:
        for line in f:
            fields = [field.strip() for field in line.split("|")]
            if len(fields) < 3 or not fields[0]:
                continue
            fields += [""] * (5 - len(fields))
            goals.append(dict(zip(("pattern", "issue", "goal", "issueFigure", "measure"), fields)))
    return goals


def goal_for(key, goals):
    return next((g for g in goals if fnmatch.fnmatchcase(key, g["pattern"])), None)


def evaluate(row, goals):
    row["ours"], row["oursRuns"] = median(row["ours"])
    row["peerValue"], row["peerRuns"] = median(row["peerValue"])
    ours, peer = number(row["ours"]), number(row["peerValue"])
    ratio = ratio_of(ours, peer, row["better"])
    goal = goal_for(row["key"], goals)
    row["goal"] = "" if goal is None or goal["goal"] == "-" else goal["goal"]
    row["goalIssue"] = None if not row["goal"] else int(goal["issue"])
    met = None
    if row["goal"].startswith("ratio>=") and ratio is not None:
        met = ratio >= float(row["goal"][len("ratio>="):])
    elif row["goal"].startswith("ours<=") and ours is not None:
        met = ours <= float(row["goal"][len("ours<="):])
    row["ratio"] = None if ratio is None else round(ratio, 3)
    row["ratioRuns"] = paired_ratios(row)
    row["goalMet"] = met
    for key in ("ours", "peerValue"):
        value = number(row[key])
        row[key] = row[key] if value is None else value
    return row


def read_rows(path, goals):
    rows = []
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 9:
                continue
            keys = ("key", "section", "test", "unit", "better", "ours", "peer", "peerValue", "note")
            rows.append(evaluate(dict(zip(keys, fields)), goals))
    return rows


def summary(rows, goals):
    """The rows of the goal table that carry an issue's words, in its order, with this run's figure."""
    by_key = {r["key"]: r for r in rows}
    out = []
    for g in goals:
        if not g["measure"]:
            continue
        r = by_key.get(g["pattern"])
        if r is None:
            now = "not measured"
        elif g["goal"].startswith("ours<="):
            now = f"{cell(r['ours'])}{r['unit']} ({r['peer']} {cell(r['peerValue'])}{r['unit']})"
        elif r["ratio"] is not None:
            now = f"{r['ratio']:.2f}x"
        else:
            now = f"{r['ours']} / {r['peerValue']}"
        out.append({
            "key": g["pattern"],
            "issue": int(g["issue"]),
            "measure": g["measure"],
            "issueFigure": g["issueFigure"],
            "now": now,
            "ratio": None if r is None else r["ratio"],
            "ratioRuns": [] if r is None else r["ratioRuns"],
            "goal": "" if g["goal"] == "-" else g["goal"],
            "goalMet": None if r is None else r["goalMet"],
        })
    return out


def status(met):
    return "" if met is None else ("met" if met else "MISSED")


def aligned(headers, lines, left):
    widths = [max(len(str(x[i])) for x in lines + [headers]) for i in range(len(headers))]
    out = []
    for line in [headers] + lines:
        cells = [str(v).ljust(widths[i]) if i in left else str(v).rjust(widths[i]) for i, v in enumerate(line)]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def cell(value):
    return fmt(value) if isinstance(value, float) else str(value)


def table(context, rows, goals):
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
            ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
            goal = f"{r['goal']} (#{r['goalIssue']})" if r["goal"] else ""
            lines.append((r["test"] + mark, r["unit"], cell(r["ours"]), r["peer"], cell(r["peerValue"]), ratio, goal, status(r["goalMet"])))
        out.append("")
        out.append(f"== {section}")
        out.extend(aligned(headers, lines, (0, 1, 3, 6, 7)))
        for i, n in enumerate(notes):
            out.append(f"  [{i + 1}] {n}")
    for issue in dict.fromkeys(s["issue"] for s in summary(rows, goals)):
        lines = [(s["measure"], s["key"], s["issueFigure"], s["now"], s["goal"], status(s["goalMet"]))
                 for s in summary(rows, goals) if s["issue"] == issue]
        out.append("")
        out.append(f"== issue {issue}: the rows of its table, the figure it measured then and this run's (ratios as above)")
        out.extend(aligned(("measure", "key", "then", "now", "goal", ""), lines, (0, 1, 2, 3, 4, 5)))
    return "\n".join(out)


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: report.py RESULTS.tsv CONTEXT.tsv GOALS.txt [--json]")
    goals = read_goals(sys.argv[3])
    rows = read_rows(sys.argv[1], goals)
    context = {}
    with open(sys.argv[2]) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            context[key] = value
    if "--json" in sys.argv[4:]:
        print(json.dumps({"context": context, "results": rows, "goals": summary(rows, goals)}, indent=1))
    else:
        print(table(context, rows, goals))


if __name__ == "__main__":
    main()
