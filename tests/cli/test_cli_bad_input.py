"""Malformed input to every command, through the real console script: one line on stderr, exit
code 2, no traceback, and nothing half-written left behind. No case loads a model: every check
comes before one would load.

Families: data files, run folders, numeric options and task settings, variants (pursuit's map
specs), function files, output paths, the option parser itself, and the demo folder. Pipes and
devices stand in for files too: each read must refuse them without blocking (the subprocess
timeout turns a hang into a failure).
"""

import json
import os
import subprocess
import sys

import pytest

from logicdistill.distill.data import DataHeader, DecisionRow, EpisodeRow


def cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "logicdistill", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def assert_one_line_error(run, *fragments):
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2, run.stderr
    assert len(lines) == 1 and lines[0].startswith("error:"), run.stderr
    assert "Traceback" not in run.stderr
    for fragment in fragments:
        assert fragment in run.stderr


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)  # nobody ever writes: opening it blocking would hang the command
    return path


def header() -> DataHeader:
    return DataHeader(
        task="twentyone",
        instruction="Play 21.",
        stage_lines={"decide": "Stage decide: hit or stick"},
        actions=["stick", "hit"],
        retriever="bm25",
        top_k=5,
        seed=0,
        settings={},
        variants=["classic"],
        held_out=[],
        base_fingerprint="x",
        manuals={"always_hit": "Hit.", "always_stick": "Stick."},
    )


def decision(**changes) -> str:
    row = DecisionRow(
        episode=0,
        variant="classic",
        split="train",
        step=0,
        unit=0,
        stage="decide",
        state_text="hand 12",
        candidates=["always_hit", "always_stick"],
        previews=["hit", "stick"],
        choice="always_hit",
        forced=False,
        action="hit",
    )
    return json.dumps({**row.model_dump(), **changes})


def data_file(path, *lines: str | bytes) -> str:
    """A data file with a real header followed by ``lines`` and a complete episode."""
    episode = EpisodeRow(episode=0, variant="classic", seed=0, split="train", success=True, steps=1)
    body = [header().model_dump_json(), *lines, episode.model_dump_json()]
    path.write_bytes(b"\n".join(x if isinstance(x, bytes) else x.encode() for x in body) + b"\n")
    return str(path)


# --- data files: train --data, eval --data ------------------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: data_file(p, b"\xff\xfe not utf-8"), "not UTF-8 text"),
        (lambda p: data_file(p, "[" * 100_000 + "]" * 100_000), "nested too deeply"),
        (lambda p: data_file(p, decision(choice="always_fold")), "choice 'always_fold' is not a candidate"),
        (lambda p: data_file(p, decision(stage="bet")), "unknown stage 'bet'"),
        (
            lambda p: data_file(p, decision(candidates=["mystery"], previews=["hit"], choice="mystery")),
            "'mystery' has no manual",
        ),
        (lambda p: data_file(p, decision(action="split")), "action 'split' is not one of the header's actions"),
        (lambda p: data_file(p, json.dumps([1, 2])), "unknown row kind"),
        (lambda p: data_file(p), "no training examples"),  # header (and an episode) only
        (lambda p: "/dev/zero", "not a regular file"),
    ],
)
def test_train_refuses_bad_data_before_loading_a_model_and_leaves_no_run(tmp_path, make, message):
    out = tmp_path / "run"
    run = cli("train", "--data", make(tmp_path / "data.jsonl"), "--out", out)
    assert_one_line_error(run, message)
    assert not out.exists()


@pytest.mark.parametrize("existing", [False, True])
def test_train_that_fails_after_creating_its_folder_leaves_nothing(tmp_path, existing):
    out = tmp_path / "run"
    if existing:
        out.mkdir()  # an empty folder the user made: kept, and left empty
    run = cli(
        "train",
        "--data",
        data_file(tmp_path / "d.jsonl", decision()),
        "--out",
        out,
        "--student",
        tmp_path / "no-such-model",
    )
    assert_one_line_error(run, "cannot load student model")
    assert (list(out.iterdir()) == []) if existing else not out.exists()


def test_data_file_that_is_a_pipe_is_refused_without_blocking(tmp_path, fifo):
    out = tmp_path / "run"
    assert_one_line_error(cli("train", "--data", fifo, "--out", out), "not a regular file")
    assert not out.exists()


def test_eval_checks_its_data_before_playing(tmp_path):
    summary = tmp_path / "eval.json"
    run = cli(
        "eval",
        "--agent",
        "random",
        "--retriever",
        "bm25",
        "--episodes",
        "1",
        "--variant",
        "ring",
        "--data",
        data_file(tmp_path / "d.jsonl", b"\x80"),
        "--json",
        summary,
    )
    assert_one_line_error(run, "not UTF-8 text")
    assert not summary.exists()


