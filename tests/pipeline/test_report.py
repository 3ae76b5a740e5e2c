"""The pipeline's report, rendered from a small summary and small real artefacts (figures a task drew,
a learning curve, a short teacher replay of pursuit): its content, that it is self-contained, and
that a real headless browser (Debian's ``chromium``, installed by `make chromium`) loads it, runs
its script without errors and draws a page that is not blank."""

import shutil
import subprocess
from dataclasses import asdict

import pytest
from PIL import Image

from logicdistill.agent.factory import AgentOptions
from logicdistill.distill.train import plot_learning_curve
from logicdistill.evaluation.run import play, write_trace
from logicdistill.pipeline import DEMO
from logicdistill.pipeline.charts import bars
from logicdistill.pipeline.claims import Claim, check
from logicdistill.pipeline.report import render_report, replay_captions, write_report
from logicdistill.pipeline.steps import Layout, plan, sizes
from logicdistill.pipeline.summary import comparison
from logicdistill.tasks import SUCCESS_RATE, Metric, make_task

CLAIMS = (  # one that fails, one that holds, one whose figure was not measured
    Claim("21 Points: ld regret at most 0.01", "tasks.twentyone.agents.ld.regret", "<=", offset=0.01),
    Claim(
        "pursuit: ld wins half as often as the teacher",
        "tasks.pursuit.agents.ld.success_rate",
        ">=",
        than="tasks.pursuit.agents.teacher.success_rate",
        factor=0.5,
    ),
    Claim(
        "pursuit: ld beats random",
        "tasks.pursuit.agents.ld.success_rate",
        ">",
        than="tasks.pursuit.agents.random.success_rate",
    ),
)
AGENTS = {"teacher": (1.0, 0.0), "ld": (0.5, 0.0327), "greedy": (0.0, None)}  # pursuit success, 21 regret
COMMON = [
    asdict(Metric("selection_accuracy", True, "sel. acc.", "{:.0%}")),
    asdict(Metric("decision_ms_median", False, "ms", "{:.3g}")),
]
PURSUIT_METRICS = [asdict(SUCCESS_RATE), asdict(Metric("mean_steps", False, "steps", "{:.1f}")), *COMMON]
HANDS_METRICS = [
    asdict(Metric("regret", False, "regret", "{:.4f}")),
    asdict(Metric("policy_agreement", True, "optimal", "{:.0%}")),
    *COMMON,
]  # 21 Points' own


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    """A demo folder holding real artefacts, and a summary of the shape ``build_summary`` writes."""
    layout = Layout(tmp_path_factory.mktemp("demo"))
    for agent, (_, regret) in AGENTS.items():  # a figure a task drew of the policy: any PNG will do
        if regret is not None:
            layout.figures("twentyone", agent).mkdir(parents=True)
            (layout.figures("twentyone", agent) / "policy.png").write_bytes(bars({"x": {"a": regret}}, agent, "y"))
    train = {}
    for mode in ("ld", "kd"):
        metrics = {
            "mode": mode,
            "loss": [{"step": s, "loss": 2.0 / s} for s in range(1, 6)],
            "validation": [{"step": 5, "val_exact": 0.8}],
        }
        layout.run("pursuit", mode).mkdir(parents=True)
        plot_learning_curve(metrics, layout.run("pursuit", mode) / "learning_curve.png")
        train[mode] = {
            "train_examples": 40,
            "steps": 5,
            "train_seconds": 21.0,
            "val_examples": 10,
            "val_accuracy": 0.8,
            "val_balanced_accuracy": 0.5,
            "learning_curve": f"pursuit/{mode}/learning_curve.png",
        }
    task = make_task("pursuit", ["max_steps=8"])
    result = play("teacher", task, "ring", 2, AgentOptions(retriever="bm25"))
    task.save_replay(result.states, layout.replay("pursuit", ".gif"))
    write_trace(layout.replay("pursuit", ".jsonl"), result)
    data = {
        "demonstrator": "rollout",
        "episodes": 3,
        "teacher_success": 1.0,
        "decisions": 270,
        "forced": 27,
        "labels": None,
        "path": "pursuit/data.jsonl",
    }
    bundled = {"source": "bundled", "teacher": None, "fingerprint": "0123456789abcdef", "path": None}
    summary = {
        "format": "logicdistill-summary/4",
        "title": "Logic Distillation demo",
        "about": "Demo sizes <small>.",
        "config": sizes(DEMO, plan(DEMO)),
        "tasks": {
            "pursuit": {
                "label": "pursuit",
                "reference": "pursuit",
                "settings": {"max_steps": "8"},
                "eval_variants": ["courtyard"],
                "held_out": True,
                "metrics": PURSUIT_METRICS,
                "base": {**bundled, "functions": {"target": ["nearest_evader"], "move": ["shortest_path_step"]}},
                "data": data,
                "train": train,
                "agents": {
                    a: {
                        "success_rate": s,
                        "mean_steps": 30.0,
                        "selection_accuracy": None,
                        "decision_ms_median": 12.5,
                        "figures": {},
                    }
                    for a, (s, _) in AGENTS.items()
                },
            },
            "twentyone": {
                "label": "21 Points",
                "reference": "twentyone",
                "settings": {"rules": "classic"},
                "eval_variants": ["classic"],
                "held_out": False,
                "metrics": HANDS_METRICS,
                "base": {
                    **bundled,
                    "source": "teacher",
                    "teacher": "big-model",
                    "functions": {"decide": ["stick_at_total"]},
                    "path": "twentyone/base",
                },
                "data": {**data, "demonstrator": "llm"},
                "train": train,
                "agents": {
                    a: {
                        "regret": r,
                        "policy_agreement": 1.0 - r,
                        "selection_accuracy": 0.9,
                        "decision_ms_median": 3.0,
                        "figures": {"policy_grid": f"twentyone/eval/{a}/policy.png"},
                    }
                    for a, (_, r) in AGENTS.items()
                    if r is not None
                },
            },
        },
        "emergencies": [
            {
                "task": "twentyone",
                "label": "21 Points",
                "scenario": "surrender",
                "rule": "You may surrender <half the bet>.",
                "metric": HANDS_METRICS[0],
                "retrained": False,
                "base_version": 2,
                "recovery": 1.0,
                "agent": "ld",
                "added_functions": [{"name": "surrender_hopeless_hand", "stage": "decide", "provenance": "reference"}],
                "new_function_choices": {"surrender_hopeless_hand": {"selected": 3, "forced": 9}},
                "agents": {
                    "ld": {"normal": 0.03, "before": 0.04, "after": 0.01},
                    "teacher": {"normal": 0.0, "before": 0.0085, "after": 0.0},
                },
            }
        ],
        "replay": {
            "task": "pursuit",
            "label": "pursuit",
            "agent": "teacher",
            "variant": "ring",
            "seed": 2,
            "success": result.success,
            "steps": result.steps,
            "return": result.total_reward,
            "gif": "pursuit/replay.gif",
            "trace": "pursuit/replay.jsonl",
        },
        "steps": {
            "pursuit: teacher data": {"seconds": 30.0, "reused": False},
            "pursuit: train ld": {"seconds": None, "reused": True},
        },
        "total_seconds": 30.0,
        "cpu_count": 2,
    }
    summary["claims"] = [check(claim, summary) for claim in CLAIMS]
    return layout, summary, len(result.states)


