"""Emergency drills: training decisions rewritten as if a made-up rule had come in."""

import pytest
from transformers import AutoTokenizer

from logicdistill.distill.data import DataHeader, DecisionRow
from logicdistill.distill.drills import DRILLS
from logicdistill.distill.examples import make_examples, with_drills
from logicdistill.student.model import default_student_dir
from logicdistill.tasks import get_task, registered

MANUALS = {
    "stick_at_total": "Stick at the total. When to use: the default.",
    "hit_soft_17": "Hit a soft 17. When to use: I hold a soft 17.",
}


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(default_student_dir())


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
        manuals=MANUALS,
    )


def decision(i: int, choice: str, forced: bool = False) -> DecisionRow:
    # stored shuffled: the examples list them in base order (stick_at_total first)
    return DecisionRow(
        episode=i,
        variant="classic",
        split="train",
        step=0,
        unit=0,
        stage="decide",
        state_text=f"hand {i}",
        candidates=["hit_soft_17", "stick_at_total"],
        previews=["hit", "stick"],
        choice=choice,
        forced=forced,
        action="stick",
    )


def test_a_drill_puts_a_new_default_first_and_takes_the_answers_the_old_default_had(tokenizer):
    rows = [decision(i, "stick_at_total" if i % 2 else "hit_soft_17") for i in range(200)]
    plain = make_examples(header(), rows + [decision(0, "stick_at_total", True)], tokenizer, "ld")
    drilled = with_drills(plain, [], header(), tokenizer, share=1.0, seed=0)
    assert len(plain) == len(drilled) == 200  # forced decisions are never plain examples
    names = {d.name: d for d in DRILLS}
    bitten = 0
    for before, after in zip(plain, drilled):
        drill = names[after.candidates[0]]
        assert before.candidates == ["stick_at_total", "hit_soft_17"] and before.outcomes == ["stick", "hit"]
        assert f"New rule: {drill.rule}" in after.prompt.head and drill.manual in after.prompt.head
        assert "the default while the" in drill.manual
        if after.outcomes[0] == drill.action:  # it bites: the new default acts unlike every old function
            assert before.answer == "stick_at_total" and after.answer == drill.name
            assert after.candidates[1:] == before.candidates and after.outcomes[1:] == before.outcomes
            bitten += 1
            continue
        # it acts as the old default, which leaves the listing as the loop merges functions that act alike
        assert after.candidates[1:] == ["hit_soft_17"] and after.outcomes == ["stick", "hit"]
        # where the teacher kept the old default the new one takes over; a deviation stands
        assert after.answer == (drill.name if before.answer == "stick_at_total" else "hit_soft_17")
    assert 30 < bitten < 70  # the rule bites in about half of them


def test_half_the_drills_ask_where_the_old_candidates_all_agreed_and_the_rule_bites(tokenizer):
    """At 21 Points' surrender every old function hits a hard 16 against a 10: the student was
    never asked there, and that is where the new default changes the action."""
    asked = make_examples(header(), [decision(i, "hit_soft_17") for i in range(100)], tokenizer, "ld")
    agreed = [decision(1000 + i, "stick_at_total", forced=True) for i in range(5)]
    agreed = [r.model_copy(update={"previews": ["hit", "hit"]}) for r in agreed]
    drilled = with_drills(asked, agreed, header(), tokenizer, share=1.0, seed=0)
    from_agreed = [e for e in drilled if e.source in agreed]
    assert 30 < len(from_agreed) < 70
    for e in from_agreed:
        assert e.answer == e.candidates[0] and e.outcomes == [names_action(e), "hit", "hit"]
    # data written before drills has no previews for forced decisions: those are not used
    without = [r.model_copy(update={"previews": []}) for r in agreed]
    assert all(e.source not in without for e in with_drills(asked, without, header(), tokenizer, 1.0, 0))


def names_action(example) -> str:
    return next(d.action for d in DRILLS if d.name == example.candidates[0])


def test_drills_leave_the_rest_alone_and_are_seeded(tokenizer):
    rows = [decision(i, "stick_at_total") for i in range(100)]
    plain = make_examples(header(), rows, tokenizer, "ld")
    assert with_drills(plain, [], header(), tokenizer, share=0.0, seed=0) == plain
    quarter = with_drills(plain, [], header(), tokenizer, share=0.25, seed=3)
    assert 10 < sum(e.candidates[0] != "stick_at_total" for e in quarter) < 40
    assert quarter == with_drills(plain, [], header(), tokenizer, share=0.25, seed=3)
    kd = make_examples(header(), rows, tokenizer, "kd")  # kd answers actions: nothing to drill
    assert with_drills(kd, [], header(), tokenizer, share=1.0, seed=0) == kd


def test_drills_are_unlike_the_emergencies_the_student_is_measured_on():
    tasks = [get_task(name) for name in registered()]
    shipped = [s for task in tasks for s in task.emergencies]
    actions = {a for task in tasks for s in task.emergencies for a in task.under_rule(s).actions}
    assert "surrender" in actions
    for drill in DRILLS:
        assert drill.action not in actions
        assert all(s.name not in drill.name and s.rule != drill.rule for s in shipped)


def test_at_a_stage_before_the_action_half_the_drills_show_an_ordinary_result_no_listed_candidate_returns(tokenizer):
    """A real new function at an intermediate stage returns ordinary results (pursuit's goals), not
    the drill's word: half the drills there show one, drawn from the stage's other decisions."""
    two = header().model_copy(
        update={
            "stage_lines": {"estimate": "Stage estimate", "decide": "Stage decide"},
            "manuals": {
                "stand_on_17": "Stand on 17. When to use: the default.",
                "stand_on_15": "Stand on 15. When to use: a weak dealer.",
                **MANUALS,
            },
        }
    )
    rows = [
        decision(i, "stand_on_17" if i % 2 else "stand_on_15").model_copy(
            update={
                "stage": "estimate",
                "candidates": ["stand_on_15", "stand_on_17"],
                "previews": [("14", "15", "16", "18", "19")[i % 5], "17"],
            }
        )
        for i in range(200)
    ]
    seen = {p for r in rows for p in r.previews}
    drilled = with_drills(make_examples(two, rows, tokenizer, "ld"), [], two, tokenizer, share=1.0, seed=0)
    ordinary = 0
    for row, ex in zip(rows, drilled):
        drill = next(d for d in DRILLS if d.name == ex.candidates[0])
        own, rest = ex.outcomes[0], ex.outcomes[1:]
        assert own not in rest  # it never looks like another listed candidate
        if own in (drill.action, "17"):  # the word where it bites, the old default's result where it acts alike
            continue
        assert own in seen and own not in row.previews
        ordinary += 1
    assert 60 < ordinary < 140
    # the last stage's drills are drawn exactly as in a task of that stage alone
    last = [decision(i, "stick_at_total" if i % 2 else "hit_soft_17") for i in range(50)]
    drawn = [
        [
            (e.candidates, e.answer, e.outcomes)
            for e in with_drills(make_examples(h, last, tokenizer, "ld"), [], h, tokenizer, 1.0, 0)
        ]
        for h in (two, header())
    ]
    assert drawn[0] == drawn[1]
