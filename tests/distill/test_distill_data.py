"""Distillation data: what is recorded, how it is split, and resuming after a crash."""

import json

import pytest

from logicdistill.agent.factory import AgentOptions
from logicdistill.distill.data import generate_data, read_data, split_of
from logicdistill.errors import UserInputError
from logicdistill.tasks import get_task, make_task

MAPS = ["ring", "arena", "pillars"]
SOURCE = make_task("pursuit", {"max_steps": "12", "maps": ",".join(MAPS), "held_out": "ring"})
OPTIONS = AgentOptions(retriever="bm25")


def generate(path, episodes, **kw):
    return generate_data(path, episodes, SOURCE, seed=7, options=OPTIONS, **kw)


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "three.jsonl"
    generate(path, 3)
    return path


def test_rows_record_what_the_student_will_see(three):
    header, rows, episodes = read_data(three)
    base = get_task("pursuit").bundled_base()
    assert [e.variant for e in episodes] == MAPS and [e.split for e in episodes] == ["test", "train", "train"]
    assert set(header.manuals) == set(base.names()) and header.actions == ["stay", "up", "down", "left", "right"]
    assert {r.split for r in rows if r.variant == "ring"} == {"test"}
    assert header.settings["evader"] == "smart" and header.settings["max_steps"] == "12"
    assert header.variants == MAPS and header.held_out == ["ring"]
    assert header.task_class == "logicdistill.games.pursuit.task:PursuitTask"  # how train finds its recipe
    for r in rows:
        assert r.choice in r.candidates and len(set(r.candidates)) == len(r.candidates)
        assert {base.get(c).stage for c in r.candidates} == {r.stage}
        assert r.action in header.actions
        assert len(r.previews) == len(r.candidates)  # forced ones too: emergency drills rewrite them
        assert (len(r.candidates) == 1) == r.forced  # candidates that act alike are one: the earliest in the base
        assert all(
            m not in r.candidates and same in r.candidates and base.get(m).stage == r.stage
            for m, same in r.merged.items()
        )  # the others are recorded with the one they act like
    assert any(r.merged for r in rows if not r.forced)
    # the shuffle is real: the teacher's choice is not always listed first
    asked = [r for r in rows if not r.forced]
    assert 0 < sum(r.candidates[0] == r.choice for r in asked) < len(asked)


def test_interrupted_generation_resumes_to_the_same_file(three, tmp_path):
    path = tmp_path / "resumed.jsonl"
    generate(path, 2)
    complete = path.read_text()
    # a crash in the middle of episode 2: some of its rows and a torn line are on disk
    partial = [line for line in three.read_text().splitlines() if '"episode":2' in line][:5]
    path.write_text(complete + "\n".join(partial) + '\n{"kind": "deci')
    seen = []
    generate(path, 3, on_episode=seen.append)
    assert [e.episode for e in seen] == [2]  # only the missing episode was played
    assert path.read_text() == three.read_text()  # deterministic: as if never interrupted


def test_resuming_with_other_settings_is_refused(three, tmp_path):
    path = tmp_path / "copy.jsonl"
    path.write_text(three.read_text())
    with pytest.raises(UserInputError, match="other settings.*seed"):
        generate_data(path, 4, SOURCE, seed=8, options=OPTIONS)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda lines: lines[:2] + ["{not json"] + lines[2:], r":3: not valid JSON"),
        (lambda lines: lines[:1] + [json.dumps({"kind": "mystery"})] + lines[1:], r":2: unknown row kind 'mystery'"),
        (lambda lines: [json.dumps({"kind": "header", "format": "other"})] + lines[1:], "is not a logicdistill-data/2"),
    ],
)
def test_damaged_data_is_a_clear_error(three, tmp_path, damage, message):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(damage(three.read_text().splitlines())) + "\n")
    with pytest.raises(UserInputError, match=message):
        read_data(path)


def test_missing_data_file(tmp_path):
    with pytest.raises(UserInputError, match="data file not found"):
        read_data(tmp_path / "nope.jsonl")


