"""``report.html``: the pipeline's summary as one self-contained page.

Everything is inside the file (images as base64 data URIs, the replay's frames as JSON, the style
and a few lines of script), so it opens offline, from anywhere, and can be mailed as it is.
"""

from __future__ import annotations

import base64
import io
import json
from html import escape
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from PIL import Image, ImageSequence

from logicdistill.functions.base import atomic_write_text
from logicdistill.pipeline.charts import bars
from logicdistill.pipeline.claims import verdict
from logicdistill.pipeline.summary import PHASES, comparison, show

AGENT_NOTES = {  # the agents every task has; a task's baselines are described by BASELINE_NOTE
    "teacher": "the LD loop choosing as the task's offline teacher (its demonstrator) does",
    "ld": "Logic Distillation: the 135M student selects one of the retrieved functions",
    "kd": "knowledge distillation: the same student, same budget, names the action itself",
    "zero-shot-ld": "the untrained student selecting functions",
    "zero-shot": "the untrained student naming actions",
    "random": "the LD loop with a random selector",
}
BASELINE_NOTE = "a baseline of the task, without functions"

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 1em 0; } td, th { padding: 0.3em 0.7em; border: 1px solid #ddd; }
th { background: #f3f3f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #666; font-size: 0.9em; } img { max-width: 100%; }
.grid { display: flex; flex-wrap: wrap; gap: 1em; } .grid figure { margin: 0; flex: 1 1 460px; }
#replay-caption { font-family: ui-monospace, monospace; font-size: 0.85em; min-height: 3em; }
"""

REPLAY_SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById("replay-data").textContent);
  var img = document.getElementById("replay-frame"), caption = document.getElementById("replay-caption");
  var slider = document.getElementById("replay-slider"), button = document.getElementById("replay-play");
  var shown = 0, timer = null;
  function show(i) { shown = i; img.src = data.frames[i]; caption.textContent = data.captions[i]; slider.value = i; }
  function pause() { clearInterval(timer); timer = null; button.textContent = "play"; }
  function play() { timer = setInterval(function () { show((shown + 1) % data.frames.length); }, 300);
                    button.textContent = "pause"; }
  slider.max = data.frames.length - 1;
  slider.addEventListener("input", function () { pause(); show(Number(slider.value)); });
  button.addEventListener("click", function () { if (timer) { pause(); } else { play(); } });
  show(0);
  play();
  document.body.setAttribute("data-replay-frames", String(data.frames.length));
})();
"""


def write_report(summary: dict[str, Any], root: Path, path: Path) -> Path:
    atomic_write_text(path, render_report(summary, root))
    return path


def render_report(summary: dict[str, Any], root: Path) -> str:
    """The page; artefact paths in ``summary`` are read relative to ``root``."""
    sections = [
        _claims(summary),
        _comparison(summary),
        _charts(summary),
        _bases(summary),
        _training(summary, root),
        _drawn(summary, root),
        *(_emergency(e) for e in summary["emergencies"]),
        _replay(summary, root),
        _sizes(summary),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(summary['title'])}</title>"
        f"<style>{STYLE}</style></head><body>\n{_intro(summary)}\n"
        + "\n".join(filter(None, sections))
        + "\n</body></html>\n"
    )


def _intro(summary: dict[str, Any]) -> str:
    minutes = summary["total_seconds"] / 60
    tasks = ", ".join(t["label"] for t in summary["tasks"].values())
    return (
        f"<h1>{escape(summary['title'])}, end to end</h1>"
        f"<p>Tasks: {escape(tasks)}. Each comes with a base of small verified functions, written by a "
        "teacher LLM or bundled with the task (bundled ones stand in, offline, for what a teacher LLM "
        "writes). A 135M-parameter student was trained with LoRA on the teacher's decisions to "
        "<b>select</b> one of the retrieved functions at each stage of a decision (<b>ld</b>), and the same "
        "student, with the same budget, to <b>name the action</b> itself (<b>kd</b>, classic knowledge "
        "distillation). They, the teacher and simple baselines were then evaluated, on variants no student "
        "saw in training where a task keeps some apart.</p>"
        f'<p class="note">{escape(summary["about"])} The steps took {minutes:.1f} minutes of compute on '
        f"{summary['cpu_count']} CPUs{_cpu(summary)} (each step's time is under Sizes and timings).</p>"
    )


def _cpu(summary: dict[str, Any]) -> str:
    """`` (x86_64, AVX512-BF16)``: the CPU's kind where the summary records it."""
    return f" ({escape(summary['cpu'])})" if summary.get("cpu") else ""


def _claims(summary: dict[str, Any]) -> str:
    """What the run set out to show, each claim against its figures (none: no section)."""
    claims = summary.get("claims") or []
    if not claims:
        return ""
    rows = [
        [c["statement"], show(c["value"], "{:.4g}"), f"{c['op']} {show(c['threshold'], '{:.4g}')}", verdict(c)]
        for c in claims
    ]
    held = sum(c["holds"] is True for c in claims)
    return (
        f"<h2>Claims: {held} of {len(claims)} hold</h2>"
        + _table(["claim", "measured", "needed", "verdict"], rows)
        + '<p class="note">Each claim compares figures of this run (summary.json, "claims"); unchecked: a '
        "figure it needs was not measured.</p>"
    )


def _table(header: list[str], rows: list[list[str]], groups: list[tuple[str, int]] | None = None) -> str:
    """An HTML table; ``groups`` adds a first header row of (label, columns spanned)."""
    top = "<tr>" + "".join(f'<th colspan="{n}">{escape(g)}</th>' for g, n in groups) + "</tr>" if groups else ""
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"
    cell = ("<td>{}</td>", '<td class="num">{}</td>')  # the first column names the row
    body = "".join("<tr>" + "".join(cell[i > 0].format(escape(c)) for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table>{top}{head}{body}</table>"


def _where(task: dict[str, Any]) -> str:
    """Where a task's agents were evaluated, in words."""
    variants = ", ".join(task["eval_variants"])
    return f"{task['label']} on held-out {variants}" if task["held_out"] else f"{task['label']} ({variants})"


def _comparison(summary: dict[str, Any]) -> str:
    columns, rows = comparison(summary)
    titles = {t["label"]: _where(t) for t in summary["tasks"].values()}
    groups = [("", 1), *((titles[label], len(list(cols))) for label, cols in groupby(columns, key=itemgetter(0)))]
    notes = "".join(f"<li><b>{escape(r[0])}</b>: {escape(AGENT_NOTES.get(r[0], BASELINE_NOTE))}</li>" for r in rows)
    metrics = {m["label"]: m for t in summary["tasks"].values() for m in t["metrics"]}
    legend = "; ".join(
        f"{label}: {m['name'].replace('_', ' ')} ({'higher' if m['higher_is_better'] else 'lower'} is better)"
        for label, m in metrics.items()
    )
    return (
        "<h2>All agents</h2>"
        + _table(["agent", *(label for _, label in columns)], rows, groups)
        + f'<ul class="note">{notes}</ul><p class="note">{escape(legend)}. sel. acc.: the same function as '
        "the teacher on held-out decisions; ms: median milliseconds per stage decision, retrieval and "
        "execution included.</p>"
    )


def _charts(summary: dict[str, Any]) -> str:
    """Each task's headline metric per agent, and every task's decision latency."""
    tasks = summary["tasks"].values()

    def metric(task: dict[str, Any], key: str) -> dict[str, float | None]:
        return {agent: row.get(key) for agent, row in task["agents"].items()}

    charts = []
    for t in tasks:
        head = t["metrics"][0]
        better = "higher" if head["higher_is_better"] else "lower"
        share = "%" in head["format"]  # a share: drawn on its whole scale
        charts.append(
            bars(
                {head["label"]: metric(t, head["name"])},
                f"{_where(t)}: {head['label']} ({better} is better)",
                head["label"],
                head["format"],
                ylim=(0, 1.1) if share else None,
            )
        )
    charts.append(
        bars(
            {t["label"]: metric(t, "decision_ms_median") for t in tasks},
            "decision latency (median)",
            "ms per stage decision",
            "{:.3g}",
            log=True,
        )
    )
    return '<h2>At a glance</h2><div class="grid">' + "".join(_figure(c, "") for c in charts) + "</div>"


def _bases(summary: dict[str, Any]) -> str:
    """Where each task's functions came from, and the functions by stage."""
    rows = []
    for t in summary["tasks"].values():
        base = t["base"]
        source = "bundled" if base["source"] == "bundled" else f"written by teacher {base['teacher']}, verified"
        rows += [
            [t["label"], source, base["fingerprint"], stage, ", ".join(names)]
            for stage, names in base["functions"].items()
        ]
    return (
        "<h2>The function bases</h2>"
        + _table(["task", "base", "fingerprint", "stage", "functions"], rows)
        + '<p class="note">The students select among these functions. The decisions they learned were '
        "labelled by "
        + escape("; ".join(f"{t['label']}: {t['data']['demonstrator']}" for t in summary["tasks"].values()))
        + " (llm: the teacher LLM; any other: the task's offline demonstrator).</p>"
    )


def _training(summary: dict[str, Any], root: Path) -> str:
    rows, curves = [], []
    for facts in summary["tasks"].values():
        data, label = facts["data"], facts["label"]
        for mode, m in facts["train"].items():
            rows.append(
                [
                    label,
                    mode,
                    f"{data['episodes']} episodes, {data['decisions']} decisions",
                    show(m["train_examples"], "{}"),
                    show(m["steps"], "{}"),
                    show(m["train_seconds"], "{:.0f}"),
                    show(m["val_accuracy"], "{:.0%}"),
                    show(m["val_balanced_accuracy"], "{:.0%}"),
                ]
            )
            curves.append(_figure((root / m["learning_curve"]).read_bytes(), f"{label}, {mode}"))
    if not rows:
        return ""  # no student was trained: none was evaluated and nothing needed one
    header = ["task", "mode", "teacher data", "examples", "steps", "seconds", "val. accuracy", "balanced"]
    return (
        "<h2>Training: the learning curves</h2>"
        + _table(header, rows)
        + "<p class=\"note\">Validation accuracy: the student's answer equals the teacher's on validation "
        "decisions; balanced: averaged over the teacher's answers, so always giving the commonest one scores "
        '1 / number of answers.</p><div class="grid">' + "".join(curves) + "</div>"
    )


def _drawn(summary: dict[str, Any], root: Path) -> str:
    """The figures each task drew of each agent's policy (none: no section)."""
    figures = []
    for t in summary["tasks"].values():
        head = t["metrics"][0]
        for agent, row in t["agents"].items():
            figures += [
                _figure(
                    (root / path).read_bytes(),
                    f"{t['label']}, {agent}: {key.replace('_', ' ')}; "
                    f"{head['label']} {show(row.get(head['name']), head['format'])}",
                )
                for key, path in row.get("figures", {}).items()
            ]
    if not figures:
        return ""
    return (
        '<h2>The policies as the tasks draw them</h2><p class="note">Each figure as its task draws an '
        'agent\'s whole policy.</p><div class="grid">' + "".join(figures) + "</div>"
    )


def _emergency(e: dict[str, Any]) -> str:
    metric = e["metric"]
    rows = [[who, *(show(v, metric["format"]) for v in phases.values())] for who, phases in e["agents"].items()]
    added = ", ".join(f"{f['name']} ({f['stage']} stage, {f['provenance']})" for f in e["added_functions"])
    chosen = "; ".join(
        f"{name} chosen by the selector {c['selected']} times, run as the default of a moot choice {c['forced']} times"
        for name, c in e["new_function_choices"].items()
    )
    better = "higher" if metric["higher_is_better"] else "lower"
    recovery = (
        ""
        if e.get("recovery") is None
        else f" Recovery of {e['agent']}: {e['recovery']:.0%} of what the new rule cost won back."
    )
    chart = bars(
        {PHASES[p]: {who: phases[p] for who, phases in e["agents"].items()} for p in PHASES},
        f"{e['scenario']}: {metric['label']} ({better} is better; no retraining)",
        metric["label"],
        metric["format"],
    )
    return (
        f"<h2>Emergency in {escape(e['label'])}: {escape(e['scenario'])}</h2>"
        f"<p><b>New rule:</b> {escape(e['rule'])}</p>"
        + _table(["agent", *PHASES.values()], rows)
        + f"<p>Added as base version {e['base_version']}: {escape(added)}. Retrained: "
        f"{'yes' if e['retrained'] else 'no'}. Under the new rule: {escape(chosen)}.{escape(recovery)}</p>"
        + _figure(chart, "")
    )


def _replay(summary: dict[str, Any], root: Path) -> str:
    r = summary["replay"]
    if not r:
        return ""
    frames = [_data_uri(f, "image/png") for f in replay_frames(root / r["gif"])]
    data = json.dumps({"frames": frames, "captions": replay_captions(root / r["trace"])}).replace("</", "<\\/")
    outcome = "succeeded" if r["success"] else "did not succeed"
    return (
        f"<h2>Replay: {escape(r['agent'])} on {escape(r['variant'])} ({escape(r['label'])})</h2>"
        f"<p>Seed {r['seed']}: the episode {outcome} in {r['steps']} steps, return {r['return']:+g}. "
        "Below each frame: the functions each deciding unit ran, stage by stage.</p>"
        '<p><button id="replay-play">pause</button> <input id="replay-slider" type="range" min="0" '
        'value="0" style="width: 60%"></p><img id="replay-frame" alt="replay frame">'
        '<p id="replay-caption"></p>'
        f'<script type="application/json" id="replay-data">{data}</script>'
        f"<script>{REPLAY_SCRIPT}</script>"
    )


def _sizes(summary: dict[str, Any]) -> str:
    sizes = [
        [k, ", ".join(map(str, v)) if isinstance(v, list | tuple) else str(v)] for k, v in summary["config"].items()
    ]
    steps = [
        [name, show(t["seconds"], "{:.0f}"), "reused" if t["reused"] else ""] for name, t in summary["steps"].items()
    ]
    steps.append(["all steps", show(summary["total_seconds"], "{:.0f}"), ""])
    return (
        '<h2>Sizes and timings</h2><div class="grid"><div>'
        + _table(["size", "value"], sizes)
        + "</div><div>"
        + _table(["step", "seconds", ""], steps)
        + "</div></div>"
    )


def replay_frames(path: Path) -> list[bytes]:
    """Every frame of an animated GIF or APNG, as PNG bytes."""
    out = []
    with Image.open(path) as animation:
        for frame in ImageSequence.Iterator(animation):
            buffer = io.BytesIO()
            frame.convert("RGB").save(buffer, format="PNG", optimize=True)
            out.append(buffer.getvalue())
    return out


def replay_captions(trace: Path) -> list[str]:
    """One line per frame: the start, then each step's functions per deciding unit (from the JSONL
    trace); the unit is named only where several decide."""
    captions = ["start"]
    for line in trace.read_text(encoding="utf-8").splitlines():
        step = json.loads(line)
        units: dict[int, list[str]] = {}
        for stage in step["stages"]:
            units.setdefault(stage["unit"], []).append(stage["choice"])
        chains = {u: " > ".join(c) for u, c in units.items()}
        text = "; ".join(f"#{u} {c}" for u, c in chains.items()) if len(chains) > 1 else "".join(chains.values())
        captions.append(f"step {step['step'] + 1}: {text}")
    return captions


def _figure(png: bytes, caption: str) -> str:
    text = f'<figcaption class="note">{escape(caption)}</figcaption>' if caption else ""
    return f'<figure><img src="{_data_uri(png, "image/png")}" alt="{escape(caption)}">{text}</figure>'


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
