"""The function base shipped for the pursuit task is well formed."""

from __future__ import annotations

import pytest
from helpers import global_names

from logicdistill.functions import compile_function
from logicdistill.functions.execution import SAFE_BUILTINS
from logicdistill.tasks import get_task

TASK = get_task("pursuit")
BASE = TASK.bundled_base()
STAGES = {stage.name: stage for stage in TASK.stages}


def test_base_size_and_unique_names():
    assert BASE.task == "pursuit"
    assert len(BASE.functions) >= 12
    assert len(set(BASE.names())) == len(BASE.functions)


def test_every_function_belongs_to_a_known_stage():
    assert {f.stage for f in BASE.functions} <= set(STAGES)


@pytest.mark.parametrize("stage", [s.name for s in TASK.stages])
def test_every_stage_has_at_least_three_functions(stage):
    assert len(BASE.by_stage(stage)) >= 3


@pytest.mark.parametrize("spec", BASE.functions, ids=BASE.names())
def test_function_is_well_formed(spec):
    stage = STAGES[spec.stage]
    assert spec.signature == "(" + ", ".join(stage.params) + ")"
    assert spec.manual.what.strip()
    assert spec.manual.when.strip()
    assert spec.provenance.kind == "bundled"
    assert spec.verification.status == "trusted"
    fn = compile_function(spec)
    assert callable(fn)
    assert fn.__code__.co_varnames[: fn.__code__.co_argcount] == stage.params
    # Each function is stored without its module, so it may read no module-level helper.
    assert global_names(fn.__code__) <= set(SAFE_BUILTINS)


def test_the_base_compiles_as_a_whole():
    assert all(callable(compile_function(spec)) for spec in BASE.functions)
