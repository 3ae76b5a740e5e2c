"""The function base: functions with user manuals, versioned on disk, executed behind one interface."""

from logicdistill.functions.base import FunctionBase, diff_bases, load_base, save_base
from logicdistill.functions.execution import compile_function
from logicdistill.functions.source import functions_from_source
from logicdistill.functions.spec import FunctionSpec, Manual, Provenance, Stage, Verification

__all__ = [
    "FunctionBase",
    "FunctionSpec",
    "Manual",
    "Provenance",
    "Stage",
    "Verification",
    "compile_function",
    "diff_bases",
    "functions_from_source",
    "load_base",
    "save_base",
]
