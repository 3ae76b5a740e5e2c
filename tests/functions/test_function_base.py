"""FunctionBase on disk: round trips, numbered immutable versions, damage detection, atomic saves."""

from __future__ import annotations

import json
import os
import pathlib
from pathlib import Path

import pytest

from logicdistill.errors import UserInputError
from logicdistill.functions import (
    FunctionBase,
    FunctionSpec,
    Manual,
    Provenance,
    Verification,
    compile_function,
    diff_bases,
    load_base,
    save_base,
)
from logicdistill.functions.base import list_versions

PARAMS = {"target": "state", "strategy": "state, target", "move": "state, target, goal"}  # pursuit's stages


def make_spec(
    name: str,
    stage: str = "target",
    result: int = 0,
    what: str | None = None,
    when: str = "in tests",
    provenance: Provenance | None = None,
    verification: Verification | None = None,
) -> FunctionSpec:
    """A function that passes the static checks loading runs again: the stage's signature and a
    docstring manual (load drops unverified functions, so these are recorded as verified)."""
    what = what or f"Return {result}."
    params = PARAMS[stage]
    return FunctionSpec(
        name=name,
        stage=stage,
        signature=f"({params})",
        manual=Manual(what=what, when=when),
        source=f'def {name}({params}):\n    """{what}\n\n    When: {when}\n    """\n    return {result}\n',
        provenance=provenance or Provenance(kind="human"),
        verification=verification or Verification(status="verified", checks=("static", "sandbox")),
    )


def make_base(*specs: FunctionSpec, note: str = "") -> FunctionBase:
    return FunctionBase(task="pursuit", functions=tuple(specs), note=note)


def sample_base() -> FunctionBase:
    return make_base(
        make_spec(
            "first",
            result=1,
            provenance=Provenance(kind="teacher", model="big-model", note="round 1"),
            verification=Verification(status="verified", checks=("static", "sandbox")),
        ),
        make_spec("second", stage="move", result=2, what="Unicode manual: évader → coin."),
        note="initial",
    )