# --- run folders: eval --run, emergency --run/--kd-run, serve --run ----------------------------


def run_folder(root, config=None, adapter_config=None, weights=b"\x00" * 8):
    """A finished-looking run folder whose parts can each be damaged."""
    (root / "adapter").mkdir(parents=True)
    config = (
        {"format": "logicdistill-run/1", "data": "d.jsonl", "train": {"mode": "ld", "student": None}}
        if config is None
        else config
    )
    (root / "config.json").write_bytes(config if isinstance(config, bytes) else json.dumps(config).encode())
    adapter_config = {"peft_type": "LORA", "r": 16} if adapter_config is None else adapter_config
    (root / "adapter" / "adapter_config.json").write_bytes(
        adapter_config if isinstance(adapter_config, bytes) else json.dumps(adapter_config).encode()
    )
    (root / "adapter" / "adapter_model.safetensors").write_bytes(weights)
    return root


@pytest.mark.parametrize(
    "damage, message",
    [
        ({"config": {"format": "logicdistill-run/1", "data": "d.jsonl"}}, "no 'train' section"),
        ({"config": {"format": "logicdistill-run/1", "data": "d.jsonl", "train": {"mode": "xx"}}}, "train.mode"),
        ({"config": b"\xff\xff{}"}, "not UTF-8 text"),
        ({"config": b"[" * 100_000}, "nested too deeply"),
        ({"config": b'{"format": '}, "not valid JSON"),
        ({"adapter_config": b"{broken"}, "not valid JSON"),
        ({"adapter_config": {"peft_type": "PROMPT"}}, "not a LoRA adapter config"),
        ({}, "not a readable safetensors file"),  # the default weights are garbage
    ],
)
def test_damaged_run_folder_is_one_line(tmp_path, damage, message):
    run = run_folder(tmp_path / "run", **damage)
    played = cli("eval", "--agent", "ld", "--run", run, "--retriever", "bm25", "--episodes", "1", "--variant", "ring")
    assert_one_line_error(played, message)


@pytest.mark.parametrize(
    "command",
    [
        ("serve", "--port", "0", "--run"),
        ("emergency", "--scenario", "box_in", "--agent", "teacher", "--retriever", "bm25", "--kd-run"),
        ("play", "--agent", "ld", "--retriever", "bm25", "--variant", "ring", "--run"),
    ],
)
def test_every_command_checks_its_run_folder(tmp_path, command):
    run = run_folder(tmp_path / "run", config=b"\xc3\x28")
    assert_one_line_error(cli(*command, run, cwd=tmp_path), "not UTF-8 text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # emergency wrote no base


def test_run_folder_that_is_a_file(tmp_path):
    (tmp_path / "run").write_text("x")
    assert_one_line_error(cli("serve", "--port", "0", "--run", tmp_path / "run"), "is a file")


# --- numeric options --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, option",
    [
        (("play", "--seed", "-1"), "--seed"),
        (("data", "--out", "d.jsonl", "--seed", "-1"), "--seed"),
        (("train", "--data", "d.jsonl", "--out", "r", "--seed", "-1"), "--seed"),
        (("play", "--seed", str(2**32)), "--seed"),
        (("eval", "--top-k", "0"), "--top-k"),
        (("play", "--set", "max_steps=0"), "step"),  # the task says what its settings need
        (("eval", "--set", "max_steps=-3"), "step"),
        (("eval", "--parallel", "0"), "--parallel"),
        (("eval", "--accuracy-examples", "-1"), "--accuracy-examples"),
        (("train", "--data", "d.jsonl", "--out", "r", "--epochs", "0"), "--epochs"),
        (("train", "--data", "d.jsonl", "--out", "r", "--learning-rate", "inf"), "--learning-rate"),
        (("data", "--out", "d.jsonl", "--min-gain", "nan"), "--min-gain"),
        (("serve", "--port", "70000"), "--port"),
        (("eval", "--episodes", str(10**12)), "--episodes"),  # would allocate a seed per episode
        (("train", "--data", "d.jsonl", "--out", "r", "--max-examples", str(10**12)), "--max-examples"),
        (("base", "show", "--version", "0"), "--version"),
        (("play", "--seed", "seven"), "--seed"),
    ],
)
def test_out_of_range_numbers_are_one_line(tmp_path, args, option):
    assert_one_line_error(cli(*args, cwd=tmp_path), option)
    assert list(tmp_path.iterdir()) == []


