"""``report.html``: the demo's summary as one self-contained page.

Everything is inside the file (images as base64 data URIs, the replay's frames as JSON, the style
and a few lines of script), so it opens offline, from anywhere, and can be mailed as it is.
"""

from __future__ import annotations

import base64
import io
import json
from html import escape
from itertools import groupby
from pathlib import Path
from typing import Any

from PIL import Image, ImageSequence

from logicdistill.demo.charts import bars
from logicdistill.demo.summary import PHASES, TASK_LABELS, comparison, show
from logicdistill.functions.base import atomic_write_text

AGENT_NOTES = {
    "teacher": "the LD loop choosing as the teacher does (rollouts in pursuit, exact values at 21 Points)",
    "ld": "Logic Distillation: the 135M student selects one of the retrieved functions",
    "kd": "knowledge distillation: the same student, same budget, names the action itself",
    "zero-shot-ld": "the untrained student selecting functions",
    "zero-shot": "the untrained student naming actions",
    "greedy": "no functions: every pursuer runs to its nearest evader",
    "random": "the LD loop with a random selector",
}

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
    sections = [_comparison(summary), _charts(summary), _training(summary, root), _policies(summary, root),
                _emergency(summary), _replay(summary, root), _sizes(summary)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Logic Distillation demo</title>"
            f"<style>{STYLE}</style></head><body>\n{_intro(summary)}\n" + "\n".join(sections) + "\n</body></html>\n")


def _intro(summary: dict[str, Any]) -> str:
    minutes = summary["total_seconds"] / 60
    return (
        "<h1>Logic Distillation, end to end</h1>"
        "<p>Each game comes with a base of small verified functions (the bundled ones stand in, offline, for "
        "what a teacher LLM writes). A 135M-parameter student was trained with LoRA on the teacher's decisions "
        "to <b>select</b> one of the retrieved functions at each stage of a decision (<b>ld</b>), and the same "
        "student, with the same budget, to <b>name the action</b> itself (<b>kd</b>, classic knowledge "
        "distillation). They, the teacher and simple baselines then play pursuit on maps no student saw in "
        "training, and 21 Points in every decision state.</p>"
        f"<p class=\"note\">Demo sizes (below) are chosen for a 2-core CPU and are far smaller than the "
        f"benchmarks in the README's Figures, so these numbers show the method running, not its measured "
        f"performance. The steps took {minutes:.1f} minutes of compute on {summary['cpu_count']} CPUs.</p>")


