"""The real console script, run as a subprocess: outputs, files and clean errors."""

import json
import subprocess
import sys

import pytest
from PIL import Image


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "logicdistill", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_play_writes_replay_and_trace(tmp_path):
    gif, trace = tmp_path / "replay.gif", tmp_path / "trace.jsonl"
    run = cli("play", "--agent", "random", "--retriever", "bm25", "--map", "ring", "--seed", "2",
              "--max-steps", "12", "--render", str(gif), "--trace", str(trace))
    assert run.returncode == 0, run.stderr
    assert "ring seed 2" in run.stdout
    steps = [json.loads(line) for line in trace.read_text().splitlines()]
    with Image.open(gif) as img:
        assert img.n_frames == len(steps) + 1  # the start plus one frame per step
    assert {s["stage"] for s in steps[0]["stages"]} == {"target", "strategy", "move"}


def test_eval_json_has_the_documented_keys(tmp_path):
    out = tmp_path / "eval.json"
    run = cli("eval", "--agent", "greedy", "--episodes", "4", "--map", "ring", "--map", "arena",
              "--evader", "greedy", "--json", str(out))
    assert run.returncode == 0, run.stderr
    summary = json.loads(out.read_text())
    assert {"success_rate", "mean_steps", "episodes", "agent", "task"} <= set(summary)
    assert summary["episodes"] == 4 and summary["agent"] == "greedy" and summary["task"] == "pursuit"
    assert [e["map"] for e in summary["per_episode"]] == ["ring", "arena", "ring", "arena"]
    assert 0.0 <= summary["success_rate"] <= 1.0


def test_eval_is_reproducible_from_its_seed(tmp_path):
    runs = []
    for name in ("a.json", "b.json"):
        assert cli("eval", "--agent", "greedy", "--episodes", "3", "--map", "pillars", "--seed", "5",
                   "--json", str(tmp_path / name)).returncode == 0
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
        (("play", "--map", "no/such/map.txt"), "map file not found"),
        (("play", "--agent", "wizard", "--map", "ring"), "unknown agent 'wizard'"),
        (("play", "--evader", "llm", "--map", "ring"), "needs --evader-model"),
        (("eval", "--episodes", "0"), "--episodes must be at least 1"),
        (("base", "show", "/nonexistent/base"), "function base not found"),
        (("play", "--task", "chess"), "unknown task 'chess'"),
        (("eval", "--task", "twentyone", "--rules", "vegas", "--retriever", "bm25"), "unknown 21 Points rule set"),
        (("eval", "--task", "twentyone", "--env", "casino", "--retriever", "bm25"), "unknown 21 Points environment"),
        (("eval", "--task", "twentyone", "--agent", "greedy"), "exists for pursuit only"),
        (("train", "--data", "d.jsonl", "--out", "r", "--balance", "2"), "--balance must be between 0 and 1"),
        (("train", "--data", "d.jsonl", "--out", "r", "--drills", "-0.5"), "--drills must be between 0 and 1"),
        (("train", "--data", "d.jsonl", "--out", "r", "--learning-rate", "0"), "--learning-rate must be positive"),
        (("data", "--out", "d.jsonl", "--min-gain", "-1"), "--min-gain must not be negative"),
    ],
)
def test_bad_input_is_one_clear_line_not_a_traceback(args, message):
    run = cli(*args)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_bad_map_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("#####\n#P.E#\n#.x.#\n#####\n")
    run = cli("play", "--map", str(bad))
    assert run.returncode == 2
    assert f"{bad}:3:3" in run.stderr and "Traceback" not in run.stderr


def test_unreachable_evader_model_is_a_clear_error():
    run = cli("play", "--map", "ring", "--evader", "llm", "--evader-model", "m",
              "--evader-base-url", "http://127.0.0.1:9/v1")
    assert run.returncode == 2
    assert "cannot reach the evader model endpoint" in run.stderr and "Traceback" not in run.stderr


def test_twentyone_eval_in_gymnasium_writes_the_documented_keys(tmp_path):
    out = tmp_path / "hands.json"
    run = cli("eval", "--task", "twentyone", "--agent", "teacher", "--retriever", "bm25", "--env", "gymnasium",
              "--rules", "natural", "--hands", "3000", "--json", str(out))
    assert run.returncode == 0, run.stderr
    summary = json.loads(out.read_text())
    keys = {"expected_return_exact", "optimal_return", "regret", "mc_return", "mc_hands", "policy_agreement", "rules"}
    assert keys <= set(summary)
    assert summary["rules"] == "natural" and summary["env"] == "gymnasium" and summary["mc_hands"] == 3000
    assert summary["regret"] < 0.002 and summary["policy_agreement"] == 1.0
    assert abs(summary["mc_return"] - summary["expected_return_exact"]) < 4 * summary["mc_stderr"]


def test_twentyone_play_shows_the_hand(tmp_path):
    run = cli("play", "--task", "twentyone", "--agent", "teacher", "--retriever", "bm25", "--seed", "2",
              "--env", "gymnasium")  # Gymnasium deals the same cards as ours for a seed
    assert run.returncode == 0, run.stderr
    assert "hand 6 hard, dealer shows 10" in run.stdout and "reward +1" in run.stdout


def test_data_records_the_tasks_default_number_of_episodes(tmp_path):
    from logicdistill.tasks import get_task

    out = tmp_path / "hands.jsonl"
    run = cli("data", "--task", "twentyone", "--out", str(out))
    assert run.returncode == 0, run.stderr
    hands = [line for line in out.read_text().splitlines() if '"kind":"episode"' in line]
    assert len(hands) == get_task("twentyone").data_episodes == 1500
    assert "1500 episodes of twentyone" in run.stdout


def test_emergency_measures_the_chosen_teacher(tmp_path):
    common = ("--agent", "teacher", "--demonstrator", "when", "--map", "ring", "--episodes", "1", "--seed", "2",
              "--retriever", "bm25")
    run = cli("emergency", "--scenario", "box_in", *common, "--base-out", str(tmp_path / "base"),
              "--json", str(tmp_path / "emergency.json"))
    assert run.returncode == 0, run.stderr
    played = cli("eval", *common, "--json", str(tmp_path / "eval.json"))
    assert played.returncode == 0, played.stderr
    report, alone = (json.loads((tmp_path / f).read_text()) for f in ("emergency.json", "eval.json"))
    assert report["demonstrator"] == "when"
    for key in ("success_rate", "mean_steps", "function_choices"):  # its normal phase is that teacher's own game
        assert report["normal"][key] == alone[key]
    bad = cli("emergency", "--scenario", "box_in", *common[:2], "--demonstrator", "bogus", "--map", "ring",
              "--base-out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "no 'bogus' teacher" in bad.stderr + bad.stdout and "Traceback" not in bad.stderr
