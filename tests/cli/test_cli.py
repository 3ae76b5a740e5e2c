"""The real console script, run as a subprocess: outputs, files and clean errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

TINY = f"{Path(__file__).parents[1] / 'tasks' / 'fixtures' / 'tiny_task.py'}:TinyTask"  # a task no module names


def cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "logicdistill", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_play_writes_replay_and_trace(tmp_path):
    gif, trace = tmp_path / "replay.gif", tmp_path / "trace.jsonl"
    run = cli(
        "play",
        "--agent",
        "random",
        "--retriever",
        "bm25",
        "--variant",
        "ring",
        "--seed",
        "2",
        "--set",
        "max_steps=12",
        "--render",
        str(gif),
        "--trace",
        str(trace),
    )
    assert run.returncode == 0, run.stderr
    assert "pursuit ring seed 2" in run.stdout and "steps, return" in run.stdout
    steps = [json.loads(line) for line in trace.read_text().splitlines()]
    with Image.open(gif) as img:
        assert img.n_frames == len(steps) + 1  # the start plus one frame per step
    assert {s["stage"] for s in steps[0]["stages"]} == {"target", "strategy", "move"}


def test_eval_json_has_the_documented_keys(tmp_path):
    out = tmp_path / "eval.json"
    run = cli(
        "eval",
        "--agent",
        "greedy",
        "--episodes",
        "4",
        "--variant",
        "ring",
        "--variant",
        "arena",
        "--set",
        "evader=greedy",
        "--json",
        str(out),
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(out.read_text())
    keys = {
        "task",
        "agent",
        "settings",
        "variants",
        "episodes",
        "success_rate",
        "mean_steps",
        "mean_return",
        "decision_ms_median",
        "decision_ms_p95",
        "selector_calls_share",
        "function_errors",
        "success_rate_by_variant",
        "per_episode",
        "selection_accuracy",
    }
    assert keys <= set(summary)
    assert summary["episodes"] == 4 and summary["agent"] == "greedy" and summary["task"] == "pursuit"
    assert summary["settings"]["evader"] == "greedy"
    assert [e["variant"] for e in summary["per_episode"]] == ["ring", "arena", "ring", "arena"]
    assert "success" in run.stdout and "mean steps" in run.stdout  # the table's columns
    assert 0.0 <= summary["success_rate"] <= 1.0


def test_eval_is_reproducible_from_its_seed(tmp_path):
    runs = []
    for name in ("a.json", "b.json"):
        assert (
            cli(
                "eval",
                "--agent",
                "greedy",
                "--episodes",
                "3",
                "--variant",
                "pillars",
                "--seed",
                "5",
                "--json",
                str(tmp_path / name),
            ).returncode
            == 0
        )
        runs.append(json.loads((tmp_path / name).read_text())["per_episode"])
    assert runs[0] == runs[1]


def test_base_export_show_list_diff(tmp_path):
    root = tmp_path / "base"
    assert cli("base", "export", "--out", str(root)).returncode == 0
    assert cli("base", "export", "--out", str(root)).returncode == 0
    listing = cli("base", "list", str(root))
    assert listing.stdout.count("15 functions") == 2 and "* v0002" in listing.stdout
    shown = cli("base", "show", str(root), "--version", "1")
    assert "intercept_escape_route" in shown.stdout and "stage: move" in shown.stdout
    assert "no differences" in cli("base", "diff", f"{root}@1", "bundled").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("play", "--variant", "no/such/map.txt"), "map file not found"),
        (("play", "--agent", "wizard", "--variant", "ring"), "unknown agent 'wizard'"),
        (("play", "--set", "evader=llm", "--variant", "ring"), "needs"),
        (("eval", "--episodes", "0"), "--episodes must be at least 1"),
        (("base", "show", "/nonexistent/base"), "function base not found"),
        (("play", "--task", "chess"), "unknown task 'chess'"),
        (("play", "--task", "no/such/file.py:Task"), "task file not found"),
        (("play", "--set", "nosuch=1"), "has no setting 'nosuch'"),
        (("play", "--set", "max_steps"), "--set needs NAME=VALUE"),
        (("play", "--set", "max_steps=many"), "must be an integer"),
        (("eval", "--task", "twentyone", "--set", "rules=vegas", "--retriever", "bm25"), "vegas"),
        (("eval", "--task", "twentyone", "--set", "env=casino", "--retriever", "bm25"), "casino"),
        (("eval", "--task", "twentyone", "--agent", "greedy"), "greedy"),
        (("train", "--data", "d.jsonl", "--out", "r", "--balance", "2"), "--balance must be between 0 and 1"),
        (("train", "--data", "d.jsonl", "--out", "r", "--drills", "-0.5"), "--drills must be between 0 and 1"),
        (("train", "--data", "d.jsonl", "--out", "r", "--learning-rate", "0"), "--learning-rate must be positive"),
        (("data", "--out", "d.jsonl", "--min-gain", "-1"), "--min-gain must not be negative"),
    ],
)
def test_bad_input_is_one_clear_line_not_a_traceback(args, message):
    run = cli(*args)
    assert run.returncode == 2
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_bad_map_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("#####\n#P.E#\n#.x.#\n#####\n")
    run = cli("play", "--variant", str(bad))
    assert run.returncode == 2
    assert f"{bad}:3:3" in run.stderr and "Traceback" not in run.stderr


def test_play_takes_any_variant_the_task_accepts():
    run = cli(
        "play",
        "--agent",
        "random",
        "--retriever",
        "bm25",
        "--variant",
        "generated:3:20x20",
        "--set",
        "max_steps=5",
        "--show",
    )
    assert run.returncode == 0, run.stderr
    assert "pursuit generated:3:20x20 seed 0" in run.stdout
    assert run.stdout.count("#") > 40  # the board, drawn as the task shows it


def test_unreachable_evader_model_is_a_clear_error():
    run = cli(
        "play",
        "--variant",
        "ring",
        "--set",
        "evader=llm",
        "--set",
        "evader_model=m",
        "--set",
        "evader_base_url=http://127.0.0.1:9/v1",
    )
    assert run.returncode == 2
    assert "cannot reach the evader model endpoint" in run.stderr and "Traceback" not in run.stderr


def test_twentyone_eval_in_gymnasium_writes_the_tasks_figures(tmp_path):
    out, figures = tmp_path / "hands.json", tmp_path / "figures"
    run = cli(
        "eval",
        "--task",
        "twentyone",
        "--agent",
        "teacher",
        "--retriever",
        "bm25",
        "--set",
        "env=gymnasium",
        "--set",
        "rules=natural",
        "--episodes",
        "50",
        "--figures",
        str(figures),
        "--json",
        str(out),
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(out.read_text())
    keys = {"expected_return_exact", "optimal_return", "regret", "mc_return", "policy_agreement", "settings"}
    assert keys <= set(summary)
    assert summary["settings"]["rules"] == "natural" and summary["settings"]["env"] == "gymnasium"
    assert summary["episodes"] == 50 and len(summary["per_episode"]) == 50
    assert summary["regret"] < 0.002 and summary["policy_agreement"] == 1.0
    assert abs(summary["mc_return"] - summary["expected_return_exact"]) < 4 * summary["mc_stderr"]
    drawn = sorted(figures.iterdir())
    assert drawn and all(str(p) in run.stdout for p in drawn)  # every figure the task drew is named
    assert "regret" in run.stdout  # the task's own metric heads the table


def test_twentyone_play_shows_the_hand(tmp_path):
    run = cli(
        "play",
        "--task",
        "twentyone",
        "--agent",
        "teacher",
        "--retriever",
        "bm25",
        "--seed",
        "2",
        "--set",
        "env=gymnasium",
        "--show",
    )  # Gymnasium deals the same cards as ours for a seed
    assert run.returncode == 0, run.stderr
    assert "you 2+4 = 6 hard, dealer 10" in run.stdout and "success in" in run.stdout
    assert "return +1" in run.stdout


def test_a_task_from_a_file_runs_every_generic_command(tmp_path):
    data, summary = tmp_path / "d.jsonl", tmp_path / "e.json"
    made = cli("data", "--task", TINY, "--episodes", "4", "--retriever", "bm25", "--out", str(data))
    assert made.returncode == 0, made.stderr
    assert "4 episodes of tiny; held out: long" in made.stdout
    run = cli("eval", "--task", TINY, "--agent", "stay", "--episodes", "2", "--json", str(summary))
    assert run.returncode == 0, run.stderr
    assert json.loads(summary.read_text())["task"] == "tiny"
    played = cli("play", "--task", TINY, "--agent", "teacher", "--retriever", "bm25", "--variant", "long", "--show")
    assert played.returncode == 0, played.stderr
    assert "tiny long seed 0:" in played.stdout
    listed = cli("emergency", "--task", TINY, "--list")
    assert listed.returncode == 0 and listed.stdout.split()[0] == "no_left"


def test_a_task_that_cannot_draw_says_so_in_one_line(tmp_path):
    run = cli("play", "--task", TINY, "--agent", "teacher", "--retriever", "bm25", "--render", str(tmp_path / "x.gif"))
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "cannot draw" in run.stderr and "Traceback" not in run.stderr


def test_data_records_the_tasks_default_number_of_episodes(tmp_path):
    from logicdistill.tasks import get_task

    out = tmp_path / "hands.jsonl"
    run = cli("data", "--task", "twentyone", "--out", str(out))
    assert run.returncode == 0, run.stderr
    hands = [line for line in out.read_text().splitlines() if '"kind":"episode"' in line]
    wanted = get_task("twentyone").recipe.data_episodes
    assert len(hands) == wanted
    assert f"{wanted} episodes of twentyone" in run.stdout


def test_a_task_given_as_a_module_reference_runs(tmp_path):
    run = cli(
        "base", "export", "--task", "logicdistill.games.twentyone.task:TwentyOneTask", "--out", str(tmp_path / "base")
    )
    assert run.returncode == 0, run.stderr
    assert "wrote twentyone base v1" in run.stdout


def test_emergency_measures_the_chosen_teacher(tmp_path):
    common = (
        "--agent",
        "teacher",
        "--demonstrator",
        "when",
        "--variant",
        "ring",
        "--episodes",
        "1",
        "--seed",
        "2",
        "--retriever",
        "bm25",
    )
    run = cli(
        "emergency",
        "--scenario",
        "box_in",
        *common,
        "--base-out",
        str(tmp_path / "base"),
        "--json",
        str(tmp_path / "emergency.json"),
    )
    assert run.returncode == 0, run.stderr
    played = cli("eval", *common, "--json", str(tmp_path / "eval.json"))
    assert played.returncode == 0, played.stderr
    report, alone = (json.loads((tmp_path / f).read_text()) for f in ("emergency.json", "eval.json"))
    assert report["demonstrator"] == "when"
    for key in ("success_rate", "mean_steps", "function_choices"):  # its normal phase is that teacher's own game
        assert report["normal"][key] == alone[key]
    bad = cli(
        "emergency",
        "--scenario",
        "box_in",
        *common[:2],
        "--demonstrator",
        "bogus",
        "--variant",
        "ring",
        "--base-out",
        str(tmp_path / "bad"),
    )
    assert bad.returncode == 2 and "no 'bogus' teacher" in bad.stderr + bad.stdout and "Traceback" not in bad.stderr
