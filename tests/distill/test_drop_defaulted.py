"""``train --drop-defaulted``: a teacher LLM's decisions whose reply was unusable twice carry the
stage's default as their label; dropping them trains (and validates) on genuine answers only,
and the run's config says so."""

from __future__ import annotations

import hashlib
import json
import sys

import pytest
from helpers import chat_app, start_server

from logicdistill.agent.factory import AgentOptions
from logicdistill.agent.llm_teacher import LLMTeacherConfig, teacher_config
from logicdistill.distill.data import generate_data, read_data
from logicdistill.distill.train import TrainConfig, train, without_defaulted
from logicdistill.errors import UserInputError
from logicdistill.tasks import make_task

MODEL = "half-usable-teacher"


def half_usable(body: dict) -> str:
    """The last offered name for about half of the prompts, prose for the others (and their retry)."""
    names = body["response_format"]["json_schema"]["schema"]["properties"]["function"]["enum"]
    first = body["messages"][1]["content"]
    if len(body["messages"]) > 2 or hashlib.sha256(first.encode()).digest()[0] % 2:
        return "I would rather not say."
    return json.dumps({"function": names[-1]})


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """Pursuit data (two stages a step, so kd's unit steps can hold a defaulted later stage)."""
    folder = tmp_path_factory.mktemp("labelled")
    server = start_server(chat_app(half_usable, MODEL))
    try:
        llm = LLMTeacherConfig(teacher_config(MODEL, server.url, folder / "store", None), concurrency=2)
        options = AgentOptions(retriever="bm25", demonstrator="llm", llm=llm)
        task = make_task("pursuit", {"max_steps": "6", "maps": "ring,arena", "held_out": "ring"})
        return generate_data(folder / "d.jsonl", 10, task, options=options)
    finally:
        server.stop()


def test_only_the_defaulted_decisions_go_for_ld_and_their_unit_steps_for_kd(labelled):
    header, rows, _ = read_data(labelled)
    defaulted = [r for r in rows if r.label and r.label.defaulted]
    genuine = [r for r in rows if r.label and not r.label.defaulted]
    assert defaulted and genuine and header.labels.defaulted == len(defaulted)
    ld = without_defaulted(rows, "ld")
    assert len(ld) == len(rows) - len(defaulted) and not any(r.label and r.label.defaulted for r in ld)
    assert all(r in ld for r in genuine)  # every genuine answer stays, at any stage
    kd = without_defaulted(rows, "kd")
    tainted = {(r.episode, r.step, r.unit) for r in defaulted}
    assert kd == [r for r in rows if (r.episode, r.step, r.unit) not in tainted]


@pytest.mark.slow
def test_a_run_trained_without_defaulted_labels_records_it(labelled, tmp_path):
    header, rows, _ = read_data(labelled)
    out = tmp_path / "run"
    cfg = TrainConfig(max_examples=4, batch_size=4, val_examples=2, drills=0, drop_defaulted=True, save_steps=1000)
    metrics = train(labelled, out, cfg)
    config = json.loads((out / "config.json").read_text())
    dropped = [r for r in rows if r.split != "test" and r.label and r.label.defaulted]
    assert config["train"]["drop_defaulted"] is True and config["dropped_defaulted"] == len(dropped) > 0
    assert metrics["train_examples"] >= 1


def test_drop_defaulted_needs_teacher_llm_labels_and_is_one_line(tmp_path, monkeypatch, capsys):
    from logicdistill.cli.app import main

    plain = generate_data(tmp_path / "plain.jsonl", 2, make_task("twentyone"), options=AgentOptions(retriever="bm25"))
    with pytest.raises(UserInputError, match="was not labelled by a teacher LLM"):
        train(plain, tmp_path / "run", TrainConfig(drop_defaulted=True))
    argv = ["logicdistill", "train", "--data", str(plain), "--out", str(tmp_path / "run"), "--drop-defaulted"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()
    lines = capsys.readouterr().err.strip().splitlines()
    assert exited.value.code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"error: --drop-defaulted: {plain} was not labelled by a teacher LLM")
    assert not (tmp_path / "run").exists()
