"""The demo's resumable steps, with real cheap steps (21 Points teacher data and evaluation): a
finished step is reused untouched, other sizes are refused, ``clear`` removes only the demo's files.
The steps know no task: one named by file reference runs the same way."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from logicdistill.demo.pipeline import DemoConfig, DemoTask, Layout, clear, data_step, eval_step, plan, run_steps
from logicdistill.distill.data import generate_data, read_data
from logicdistill.errors import UserInputError
from logicdistill.tasks import get_task

HANDS = DemoTask("twentyone", data_episodes=40, eval_episodes=20, agents=("teacher",))
CONFIG = DemoConfig(tasks=(HANDS,), accuracy_examples=20)
TINY = f"{Path(__file__).parents[1] / 'tasks' / 'fixtures' / 'tiny_task.py'}:TinyTask"


def cheap_steps(layout, config=CONFIG):
    planned = plan(config)[0]
    return [data_step(layout, planned), eval_step(layout, planned, "teacher", config)]


def test_steps_run_once_then_are_reused(tmp_path):
    layout, events = Layout(tmp_path), []
    first = run_steps(cheap_steps(layout), layout, CONFIG, lambda *event: events.append(event))
    assert [t["reused"] for t in first.values()] == [False, False]
    assert len(read_data(layout.data("twentyone"))[2]) == 40
    summary = json.loads(layout.eval("twentyone", "teacher").read_text())
    assert summary["regret"] == pytest.approx(0, abs=1e-9)  # the teacher plays the exact optimum
    assert summary["episodes"] == 20
    assert events[-1][:3] == ("twentyone: eval teacher", 20, 20)
    stamps = {p: p.stat().st_mtime_ns for s in cheap_steps(layout) for p in s.outputs if p.is_file()}

    events.clear()
    again = run_steps(cheap_steps(layout), layout, CONFIG, lambda *event: events.append(event))
    assert [t["reused"] for t in again.values()] == [True, True]
    assert [t["seconds"] for t in again.values()] == [t["seconds"] for t in first.values()]  # from the ledger
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert [e[3] for e in events] == ["reused", "reused"]


def test_a_partial_data_file_is_not_done_and_resumes(tmp_path):
    layout = Layout(tmp_path)
    generate_data(layout.data("twentyone"), 15, get_task("twentyone"))
    step = cheap_steps(layout)[0]
    assert not step.done()
    run_steps([step], layout, CONFIG)
    episodes = read_data(layout.data("twentyone"))[2]
    assert [e.episode for e in episodes] == list(range(40))


def test_other_sizes_are_refused(tmp_path):
    layout = Layout(tmp_path)
    run_steps(cheap_steps(layout)[:1], layout, CONFIG)
    other = replace(CONFIG, tasks=(replace(HANDS, data_episodes=41),))
    with pytest.raises(UserInputError, match=r"other sizes \(twentyone\.data_episodes\).*--fresh"):
        run_steps(cheap_steps(layout, other), layout, other)


def test_clear_removes_the_demo_files_only(tmp_path):
    layout = Layout(tmp_path)
    run_steps(cheap_steps(layout), layout, CONFIG)
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me")
    clear(cheap_steps(layout), layout)
    assert not layout.ledger.exists() and not (tmp_path / "twentyone" / "data.jsonl").exists()
    assert not layout.eval("twentyone", "teacher").exists()
    assert mine.read_text() == "keep me"
    assert [t["reused"] for t in run_steps(cheap_steps(layout), layout, CONFIG).values()] == [False, False]


def test_a_task_named_by_file_reference_runs_the_same_steps(tmp_path):
    config = DemoConfig(tasks=(DemoTask(TINY, data_episodes=4, eval_episodes=2, agents=("teacher", "stay")),))
    planned = plan(config)[0]
    layout = Layout(tmp_path)
    steps = [data_step(layout, planned), *(eval_step(layout, planned, a, config) for a in ("teacher", "stay"))]
    run_steps(steps, layout, config)
    summary = json.loads(layout.eval("tiny", "stay").read_text())
    assert summary["task"] == "tiny" and [e["variant"] for e in summary["per_episode"]] == ["long", "long"]


@pytest.mark.parametrize(
    "entry, message",
    [
        (DemoTask("twentyone", agents=("teacher", "wizard")), "unknown demo agents for twentyone: wizard"),
        (DemoTask("twentyone", emergency="lava"), "unknown twentyone emergency 'lava'"),
        (DemoTask("twentyone", settings=("bogus=1",)), "has no setting 'bogus'"),
        (DemoTask("chess"), "unknown task 'chess'"),
    ],
)
def test_a_bad_entry_fails_before_any_step(entry, message):
    with pytest.raises(UserInputError, match=message):
        plan(DemoConfig(tasks=(entry,)))


def test_sizes_below_one_are_refused():
    with pytest.raises(UserInputError, match="data_episodes"):
        DemoTask("twentyone", data_episodes=0)


@pytest.mark.parametrize(
    "ledger, message",
    [
        ("{not json", "cannot read"),
        ('{"format": "something-else"}', "is not a logicdistill-demo/3 file"),
    ],
)
def test_cli_demo_reports_a_damaged_folder_in_one_line(tmp_path, ledger, message):
    (tmp_path / "demo.json").write_text(ledger)
    run = subprocess.run(
        [sys.executable, "-m", "logicdistill", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2
    assert run.stderr.strip().startswith("error:") and len(run.stderr.strip().splitlines()) == 1
    assert message in run.stderr and "--fresh" in run.stderr
