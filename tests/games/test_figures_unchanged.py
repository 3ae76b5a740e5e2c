"""The shipped games are ordinary plug-ins now, and their figures are the ones they had when the
toolkit knew them by name: the same teacher decisions (digests of the decision rows recorded
then, with the same seeds and settings) and the same exact evaluation."""

import hashlib

import pytest

from logicdistill.agent.factory import AgentOptions
from logicdistill.distill.data import generate_data, read_data
from logicdistill.evaluation.run import evaluate
from logicdistill.tasks import make_task

pytestmark = pytest.mark.slow
OPTIONS = AgentOptions(retriever="bm25")


def digest(path) -> tuple[str, int]:
    _, rows, _ = read_data(path)
    return hashlib.sha256("\n".join(r.model_dump_json() for r in rows).encode()).hexdigest()[:16], len(rows)


def test_the_pursuit_teachers_decisions_are_unchanged(tmp_path):
    path = generate_data(tmp_path / "p.jsonl", 1, make_task("pursuit", {"max_steps": "40"}), options=OPTIONS)
    assert digest(path) == ("9949fd220a748b8d", 225)


def test_the_twentyone_teachers_decisions_are_unchanged(tmp_path):
    path = generate_data(tmp_path / "h.jsonl", 60, make_task("twentyone"), options=OPTIONS)
    assert digest(path) == ("e399ac5e0ddbb5ed", 186)


def test_the_exact_evaluation_of_a_random_selector_is_unchanged():
    summary = evaluate("random", make_task("twentyone"), 1, 0, OPTIONS)
    assert summary["regret"] == pytest.approx(0.05771135426307358, abs=1e-12)
    assert summary["policy_agreement"] == pytest.approx(0.7892857142857143, abs=1e-12)