def test_report_shows_every_agent_and_section(demo_folder):
    layout, summary, frames = demo_folder
    html = render_report(summary, layout.root)
    for agent in AGENTS:
        assert f"<tr><td>{agent}</td>" in html
    for heading in (
        "All agents",
        "Training: the learning curves",
        "The policies as the tasks draw them",
        "Emergency in 21 Points: surrender",
        "Replay: teacher on ring (pursuit)",
        "Sizes and timings",
        "The function bases",
        "written by teacher big-model, verified",
        "21 Points: llm",
        "Logic Distillation demo, end to end",
        "Demo sizes &lt;small&gt;.",
        "pursuit on held-out courtyard",
        "21 Points (classic)",
        "regret (lower is better)",
        "Claims: 1 of 3 hold",
        "<td>21 Points: ld regret at most 0.01</td>"
        '<td class="num">0.0327</td>'
        '<td class="num">&lt;= 0.01</td>'
        '<td class="num">fails</td>',
        "<td>pursuit: ld wins half as often as the teacher</td>"
        '<td class="num">0.5</td>'
        '<td class="num">&gt;= 0.5</td>'
        '<td class="num">holds</td>',
        "<td>pursuit: ld beats random</td>"
        '<td class="num">0.5</td>'
        '<td class="num">&gt; -</td>'
        '<td class="num">unchecked</td>',
    ):
        assert heading in html
    assert "&lt;half the bet&gt;" in html  # text from the summary is escaped
    # 3 charts + 2 learning curves per task + 2 policy figures + the emergency chart, each inline
    assert html.count('<img src="data:image/png;base64,') == 3 + 4 + 2 + 1
    assert html.count("data:image/png;base64,") == 10 + frames  # and every replay frame