def versions_on_disk(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def assert_same_functions(a: FunctionBase, b: FunctionBase) -> None:
    assert a.names() == b.names()
    for x, y in zip(a.functions, b.functions):
        assert (x.name, x.stage, x.signature, x.manual, x.source, x.provenance, x.verification) == (
            y.name,
            y.stage,
            y.signature,
            y.manual,
            y.source,
            y.provenance,
            y.verification,
        )


# --- round trip and versions -------------------------------------------------------------------


def test_save_then_load_round_trips_every_field(tmp_path):
    base = sample_base()
    saved = save_base(base, tmp_path / "base")
    loaded = load_base(tmp_path / "base")
    assert_same_functions(loaded, base)
    assert loaded == saved
    assert (loaded.task, loaded.version, loaded.parent, loaded.note) == ("pursuit", 1, None, "initial")
    assert loaded.created == saved.created != ""
    assert loaded.fingerprint == base.fingerprint


def test_save_writes_the_documented_layout(tmp_path):
    root = tmp_path / "base"
    save_base(sample_base(), root)
    assert versions_on_disk(root) == ["CURRENT", "v0001"]
    assert (root / "CURRENT").read_text() == "1\n"
    manifest = json.loads((root / "v0001" / "manifest.json").read_text())
    assert manifest["format"] == "logicdistill-base/1"
    assert [f["file"] for f in manifest["functions"]] == ["functions/first.py", "functions/second.py"]
    assert (root / "v0001" / "functions" / "first.py").read_text() == sample_base().get("first").source


def test_saving_twice_adds_a_version_and_keeps_the_old_one_unchanged(tmp_path):
    root = tmp_path / "base"
    first = save_base(sample_base(), root)
    old_manifest = (root / "v0001" / "manifest.json").read_bytes()
    old_source = (root / "v0001" / "functions" / "first.py").read_bytes()

    changed = first.with_functions([make_spec("first", result=10)], note="second round")
    second = save_base(changed, root)

    assert versions_on_disk(root) == ["CURRENT", "v0001", "v0002"]
    assert (root / "CURRENT").read_text().strip() == "2"
    assert (second.version, second.parent, second.note) == (2, 1, "second round")
    assert (root / "v0001" / "manifest.json").read_bytes() == old_manifest
    assert (root / "v0001" / "functions" / "first.py").read_bytes() == old_source
    assert load_base(root).get("first").source == make_spec("first", result=10).source
    old = load_base(root, version=1)
    assert old.version == 1
    assert_same_functions(old, sample_base())


def test_note_argument_overrides_the_base_note(tmp_path):
    saved = save_base(sample_base(), tmp_path, note="from the CLI")
    assert saved.note == load_base(tmp_path).note == "from the CLI"


def test_a_single_version_directory_loads_directly(tmp_path):
    save_base(sample_base(), tmp_path)
    save_base(make_base(make_spec("only")), tmp_path)
    assert load_base(tmp_path / "v0001").names() == ["first", "second"]
    with pytest.raises(UserInputError, match="single version directory"):
        load_base(tmp_path / "v0001", version=1)


def test_list_versions_marks_the_current_version(tmp_path):
    save_base(sample_base(), tmp_path)
    save_base(make_base(make_spec("only")), tmp_path, note="smaller")
    lines = list_versions(tmp_path)
    assert len(lines) == 2
    assert lines[0].startswith("  v0001") and "2 functions" in lines[0] and "initial" in lines[0]
    assert lines[1].startswith("* v0002") and "1 functions" in lines[1] and "smaller" in lines[1]

    (tmp_path / "CURRENT").write_text("1\n")  # roll back by hand
    marks = [line[0] for line in list_versions(tmp_path)]
    assert marks == ["*", " "]


# --- FunctionBase in memory ---------------------------------------------------------------------


def test_with_functions_replaces_same_names_and_adds_new_ones(tmp_path):
    saved = save_base(sample_base(), tmp_path)
    updated = saved.with_functions([make_spec("first", result=99), make_spec("third", result=3)], note="n")
    assert updated.names() == ["second", "first", "third"]
    assert updated.get("first").source.endswith("return 99\n")
    assert updated.get("second") == saved.get("second")
    assert (updated.version, updated.parent, updated.note) == (0, 1, "n")
    assert saved.names() == ["first", "second"]  # the original is untouched
    assert compile_function(updated.get("first"))(None) == 99


def test_with_functions_on_an_unsaved_base_has_no_parent():
    assert make_base(make_spec("a")).with_functions([make_spec("b")]).parent is None


def test_duplicate_names_are_rejected():
    with pytest.raises(UserInputError, match="duplicated: a"):
        make_base(make_spec("a"), make_spec("b"), make_spec("a", result=5))
    with pytest.raises(UserInputError, match="duplicated: b"):
        make_base(make_spec("a")).with_functions([make_spec("b"), make_spec("b", result=1)])


def test_get_and_by_stage():
    base = sample_base()
    assert base.get("second").stage == "move"
    assert [f.name for f in base.by_stage("target")] == ["first"]
    assert base.by_stage("strategy") == []
    with pytest.raises(KeyError, match="missing"):
        base.get("missing")


def test_fingerprint_follows_content():
    base = sample_base()
    assert base.fingerprint == sample_base().fingerprint
    edited = base.with_functions([make_spec("first", result=1, what="Another manual.")])
    assert edited.fingerprint != base.fingerprint


def test_diff_bases_reports_added_removed_and_changed():
    old = make_base(
        make_spec("keep"),
        make_spec("edit_source"),
        make_spec("edit_manual"),
        make_spec("edit_stage"),
        make_spec("gone"),
    )
    new = make_base(
        make_spec("keep"),
        make_spec("edit_source", result=7),
        make_spec("edit_manual", when="another time"),
        make_spec("edit_stage", stage="move"),
        make_spec("fresh"),
    )
    diff = diff_bases(old, new)
    assert diff.added == ["fresh"]
    assert diff.removed == ["gone"]
    assert diff.changed == ["edit_manual", "edit_source", "edit_stage"]
    assert not diff.empty
    assert diff_bases(old, old).empty


def test_diff_of_saved_and_loaded_base_is_empty(tmp_path):
    base = sample_base()
    save_base(base, tmp_path)
    assert diff_bases(base, load_base(tmp_path)).empty


# --- loading damaged or missing bases -----------------------------------------------------------


@pytest.fixture
def saved_root(tmp_path) -> Path:
    root = tmp_path / "base"
    save_base(sample_base(), root)
    return root


def test_missing_directory(tmp_path):
    with pytest.raises(UserInputError, match="function base not found"):
        load_base(tmp_path / "nowhere")


def test_directory_without_current_or_manifest(tmp_path):
    with pytest.raises(UserInputError, match="not a function base"):
        load_base(tmp_path)


@pytest.mark.parametrize("content", ["two\n", "", "1.5\n"])
def test_corrupt_current(saved_root, content):
    (saved_root / "CURRENT").write_text(content)
    with pytest.raises(UserInputError, match="CURRENT is corrupt: expected a version number"):
        load_base(saved_root)


def test_current_points_at_a_missing_version(saved_root):
    (saved_root / "CURRENT").write_text("7\n")
    with pytest.raises(UserInputError, match=r"has no version 7; versions: \[1\]"):
        load_base(saved_root)


def test_explicit_missing_version(saved_root):
    with pytest.raises(UserInputError, match="has no version 3"):
        load_base(saved_root, version=3)


@pytest.mark.parametrize(
    "manifest",
    [
        "{not json",
        "[]",
        json.dumps(
            {
                "format": "logicdistill-base/2",
                "task": "pursuit",
                "version": 1,
                "parent": None,
                "created": "",
                "functions": [],
            }
        ),
    ],
    ids=["invalid-json", "wrong-shape", "wrong-format"],
)
def test_invalid_manifest(saved_root, manifest):
    (saved_root / "v0001" / "manifest.json").write_text(manifest)
    with pytest.raises(UserInputError, match="is not a valid logicdistill-base/1 manifest"):
        load_base(saved_root)


def test_function_edited_after_save_fails_the_checksum(saved_root):
    path = saved_root / "v0001" / "functions" / "first.py"
    path.write_text(path.read_text().replace("return 1", "return 2"))
    with pytest.raises(UserInputError, match=r"first\.py does not match its manifest checksum"):
        load_base(saved_root)


def test_missing_function_file(saved_root):
    (saved_root / "v0001" / "functions" / "second.py").unlink()
    with pytest.raises(UserInputError, match=r"cannot read .*second\.py"):
        load_base(saved_root)


def test_version_directory_without_manifest(saved_root):
    (saved_root / "v0001" / "manifest.json").unlink()
    with pytest.raises(UserInputError):
        load_base(saved_root)


def test_function_file_that_is_not_utf8(saved_root):
    (saved_root / "v0001" / "functions" / "first.py").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UserInputError):
        load_base(saved_root)


