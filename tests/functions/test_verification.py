"""Verification admits good functions (human-written, for both tasks) and records how; the static
checks accept ordinary code; the sandbox survives a killed function; reasons are deterministic."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib import resources

import pytest

from logicdistill.errors import UserInputError
from logicdistill.functions import Provenance, load_base, save_base
from logicdistill.functions.check import check_function_base
from logicdistill.functions.execution import compile_function
from logicdistill.functions.sandbox import SandboxLimits
from logicdistill.functions.verification import Limits, RejectedError, Verifier, add_source
from logicdistill.tasks import get_task

PURSUIT_TARGET = '''\
# A human-written pursuit target function.
STAGE = "target"


def evader_with_fewest_exits(state):
    """Target the evader standing on the cell with the fewest free neighbours.

    When: one evader sits in a dead end or a corridor.
    """
    return min(state.evaders, key=lambda e: (state.exits(state.evaders[e]), state.dist(state.me, state.evaders[e]), e))
'''

TWENTYONE_DECIDE = '''\
STAGE = "decide"


def hit_when_hitting_is_worth_more(state, stand_on):
    """Hit when one more card is worth more than sticking, by the exact values.

    When: a close call between hitting and sticking.
    """
    return "hit" if state.hit_once_value() > state.stand_value() else "stick"


def stick_on_soft_19(state, stand_on):
    """Stick on a soft 19 or more, else follow the estimate.

    When: I hold a soft hand of 19 or more.
    """
    if state.usable_ace and state.player_sum >= 19:
        return "stick"
    return "stick" if state.player_sum >= stand_on else "hit"
'''


def verify(task_name: str, source: str, **kwargs):
    task = get_task(task_name)
    with Verifier(task, task.bundled_base()) as verifier:
        return verifier.verify(textwrap.dedent(source), Provenance(kind="human"), "test.py", **kwargs)


def test_good_pursuit_function_is_admitted_as_a_new_version(tmp_path):
    root = tmp_path / "base"
    saved, report = add_source(root, get_task("pursuit"), PURSUIT_TARGET, "mine.py")
    assert report.ok and saved.version == 2  # v1: the bundled base the missing directory started from
    assert len(load_base(root, 1).functions) == 15
    spec = load_base(root).get("evader_with_fewest_exits")
    assert spec.provenance.kind == "human" and spec.verification.status == "verified"
    assert any("sandbox: 96 sample pursuit decisions" in c for c in spec.verification.checks)
    assert spec.manual.when == "one evader sits in a dead end or a corridor."
    check_function_base(load_base(root), get_task("pursuit"))


def test_good_twentyone_functions_are_admitted_together(tmp_path):
    root = tmp_path / "base"
    save_base(get_task("twentyone").bundled_base(), root)
    saved, report = add_source(root, get_task("twentyone"), TWENTYONE_DECIDE, "mine.py")
    assert [s.name for s in report.admitted] == ["hit_when_hitting_is_worth_more", "stick_on_soft_19"]
    base = load_base(root)
    assert base.version == 2 and base.names()[-2:] == ["hit_when_hitting_is_worth_more", "stick_on_soft_19"]
    assert "280 sample twentyone decisions" in base.get("stick_on_soft_19").verification.checks[-1]


def test_one_bad_function_keeps_the_whole_file_out(tmp_path):
    root = tmp_path / "base"
    save_base(get_task("twentyone").bundled_base(), root)
    bad = (
        TWENTYONE_DECIDE
        + '\n\ndef always_double(state, stand_on):\n    """Double.\n\n    When: never.\n    """\n    return "double"\n'
    )
    with pytest.raises(RejectedError) as err:
        add_source(root, get_task("twentyone"), bad, "mine.py")
    assert [v.name for v in err.value.report.verdicts if v.admitted] == [
        "hit_when_hitting_is_worth_more",
        "stick_on_soft_19",
    ]
    assert load_base(root).version == 1


def test_replace_is_explicit_and_keeps_the_stage_default_in_place(tmp_path):
    root = tmp_path / "base"
    source = PURSUIT_TARGET.replace("evader_with_fewest_exits", "nearest_evader")
    with pytest.raises(RejectedError, match="already exists in the base(.|\n)*use --replace"):
        add_source(root, get_task("pursuit"), source, "mine.py")
    saved, _ = add_source(root, get_task("pursuit"), source, "mine.py", replace_existing=True)
    assert saved.by_stage("target")[0].name == "nearest_evader"  # still the default
    assert saved.get("nearest_evader").provenance.kind == "human"


def test_base_of_another_task_is_a_clear_error(tmp_path):
    root = tmp_path / "base"
    save_base(get_task("twentyone").bundled_base(), root)
    with pytest.raises(UserInputError, match="holds a twentyone base"):
        add_source(root, get_task("pursuit"), PURSUIT_TARGET, "mine.py")


@pytest.mark.parametrize("task_name", ["pursuit", "twentyone"])
def test_bundled_functions_pass_verification(task_name):
    """No false positives on the functions we wrote ourselves."""
    task = get_task(task_name)
    with Verifier(task, task.bundled_base()) as verifier:
        for stage in task.stages:
            text = (resources.files(f"logicdistill.games.{task_name}") / "base" / f"{stage.name}.py").read_text()
            report = verifier.verify(text, Provenance(kind="human"), stage.name)
            assert report.ok, report.lines()


def test_ordinary_python_passes_the_static_checks():
    report = verify(
        "pursuit",
        '''
        STAGE = "move"


        def careful_step(state, target, goal):
            """Step towards the goal unless a teammate stands there.

            When: teammates crowd the goal.
            """
            from collections import Counter
            import math, heapq
            code = Counter(state.teammates.values())  # a local may be called anything
            label = f"{len(code):d}" + "{:.1f}".format(math.pi)
            best = heapq.nsmallest(1, [(state.dist(c, goal), c) for c in state.neighbours(state.me)])
            def blocked(cell):
                return code[cell] > 0
            if best and not blocked(best[0][1]) and label:
                return state.step_towards(state.me, best[0][1])
            match state.me:
                case (row, col) if row >= 0:
                    return "stay"
            return "stay"
    ''',
    )
    assert report.ok, report.lines()


def test_the_sandbox_survives_a_killed_function_and_reasons_repeat_exactly():
    task = get_task("pursuit")
    head = '"""{}.\n\n    When: never.\n    """\n'
    loop = f'STAGE = "move"\n\ndef spin(state, target, goal):\n    {head.format("Spin")}    while True:\n        pass\n'
    lam = f'STAGE = "move"\n\ndef lam(state, target, goal):\n    {head.format("Lambda")}    return lambda: 0\n'
    with Verifier(task, task.bundled_base(), Limits(SandboxLimits(call_ms=1000))) as verifier:
        assert "did not finish" in verifier.verify(loop, Provenance(kind="human")).lines()[0]
        assert verifier.verify(PURSUIT_TARGET, Provenance(kind="human")).ok  # a fresh worker took over
        first = verifier.verify(lam, Provenance(kind="human")).lines()
    with Verifier(task, task.bundled_base()) as verifier:
        assert verifier.verify(lam, Provenance(kind="human")).lines() == first
    assert "0x" not in first[0]


def test_admitted_functions_run_like_any_other(tmp_path):
    saved, _ = add_source(tmp_path / "b", get_task("pursuit"), PURSUIT_TARGET, "mine.py")
    sample = get_task("pursuit").verification_samples().samples[0]
    view = get_task("pursuit").function_view(sample.state, 0, {}, {})
    assert compile_function(saved.get("evader_with_fewest_exits"))(view) in sample.state.active_evaders


def test_runtime_import_refuses_modules_reexported_by_allowed_ones():
    from logicdistill.functions.execution import restricted_globals

    with pytest.raises(ImportError, match="'sys'"):
        exec("from statistics import sys", restricted_globals())  # noqa: S102


def test_cli_add_refuses_with_exit_code_2_and_admits_good_files(tmp_path):
    root, bad, good = tmp_path / "base", tmp_path / "bad.py", tmp_path / "good.py"
    markup = '\n\ndef markup_target(state):\n    """Return markup.\n\n    When: never.\n    """\n    return "[/bold]"\n'
    bad.write_text(PURSUIT_TARGET.replace("return min", "import os\n    return min") + markup)
    good.write_text(PURSUIT_TARGET)
    run = subprocess.run(
        [sys.executable, "-m", "logicdistill", "base", "add", "--base", str(root), str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    printed = " ".join(run.stderr.split())  # rich wraps long lines
    assert run.returncode == 2 and "import of 'os' is not allowed" in printed and "Traceback" not in printed
    assert "got '[/bold]'" in printed  # untrusted text is printed as text, not as console markup
    assert not root.exists()
    run = subprocess.run(
        [sys.executable, "-m", "logicdistill", "base", "add", "--base", str(root), str(good)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "evader_with_fewest_exits: admitted" in " ".join(run.stdout.split()) and "v2" in run.stdout
