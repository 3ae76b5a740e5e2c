"""Drawing the training budget, accuracy measures and batches that share a prompt head."""

from collections import Counter

import pytest

from logicdistill.distill.examples import Example, accuracy, draw
from logicdistill.distill.train import collate, head_batches
from logicdistill.student.prompts import Prompt


def example(i: int, answer: str) -> Example:
    names = ["default", "rare", "rarer"]
    return Example(Prompt("head", f"state {i}"), names, answer, ["a", "b", "a"])


@pytest.fixture
def skewed():
    """80 decisions where the teacher keeps the default, 16 and 4 where it does not."""
    return (
        [example(i, "default") for i in range(80)]
        + [example(i, "rare") for i in range(16)]
        + [example(i, "rarer") for i in range(4)]
    )


SQRT = (80**0.5, 16**0.5, 4**0.5)  # balance 0.5: shares go as the square roots of the counts


@pytest.mark.parametrize(
    "balance, shares",
    [(0.0, (0.80, 0.16, 0.04)), (0.5, tuple(x / sum(SQRT) for x in SQRT)), (1.0, (1 / 3, 1 / 3, 1 / 3))],
)
def test_draw_gives_each_answer_a_share_tempered_by_balance(skewed, balance, shares):
    drawn = draw(skewed, 6000, balance, seed=0)
    counts = Counter(e.answer for e in drawn)
    assert len(drawn) == 6000
    for answer, share in zip(["default", "rare", "rarer"], shares):
        assert counts[answer] / 6000 == pytest.approx(share, abs=0.02)


def test_answers_are_balanced_within_each_set_of_offered_candidates():
    """A function offered in 20 decisions and chosen in 10 of them must not be drawn as if it were
    the answer wherever it is offered: the default's 10 answers beside it weigh as much, however
    often the default is answered where that function is not offered (80 decisions)."""
    pair = [
        Example(Prompt("pair", f"s{i}"), ["default", "rare"], "rare" if i % 2 else "default", ["a", "b"])
        for i in range(20)
    ]
    alone = [Example(Prompt("other", f"t{i}"), ["default", "other"], "default", ["a", "b"]) for i in range(80)]
    drawn = draw(pair + alone, 8000, 1.0, seed=0)
    beside_rare = Counter(e.answer for e in drawn if e.prompt.head == "pair")
    assert beside_rare["default"] / beside_rare["rare"] == pytest.approx(1.0, abs=0.1)
    assert sum(e.prompt.head == "other" for e in drawn) / 8000 == pytest.approx(1 / 3, abs=0.03)


def test_draw_is_seeded_and_handles_no_examples(skewed):
    assert draw(skewed, 50, 0.5, seed=1) == draw(skewed, 50, 0.5, seed=1)
    assert draw([], 50, 0.5, seed=1) == []


def test_balanced_accuracy_exposes_a_student_that_always_gives_the_default(skewed):
    always_default = accuracy(skewed, ["default"] * len(skewed))
    assert always_default["exact"] == pytest.approx(0.8)
    assert always_default["balanced"] == pytest.approx(1 / 3)
    # "rarer" and "default" yield the same outcome ("a") here: equivalent, not exact
    assert accuracy(skewed[-4:], ["default"] * 4) == {"exact": 0.0, "equivalent": 1.0, "balanced": 0.0, "n": 4}


def row(head: list[int], tail: int) -> dict:
    """A tail and one fed answer token; the answer parts from its rivals at the first token (read
    one column before the end: tokens 7, 8 or 9) and again after it (the last column)."""
    return {
        "head": head,
        "input_ids": list(range(10, 10 + tail)) + [7],
        "branches": [(1, (7, 8, 9), 0), (0, (3, 4), 1)],
    }


def test_head_batches_share_a_head_and_cover_every_row_once():
    rows = [row([1, 2, 3], n) for n in (3, 5, 4, 6, 2)] + [row([1, 2], n) for n in (4, 3)]
    batches = head_batches(rows, batch_size=2, seed=0)
    assert sorted(len(b) for b in batches) == [1, 2, 2, 2]
    assert all(len({tuple(r["head"]) for r in b}) == 1 for b in batches)
    assert sorted(id(r) for b in batches for r in b) == sorted(id(r) for r in rows)


def test_collate_left_pads_tails_after_the_head():
    batch = collate([[row([1, 2, 3], 2), row([1, 2, 3], 4)]], pad_id=0)
    assert batch["head_ids"].tolist() == [1, 2, 3]
    assert batch["input_ids"].tolist() == [[0, 0, 10, 11, 7], [10, 11, 12, 13, 7]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0, 0, 1, 1, 1], [1] * 8]
    assert batch["position_ids"].tolist() == [[0, 0, 3, 4, 5], [3, 4, 5, 6, 7]]
    assert batch["branch_row"].tolist() == [0, 0, 1, 1] and batch["branch_back"].tolist() == [1, 0, 1, 0]
    assert batch["branch_tokens"] == [(7, 8, 9), (3, 4)] * 2 and batch["branch_own"].tolist() == [0, 1, 0, 1]