# --- atomic saves --------------------------------------------------------------------------------


class SimulatedCrash(OSError):
    pass


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones included) with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_untouched(root: Path, before: dict[str, bytes]) -> None:
    assert snapshot(root) == before
    assert sorted(p.name for p in root.iterdir()) == ["CURRENT", "v0001"]  # no v0002, no .staging-*
    assert not list(root.glob(".*"))
    assert load_base(root).names() == ["first", "second"]


def test_crash_while_renaming_the_staged_version(saved_root, monkeypatch):
    before = snapshot(saved_root)

    def crash(self, target):
        raise SimulatedCrash(f"power cut while renaming {self} to {target}")

    monkeypatch.setattr(pathlib.Path, "rename", crash)
    with pytest.raises(SimulatedCrash):
        save_base(make_base(make_spec("new")), saved_root)
    monkeypatch.undo()
    assert_untouched(saved_root, before)


def test_crash_while_writing_the_manifest(saved_root, monkeypatch):
    before = snapshot(saved_root)
    real_write_text = pathlib.Path.write_text

    def write_text(self, data, *args, **kwargs):
        if self.name == "manifest.json":
            real_write_text(self, data[: len(data) // 2], *args, **kwargs)  # half written, then the crash
            raise SimulatedCrash("disk full")
        return real_write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", write_text)
    with pytest.raises(SimulatedCrash):
        save_base(make_base(make_spec("new")), saved_root)
    monkeypatch.undo()
    assert_untouched(saved_root, before)


def test_crash_while_replacing_current_keeps_the_old_current(saved_root, monkeypatch):
    before_current = (saved_root / "CURRENT").read_bytes()
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == "CURRENT":
            raise SimulatedCrash("crash before CURRENT moved")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(SimulatedCrash):
        save_base(make_base(make_spec("new")), saved_root)
    monkeypatch.undo()

    assert (saved_root / "CURRENT").read_bytes() == before_current
    assert not list(saved_root.glob(".*"))  # neither a staging dir nor a CURRENT temp file
    assert load_base(saved_root).names() == ["first", "second"]
    # The next save still works and becomes current.
    later = save_base(make_base(make_spec("later")), saved_root)
    assert load_base(saved_root).names() == ["later"]
    assert (saved_root / "CURRENT").read_text().strip() == str(later.version)


def test_a_later_save_after_a_crash_succeeds(saved_root, monkeypatch):
    monkeypatch.setattr(pathlib.Path, "rename", lambda self, target: (_ for _ in ()).throw(SimulatedCrash()))
    with pytest.raises(SimulatedCrash):
        save_base(make_base(make_spec("new")), saved_root)
    monkeypatch.undo()
    saved = save_base(make_base(make_spec("new")), saved_root)
    assert saved.version == 2
    assert load_base(saved_root).names() == ["new"]
    assert load_base(saved_root, version=1).names() == ["first", "second"]