def _table(header: list[str], rows: list[list[str]], groups: list[tuple[str, int]] | None = None) -> str:
    """An HTML table; ``groups`` adds a first header row of (label, columns spanned)."""
    top = "<tr>" + "".join(f"<th colspan=\"{n}\">{escape(g)}</th>" for g, n in groups) + "</tr>" if groups else ""
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"
    cell = ("<td>{}</td>", "<td class=\"num\">{}</td>")  # the first column names the row
    body = "".join("<tr>" + "".join(cell[i > 0].format(escape(c)) for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table>{top}{head}{body}</table>"


def _comparison(summary: dict[str, Any]) -> str:
    columns, rows = comparison(summary)
    held_out = ", ".join(summary["tasks"]["pursuit"]["data"]["held_out"])
    titles = {"pursuit": f"pursuit on held-out maps ({held_out})", "twentyone": "21 Points, all 280 decision states"}
    groups = [("", 1), *((titles[task], len(list(cols))) for task, cols in groupby(columns, key=lambda c: c[0]))]
    notes = "".join(f"<li><b>{escape(r[0])}</b>: {escape(AGENT_NOTES.get(r[0], ''))}</li>" for r in rows)
    return ("<h2>All agents</h2>" + _table(["agent", *(label for _, label in columns)], rows, groups)
            + f"<ul class=\"note\">{notes}</ul><p class=\"note\">success: games in which every evader was caught; "
            "steps: mean game length; sel. acc.: the same function as the teacher on held-out decisions; ms: median "
            "milliseconds per stage decision, retrieval and execution included; regret: expected return lost per "
            "hand against optimal play, computed exactly; optimal: share of the decision states where the agent "
            "acts as optimal play does.</p>")


def _charts(summary: dict[str, Any]) -> str:
    tasks = summary["tasks"]

    def metric(task: str, key: str) -> dict[str, float | None]:
        return {agent: row.get(key) for agent, row in tasks[task]["agents"].items()}

    charts = [
        bars({"success": metric("pursuit", "success_rate")}, "pursuit: games won on held-out maps", "success rate",
             "{:.0%}", ylim=(0, 1.1)),
        bars({"regret": metric("twentyone", "regret")}, "21 Points: regret per hand (lower is better)", "regret",
             "{:.3f}"),
        bars({TASK_LABELS[t]: metric(t, "decision_ms_median") for t in tasks}, "decision latency (median)",
             "ms per stage decision", "{:.3g}", log=True),
    ]
    return "<h2>At a glance</h2><div class=\"grid\">" + "".join(_figure(c, "") for c in charts) + "</div>"


def _training(summary: dict[str, Any], root: Path) -> str:
    rows, curves = [], []
    for task, facts in summary["tasks"].items():
        data = facts["data"]
        for mode, m in facts["train"].items():
            rows.append([TASK_LABELS[task], mode, f"{data['episodes']} games, {data['decisions']} decisions",
                         show(m["train_examples"], "{}"), show(m["steps"], "{}"), show(m["train_seconds"], "{:.0f}"),
                         show(m["val_accuracy"], "{:.0%}"), show(m["val_balanced_accuracy"], "{:.0%}")])
            curves.append(_figure((root / m["learning_curve"]).read_bytes(), f"{TASK_LABELS[task]}, {mode}"))
    header = ["task", "mode", "teacher data", "examples", "steps", "seconds", "val. accuracy", "balanced"]
    return ("<h2>Training: the learning curves</h2>" + _table(header, rows)
            + "<p class=\"note\">Validation accuracy: the student's answer equals the teacher's on validation "
              "decisions; balanced: averaged over the teacher's answers, so always giving the commonest one scores "
              "1 / number of answers.</p><div class=\"grid\">" + "".join(curves) + "</div>")


def _policies(summary: dict[str, Any], root: Path) -> str:
    figures = [_figure((root / row["policy_grid"]).read_bytes(),
                       f"{agent}: {row['disagreements']} states differ from the optimum, regret {row['regret']:.4f}")
               for agent, row in summary["tasks"]["twentyone"]["agents"].items() if row.get("policy_grid")]
    return ("<h2>21 Points: every policy against the optimum</h2><p class=\"note\">H hit, S stick; a red cell is a "
            "state where the agent's action differs from optimal play.</p><div class=\"grid\">"
            + "".join(figures) + "</div>")


def _emergency(summary: dict[str, Any]) -> str:
    e = summary["emergency"]
    rows = [[who, *(show(v, "{:.4f}") for v in phases.values())] for who, phases in e["agents"].items()]
    added = ", ".join(f"{f['name']} ({f['stage']} stage, {f['provenance']})" for f in e["added_functions"])
    chosen = "; ".join(f"{name} chosen by the selector {c['selected']} times, run as the default of a moot "
                       f"choice {c['forced']} times" for name, c in e["new_function_choices"].items())
    chart = bars({PHASES[p]: {who: phases[p] for who, phases in e["agents"].items()} for p in PHASES},
                 f"{e['scenario']}: {e['metric']} (no retraining)", e["metric"], "{:.4f}")
    return (f"<h2>Emergency: {escape(e['scenario'])}</h2><p><b>New rule:</b> {escape(e['rule'])}</p>"
            + _table(["agent", *PHASES.values()], rows)
            + f"<p>Added as base version {e['base_version']}: {escape(added)}. Retrained: "
              f"{'yes' if e['retrained'] else 'no'}. Under the new rule: {escape(chosen)}.</p>"
            + _figure(chart, ""))


def _replay(summary: dict[str, Any], root: Path) -> str:
    r = summary["replay"]
    frames = [_data_uri(f, "image/png") for f in replay_frames(root / r["gif"])]
    data = json.dumps({"frames": frames, "captions": replay_captions(root / r["trace"])}).replace("</", "<\\/")
    outcome = "captured every evader" if r["success"] else f"captured {r['captures']} evader(s)"
    return (f"<h2>Replay: {escape(r['agent'])} on {escape(r['map'])}</h2>"
            f"<p>Seed {r['seed']}: the pursuers (blue) {outcome} in {r['steps']} of {r['max_steps']} steps. "
            "Below each frame: the functions each pursuer ran (target, strategy, move).</p>"
            "<p><button id=\"replay-play\">pause</button> <input id=\"replay-slider\" type=\"range\" min=\"0\" "
            "value=\"0\" style=\"width: 60%\"></p><img id=\"replay-frame\" alt=\"replay frame\">"
            "<p id=\"replay-caption\"></p>"
            f"<script type=\"application/json\" id=\"replay-data\">{data}</script>"
            f"<script>{REPLAY_SCRIPT}</script>")


def _sizes(summary: dict[str, Any]) -> str:
    sizes = [[k, ", ".join(v) if isinstance(v, list | tuple) else str(v)] for k, v in summary["config"].items()]
    steps = [[name, show(t["seconds"], "{:.0f}"), "reused" if t["reused"] else ""]
             for name, t in summary["steps"].items()]
    return ("<h2>Sizes and timings</h2><div class=\"grid\"><div>" + _table(["size", "value"], sizes)
            + "</div><div>" + _table(["step", "seconds", ""], steps) + "</div></div>")


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
    """One line per frame: the start, then each step's functions per pursuer (from the JSONL trace)."""
    captions = ["start"]
    for line in trace.read_text(encoding="utf-8").splitlines():
        step = json.loads(line)
        units: dict[int, list[str]] = {}
        for stage in step["stages"]:
            units.setdefault(stage["unit"], []).append(stage["choice"])
        captions.append(f"step {step['step'] + 1}: " + "; ".join(f"P{u} {' > '.join(c)}" for u, c in units.items()))
    return captions


def _figure(png: bytes, caption: str) -> str:
    text = f"<figcaption class=\"note\">{escape(caption)}</figcaption>" if caption else ""
    return f"<figure><img src=\"{_data_uri(png, 'image/png')}\" alt=\"{escape(caption)}\">{text}</figure>"


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
