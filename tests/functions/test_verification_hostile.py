"""Every hostile or broken sample in tests/functions/hostile/ is rejected with its reason, and the
base on disk stays byte-for-byte what it was. Each sample's first line says what it attempts, the
second the reason it must be rejected for, an optional third its task (default: pursuit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from logicdistill.functions import save_base
from logicdistill.functions.sandbox import SandboxLimits
from logicdistill.functions.verification import Limits, RejectedError, add_source
from logicdistill.tasks import get_task

HOSTILE = sorted((Path(__file__).parent / "hostile").glob("*.py"))
LIMITS = Limits(SandboxLimits(call_ms=500))  # the endless loop costs this much; legal calls take ~1 ms


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    """A saved base per task and its bytes on disk."""
    out = {}
    for name in ("pursuit", "twentyone"):
        root = tmp_path_factory.mktemp(name)
        save_base(get_task(name).bundled_base(), root)
        out[name] = root, snapshot(root)
    return out


def header(path: Path) -> tuple[str, str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    task = lines[2].removeprefix("# task: ") if lines[2].startswith("# task: ") else "pursuit"
    return lines[0], lines[1].removeprefix("# expect: "), task


def test_the_corpus_is_large_and_documented():
    assert len(HOSTILE) >= 30
    for path in HOSTILE:
        attempt, expect, _ = header(path)
        assert attempt.startswith("# Attempts ") and expect, path.name


@pytest.mark.parametrize("path", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_hostile_sample_is_rejected_and_the_base_is_untouched(path, bases):
    _, expect, task = header(path)
    root, before = bases[task]
    with pytest.raises(RejectedError) as err:
        add_source(root, get_task(task), path.read_text(encoding="utf-8"), path.name, limits=LIMITS)
    lines = err.value.report.lines()
    assert not err.value.report.ok
    assert any(expect in line for line in lines), lines
    assert all(line.strip() and "\n" not in line for line in lines)  # one line per reason
    assert snapshot(root) == before


def test_a_missing_base_directory_is_not_created_on_refusal(tmp_path):
    root = tmp_path / "new-base"
    with pytest.raises(RejectedError):
        add_source(root, get_task("pursuit"), (Path(__file__).parent / "hostile" / "eval_call.py").read_text(), "x.py")
    assert not root.exists()