def test_twentyone_hands_are_recorded_with_the_rule_set_and_every_fifth_hand_tested(tmp_path):
    path = generate_data(
        tmp_path / "hands.jsonl", 10, make_task("twentyone", {"rules": "natural"}), seed=3, options=OPTIONS
    )
    header, rows, episodes = read_data(path)
    assert header.task == "twentyone" and header.settings == {"rules": "natural", "env": "ours"}
    assert [e.split for e in episodes] == ["train", "train", "train", "test", "val"] * 2
    assert {r.stage for r in rows} <= {"estimate", "decide"} and rows
    assert all(r.action in ("hit", "stick") for r in rows)  # the KD target: the hand's move
    assert "natural" in header.instruction
    # hands repeat: distinct() keeps one row per decision, with every distinct decision present
    from logicdistill.distill.examples import distinct

    once = distinct(rows, "ld")
    assert len(once) < len(rows)
    key = lambda r: (r.stage, r.state_text, frozenset(r.candidates), r.choice)  # noqa: E731
    assert len({key(r) for r in once}) == len(once) and {key(r) for r in once} == {key(r) for r in rows}


def test_a_teacher_that_needs_a_huge_gain_keeps_every_default_and_the_file_says_so(tmp_path):
    from dataclasses import replace

    stubborn = replace(OPTIONS, min_gain=1e9)
    path = generate_data(tmp_path / "hands.jsonl", 40, get_task("twentyone"), options=stubborn)
    header, rows, _ = read_data(path)
    assert header.settings["min_gain"] == "1000000000.0"
    base = list(header.manuals)  # base order: a stage's default is its first function
    asked = [r for r in rows if not r.forced]
    assert asked and all(r.choice == min(r.candidates, key=base.index) for r in asked)
    # the normal teacher leaves a default in these hands; resuming with it is refused, not mixed
    with pytest.raises(UserInputError, match="other settings"):
        generate_data(path, 41, get_task("twentyone"), options=OPTIONS)
    normal = read_data(generate_data(tmp_path / "normal.jsonl", 40, get_task("twentyone"), options=OPTIONS))[1]
    assert any(r.choice != min(r.candidates, key=base.index) for r in normal if not r.forced)


def test_data_from_the_when_teacher_says_so_and_is_not_mixed_with_the_rollout_teachers(tmp_path):
    from dataclasses import replace

    path = generate_data(tmp_path / "when.jsonl", 1, SOURCE, seed=7, options=replace(OPTIONS, demonstrator="when"))
    header, rows, _ = read_data(path)
    assert header.settings["demonstrator"] == "when" and rows
    with pytest.raises(UserInputError, match="other settings"):
        generate(path, 2)


def test_validation_rotates_over_variants_whatever_their_number():
    # Five variants played in turn: a plain ``episode % 5`` would send one variant to validation
    # every time and never train on it.
    variants = ["a", "b", "c", "d", "e"]
    splits = {(variants[e % 5], split_of(variants[e % 5], e, ["held"], 5)) for e in range(25)}
    assert {v for v, s in splits if s == "val"} == set(variants)
    assert {v for v, s in splits if s == "train"} == set(variants)
    # One variant: unchanged, every fifth episode tests and the next validates.
    assert [split_of("a", e, [], 1) for e in range(5)] == ["train", "train", "train", "test", "val"]


def test_data_can_record_only_the_named_variants(tmp_path):
    path = generate(tmp_path / "named.jsonl", 4, variants=["arena", "pillars"])
    header, rows, episodes = read_data(path)
    assert header.variants == ["arena", "pillars"] and header.held_out == ["ring"]
    assert [e.variant for e in episodes] == ["arena", "pillars", "arena", "pillars"]
    assert {e.split for e in episodes} <= {"train", "val"}  # no held-out episode was played
    with pytest.raises(UserInputError, match="each variant to play once"):
        generate(tmp_path / "twice.jsonl", 2, variants=["arena", "arena"])
    with pytest.raises(UserInputError, match="nowhere"):
        generate(tmp_path / "unknown.jsonl", 2, variants=["arena", "nowhere"])
    assert not (tmp_path / "unknown.jsonl").exists()