# --- variants: a map spec given to pursuit's --variant ------------------------------------------


PLAY = ("play", "--agent", "random", "--retriever", "bm25", "--variant")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("generated:1:5000x5000", "too large"),
        ("generated:1:101x1000000", "too large"),
        ("generated:-1", "must not be negative"),
        ("generated:1:9x9:extra", "bad generated map spec"),
        ("/dev/zero", "not a regular file"),
        ("FIFO", "not a regular file"),
        ("WIDE", "cells wide"),
        ("TALL", "too large"),
        ("BIG", "the most accepted"),
        ("LATIN1", "not UTF-8 text"),
        ("DIR", "is a folder"),
    ],
)
def test_bad_maps_are_one_line(tmp_path, fifo, spec, message):
    files = {"FIFO": fifo, "DIR": tmp_path}
    (tmp_path / "wide.txt").write_text("#" * 500 + "\n")
    (tmp_path / "tall.txt").write_text("#.#\n" * 500)
    (tmp_path / "big.txt").write_text(";" * (1 << 20) + "\n")
    (tmp_path / "latin1.txt").write_bytes("; caf\xe9\n#####\n#...#\n#####\n".encode("latin-1"))
    spec = str(files.get(spec, tmp_path / f"{spec.lower()}.txt")) if spec.isupper() else spec
    assert_one_line_error(cli(*PLAY, spec), message)


@pytest.mark.parametrize(
    "args, message",
    [
        (("eval", "--variant", "no-such-map", "--retriever", "bm25"), "no-such-map"),
        (("emergency", "--scenario", "box_in", "--variant", "no-such-map", "--retriever", "bm25"), "no-such-map"),
    ],
)
def test_unknown_variants_are_one_line(tmp_path, args, message):
    assert_one_line_error(cli(*args, cwd=tmp_path), message)


# --- function files: base add -----------------------------------------------------------------


@pytest.mark.parametrize(
    "source, message",
    [
        ("FIFO", "not a regular file"),
        ("/dev/zero", "not a regular file"),
        ("LATIN1", "not UTF-8 text"),
        ("BIG", "the most accepted"),
        ("MISSING", "function file not found"),
    ],
)
def test_bad_function_files_leave_the_base_untouched(tmp_path, fifo, source, message):
    (tmp_path / "latin1.py").write_bytes(b'STAGE = "strategy"\n# caf\xe9\n')
    (tmp_path / "big.py").write_text("#" * (2 << 20))
    path = {
        "FIFO": fifo,
        "LATIN1": tmp_path / "latin1.py",
        "BIG": tmp_path / "big.py",
        "MISSING": tmp_path / "missing.py",
    }.get(source, source)
    base = tmp_path / "base"
    assert_one_line_error(cli("base", "add", path, "--base", base), message)
    assert not base.exists()


# --- output paths -----------------------------------------------------------------------------


def test_unwritable_outputs_are_refused_before_any_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("keep")
    cases = [
        (("eval", "--agent", "random", "--retriever", "bm25", "--episodes", "1", "--json", tmp_path), "is a folder"),
        (("play", "--agent", "random", "--retriever", "bm25", "--trace", blocker / "t.jsonl"), "is a file"),
        (("data", "--episodes", "1", "--retriever", "bm25", "--out", blocker / "d.jsonl"), "is a file"),
        (("train", "--data", data_file(tmp_path / "d.jsonl", decision()), "--out", blocker), "is a file"),
        (("emergency", "--scenario", "box_in", "--retriever", "bm25", "--base-out", blocker / "b"), "is a file"),
        (("demo", "--out", blocker), "is a file"),
        (("distill", "--task", "twentyone", "--out", blocker), "is a file"),
    ]
    for args, message in cases:
        assert_one_line_error(cli(*args, cwd=tmp_path), message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl", "file"] and blocker.read_text() == "keep"


# --- the option parser and the demo folder ----------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (("play", "--no-such-option"), "No such option"),
        (("plya",), "No such command"),
        (("train",), "Missing option '--data'"),
    ],
)
def test_parser_errors_are_one_line(args, message):
    assert_one_line_error(cli(*args), message)


def test_help_still_works():
    run = cli("play", "--help")
    assert run.returncode == 0 and "--seed" in run.stdout


def test_demo_folder_with_a_damaged_ledger(tmp_path):
    (tmp_path / "pipeline.json").write_bytes(b"\xff{}")
    assert_one_line_error(cli("demo", "--out", tmp_path), "not UTF-8 text", "--fresh")