def test_each_steps_time_is_shown(demo_folder):
    layout, summary, _ = demo_folder
    html = render_report(summary, layout.root)
    assert '<tr><td>pursuit: teacher data</td><td class="num">30</td>' in html
    assert '<tr><td>pursuit: train ld</td><td class="num">-</td><td class="num">reused</td>' in html
    assert '<tr><td>all steps</td><td class="num">30</td>' in html


def test_a_run_without_students_leaves_training_out(demo_folder):
    layout, summary, _ = demo_folder
    tasks = {k: {**t, "train": {}} for k, t in summary["tasks"].items()}
    html = render_report({**summary, "tasks": tasks}, layout.root)
    assert "All agents" in html and "Training" not in html


def test_a_demo_of_one_task_without_figures_leaves_their_sections_out(demo_folder):
    layout, summary, _ = demo_folder
    config = {k: v for k, v in summary["config"].items() if not k.startswith("twentyone.")}
    alone = {
        **summary,
        "config": config,
        "tasks": {"pursuit": summary["tasks"]["pursuit"]},
        "emergencies": [],
        "replay": None,
        "claims": [],
    }
    html = render_report(alone, layout.root)
    assert "All agents" in html and "21 Points" not in html and "Claims" not in html
    assert "Emergency" not in html and "Replay" not in html and "draw them" not in html
    assert html.count('<img src="data:image/png;base64,') == 2 + 2  # headline and latency charts, ld and kd curves


def test_report_is_self_contained(demo_folder):
    layout, summary, _ = demo_folder
    html = render_report(summary, layout.root)
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and ' src="/' not in html and "file:" not in html


def test_comparison_marks_what_an_agent_was_not_measured_on(demo_folder):
    _, summary, _ = demo_folder
    columns, rows = comparison(summary)
    assert [task for task, _ in columns] == ["pursuit"] * 4 + ["21 Points"] * 4
    assert [label for _, label in columns][:4] == ["success", "steps", "sel. acc.", "ms"]
    by_agent = {row[0]: row[1:] for row in rows}
    assert by_agent["greedy"][:2] == ["0%", "30.0"] and by_agent["greedy"][4:] == ["-"] * 4
    assert by_agent["ld"][0] == "50%" and by_agent["ld"][4] == "0.0327"


def test_replay_captions_name_each_pursuers_functions(demo_folder):
    layout, summary, frames = demo_folder
    captions = replay_captions(layout.replay("pursuit", ".jsonl"))
    assert len(captions) == frames and captions[0] == "start"
    assert captions[1].startswith("step 1: #0 ") and captions[1].count(" > ") == 2 * 3  # 3 stages, 3 pursuers


def test_report_opens_in_a_headless_browser(demo_folder, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed; `make chromium` installs Debian's package")
    layout, summary, frames = demo_folder
    page = write_report(summary, layout.root, tmp_path / "report.html")
    shot = tmp_path / "screenshot.png"
    common = [
        chromium,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=2000",
    ]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Uncaught" not in dom.stderr, dom.stderr[-2000:]
    assert f'data-replay-frames="{frames}"' in dom.stdout  # the replay script ran to its end
    drawn = subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert drawn.returncode == 0 and shot.is_file(), drawn.stderr[-2000:]
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        white = sum(n for n, c in colours if c == (255, 255, 255))
        assert len(colours) > 50  # text, tables and charts, not an empty page
        assert white < 0.9 * rgb.width * rgb.height
