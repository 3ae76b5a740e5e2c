"""The demo report, rendered from a small summary and small real artefacts (a 21 Points policy grid,
a learning curve, a short teacher replay of pursuit): its content, that it is self-contained, and
that a real headless browser (Debian's ``chromium``, installed by `make chromium`) loads it, runs
its script without errors and draws a page that is not blank."""

import shutil
import subprocess
from dataclasses import asdict

import pytest
from PIL import Image

from logicdistill.agent.factory import AgentOptions
from logicdistill.demo.pipeline import DemoConfig, Layout
from logicdistill.demo.report import render_report, replay_captions, write_report
from logicdistill.demo.summary import comparison
from logicdistill.distill.train import plot_learning_curve
from logicdistill.evaluation.run import play, write_trace
from logicdistill.tasks.pursuit.env import PursuitConfig
from logicdistill.tasks.pursuit.render import save_replay
from logicdistill.tasks.twentyone.exact import optimal_policy
from logicdistill.tasks.twentyone.plots import plot_policy

AGENTS = {"teacher": (1.0, 0.0), "ld": (0.5, 0.0327), "greedy": (0.0, None)}  # pursuit success, 21 regret


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    """A demo folder holding real artefacts, and a summary of the shape ``build_summary`` writes."""
    layout = Layout(tmp_path_factory.mktemp("demo"))
    root = layout.root
    policy = dict(optimal_policy("classic"))
    policy[(16, 10, 0)] = 1 - policy[(16, 10, 0)]  # one mistake, marked red on the grid
    plot_policy(policy, layout.eval("twentyone", "ld", ".png"), title="ld")
    plot_policy(optimal_policy("classic"), layout.eval("twentyone", "teacher", ".png"), title="teacher")
    train = {}
    for mode in ("ld", "kd"):
        metrics = {"mode": mode, "loss": [{"step": s, "loss": 2.0 / s} for s in range(1, 6)],
                   "validation": [{"step": 5, "val_exact": 0.8}]}
        layout.run("pursuit", mode).mkdir(parents=True)
        plot_learning_curve(metrics, layout.run("pursuit", mode) / "learning_curve.png")
        train[mode] = {"train_examples": 40, "steps": 5, "train_seconds": 21.0, "val_examples": 10,
                       "val_accuracy": 0.8, "val_balanced_accuracy": 0.5,
                       "learning_curve": f"pursuit/{mode}/learning_curve.png"}
    game = PursuitConfig(map="ring", max_steps=8)
    result = play("teacher", game, 2, AgentOptions(retriever="bm25"))
    save_replay(result.states, layout.replay(".gif"))
    write_trace(layout.replay(".jsonl"), result)
    data = {"episodes": 3, "teacher_success": 1.0, "decisions": 270, "forced": 27, "held_out": ["courtyard"],
            "path": "pursuit/data.jsonl"}
    summary = {
        "format": "logicdistill-demo-summary/1",
        "config": asdict(DemoConfig()),
        "tasks": {
            "pursuit": {"data": data, "train": train,
                        "agents": {a: {"success_rate": s, "mean_steps": 30.0, "selection_accuracy": None,
                                       "decision_ms_median": 12.5} for a, (s, _) in AGENTS.items()}},
            "twentyone": {"data": {**data, "held_out": []}, "train": train,
                          "agents": {a: {"regret": r, "policy_agreement": 1.0 - r, "selection_accuracy": 0.9,
                                         "decision_ms_median": 3.0, "disagreements": int(r > 0),
                                         "policy_grid": f"twentyone/eval/{a}.png"}
                                     for a, (_, r) in AGENTS.items() if r is not None}},
        },
        "emergency": {"task": "twentyone", "scenario": "surrender", "rule": "You may surrender <half the bet>.",
                      "metric": "regret", "retrained": False, "base_version": 2,
                      "added_functions": [{"name": "surrender_hopeless_hand", "stage": "decide",
                                           "provenance": "reference"}],
                      "new_function_choices": {"surrender_hopeless_hand": {"selected": 3, "forced": 9}},
                      "agents": {"ld": {"normal": 0.03, "before": 0.04, "after": 0.01},
                                 "teacher": {"normal": 0.0, "before": 0.0085, "after": 0.0}}},
        "replay": {"agent": "teacher", "map": "ring", "seed": 2, "max_steps": 8, "success": result.success,
                   "steps": result.steps, "captures": result.captures, "gif": "pursuit/replay.gif",
                   "trace": "pursuit/replay.jsonl"},
        "steps": {"pursuit: teacher data": {"seconds": 30.0, "reused": False},
                  "pursuit: train ld": {"seconds": None, "reused": True}},
        "total_seconds": 30.0,
        "cpu_count": 2,
    }
    return layout, summary, len(result.states)


def test_report_shows_every_agent_and_section(demo_folder):
    layout, summary, frames = demo_folder
    html = render_report(summary, layout.root)
    for agent in AGENTS:
        assert f"<tr><td>{agent}</td>" in html
    for heading in ("All agents", "Training: the learning curves", "every policy against the optimum",
                    "Emergency: surrender", "Replay: teacher on ring", "Sizes and timings"):
        assert heading in html
    assert "&lt;half the bet&gt;" in html  # text from the summary is escaped
    # 3 charts + 2 learning curves per task + 2 policy grids + the emergency chart, each inline
    assert html.count('<img src="data:image/png;base64,') == 3 + 4 + 2 + 1
    assert html.count("data:image/png;base64,") == 10 + frames  # and every replay frame


def test_report_is_self_contained(demo_folder):
    layout, summary, _ = demo_folder
    html = render_report(summary, layout.root)
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and " src=\"/" not in html and "file:" not in html


def test_comparison_marks_what_an_agent_was_not_measured_on(demo_folder):
    _, summary, _ = demo_folder
    columns, rows = comparison(summary)
    assert [task for task, _ in columns] == ["pursuit"] * 4 + ["twentyone"] * 4
    by_agent = {row[0]: row[1:] for row in rows}
    assert by_agent["greedy"][:2] == ["0%", "30.0"] and by_agent["greedy"][4:] == ["-"] * 4
    assert by_agent["ld"][0] == "50%" and by_agent["ld"][4] == "0.0327"


def test_replay_captions_name_each_pursuers_functions(demo_folder):
    layout, summary, frames = demo_folder
    captions = replay_captions(layout.replay(".jsonl"))
    assert len(captions) == frames and captions[0] == "start"
    assert captions[1].startswith("step 1: P0 ") and captions[1].count(" > ") == 2 * 3  # 3 stages, 3 pursuers


def test_report_opens_in_a_headless_browser(demo_folder, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed; `make chromium` installs Debian's package")
    layout, summary, frames = demo_folder
    page = write_report(summary, layout.root, tmp_path / "report.html")
    shot = tmp_path / "screenshot.png"
    common = [chromium, "--headless", "--disable-gpu", "--no-sandbox", f"--user-data-dir={tmp_path / 'profile'}",
              "--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Uncaught" not in dom.stderr, dom.stderr[-2000:]
    assert f'data-replay-frames="{frames}"' in dom.stdout  # the replay script ran to its end
    drawn = subprocess.run([*common, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()],
                           capture_output=True, text=True, timeout=120)
    assert drawn.returncode == 0 and shot.is_file(), drawn.stderr[-2000:]
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        white = sum(n for n, c in colours if c == (255, 255, 255))
        assert len(colours) > 50  # text, tables and charts, not an empty page
        assert white < 0.9 * rgb.width * rgb.height
