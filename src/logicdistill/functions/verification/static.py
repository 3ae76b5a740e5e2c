"""Static checks of untrusted function source, read off its syntax tree before any of it runs.

Restricted globals (``functions/execution.py``) already deny dangerous builtins at run time; these
checks reject the rest up front and say why: imports outside the allow-list, names that reach code
execution, files, processes or the network, and every route to interpreter internals (dunder names,
``_private`` attributes, frame and code objects, ``str.format`` field lookups, modules re-exported
by allowed modules such as ``statistics.sys``). They also check the contract: one ``STAGE`` line,
functions whose parameters are the stage's, and a docstring manual with ``When:``.
"""

from __future__ import annotations

import ast
import inspect
import re
import string
import symtable
from dataclasses import dataclass, field
from importlib import import_module

from logicdistill.errors import UserInputError
from logicdistill.functions.execution import ALLOWED_MODULES, SAFE_BUILTINS
from logicdistill.functions.hygiene import MAX_MANUAL_CHARS as MAX_MANUAL_CHARS  # re-exported: the cap's old home
from logicdistill.functions.hygiene import manual_problems, name_problem
from logicdistill.functions.source import parse_manual
from logicdistill.functions.spec import Manual, Stage

MAX_SOURCE_CHARS = 20_000  # per function: a base function is a few lines
MAX_FILE_CHARS = 100_000
MAX_FUNCTIONS_PER_FILE = 20  # a file is a handful of functions for one stage, not a base
MAX_REASONS = 5

# Global names a function may not use, with why (anything else outside SAFE_BUILTINS is undefined).
FORBIDDEN_NAMES = {
    **dict.fromkeys(("eval", "exec", "compile", "breakpoint", "__import__"), "runs arbitrary code"),
    **dict.fromkeys(("open", "input", "print"), "reaches files or the terminal"),
    **dict.fromkeys(
        (
            "getattr",
            "setattr",
            "delattr",
            "hasattr",
            "vars",
            "dir",
            "globals",
            "locals",
            "type",
            "object",
            "super",
            "memoryview",
            "id",
            "help",
            "exit",
            "quit",
        ),
        "inspects or rewires objects and namespaces",
    ),
}
# Modules whose names are rejected anywhere: as names, attributes (``statistics.sys``) or imports.
DANGEROUS_MODULES = frozenset(
    "os sys subprocess socket shutil pathlib io importlib builtins ctypes signal threading multiprocessing "
    "asyncio pickle marshal gc inspect code codeop runpy tempfile glob ssl http urllib requests select "
    "resource pty posix nt random".split()
)
# Attributes that lead to processes, module tables, interpreter internals, files (numpy's writers,
# should a task ever hand out arrays) or process-wide state (registering ABCs).
FORBIDDEN_ATTRIBUTES = frozenset(
    "system popen spawn fork execv execve kill modules mro format_map register "
    "tofile dump dumps save savetxt fromfile memmap".split()
)
INTERNAL_PREFIXES = ("gi_", "cr_", "ag_", "f_", "tb_", "co_")  # generator, coroutine, frame, traceback, code
DUNDER = re.compile(r"__\w+__")
KINDS = {
    "Import": "an import",
    "ImportFrom": "an import",
    "Assign": "an assignment",
    "Expr": "an expression",
    "ClassDef": "a class",
    "AsyncFunctionDef": "an async function",
}


def _reexported_modules() -> frozenset[str]:
    """Names under which allowed modules re-export other modules (``statistics.sys``, ``.random``)."""
    names = set()
    for module in ALLOWED_MODULES:
        for name, value in vars(import_module(module)).items():
            if inspect.ismodule(value) and value.__name__.split(".")[0] not in ALLOWED_MODULES:
                names.add(name)
    return frozenset(names)


BLOCKED_MODULE_NAMES = DANGEROUS_MODULES | _reexported_modules()


@dataclass
class Draft:
    """One function found in untrusted source, with everything static checks found wrong with it."""

    name: str
    stage: str
    source: str
    signature: str
    manual: Manual | None
    reasons: list[str] = field(default_factory=list)


@dataclass
class Parsed:
    """A source file or teacher reply: problems that sink it whole, and its functions."""

    problems: list[str]
    drafts: list[Draft]


def parse_source(text: str, stages: dict[str, Stage], stage: str | None = None) -> Parsed:
    """Parse and check ``text``. The stage comes from ``stage`` or the file's ``STAGE = "..."`` line;
    when both are given they must agree."""
    if len(text) > MAX_FILE_CHARS:
        return Parsed([f"source is {len(text)} characters; at most {MAX_FILE_CHARS} are accepted"], [])
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        return Parsed([f"{where}syntax error: {exc.msg}"], [])
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return Parsed([f"source cannot be parsed: {type(exc).__name__}: {exc}"], [])
    problems, declared = _module_problems(tree)
    if declared is not None and stage is not None and declared != stage:
        problems.append(f"the source declares STAGE = {declared!r} but functions for stage {stage!r} were asked for")
    stage = stage or declared
    if stage is None:
        problems.append(f'declare the functions\' stage with a line STAGE = "..."; stages: {", ".join(stages)}')
    elif stage not in stages:
        problems.append(f"unknown stage {stage!r}; stages: {', '.join(stages)}")
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if not functions:
        problems.append("no top-level function definition found")
    elif len(functions) > MAX_FUNCTIONS_PER_FILE:
        problems.append(
            f"the source defines {len(functions)} functions; at most {MAX_FUNCTIONS_PER_FILE} are accepted in one file"
        )
    if problems:
        return Parsed(problems, [])
    return Parsed([], [_draft(node, text, stages[stage]) for node in functions])


def _module_problems(tree: ast.Module) -> tuple[list[str], str | None]:
    """Only a docstring, one ``STAGE = "..."`` line and function definitions may sit at module
    level: each function is stored and run on its own, so nothing else in the file would be kept."""
    problems, stages = [], []
    for i, node in enumerate(tree.body):
        if (
            i == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            continue
        if isinstance(node, ast.FunctionDef):
            continue
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "STAGE"
        ):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                stages.append(node.value.value)
                continue
            problems.append(f'line {node.lineno}: STAGE must be a plain string, e.g. STAGE = "move"')
            continue
        kind = KINDS.get(type(node).__name__, type(node).__name__.lower())
        hint = " (put imports inside the function that uses them)" if kind == "an import" else ""
        problems.append(
            f"line {node.lineno}: only a STAGE line and function definitions may appear at module "
            f"level, found {kind}{hint}"
        )
    if len(stages) > 1:
        problems.append("the STAGE line appears more than once")
    return problems, stages[0] if stages else None


def _draft(node: ast.FunctionDef, text: str, stage: Stage) -> Draft:
    source = ast.get_source_segment(text, node) + "\n"
    params = [a.arg for a in node.args.args]
    draft = Draft(node.name, stage.name, source, f"({', '.join(params)})", None)
    reasons = draft.reasons
    if (problem := name_problem(node.name)) is not None:
        reasons.append(f"line {node.lineno}: {problem}")
    if len(source) > MAX_SOURCE_CHARS:
        reasons.append(f"the function is {len(source)} characters long; at most {MAX_SOURCE_CHARS} are accepted")
    reasons += _signature_problems(node, stage)
    try:
        draft.manual = parse_manual(ast.get_docstring(node), node.name)
        if not draft.manual.what or not draft.manual.when:
            reasons.append("the manual needs both what the function does (before 'When:') and when to use it")
        else:
            reasons += manual_problems(draft.manual)
    except UserInputError as exc:
        reasons.append(str(exc).replace(f"function {node.name!r} needs", "needs"))
    walker = _Walker(node.body[0].value if ast.get_docstring(node, clean=False) is not None else None)
    walker.visit(node)
    reasons += walker.reasons
    reasons += _global_name_problems(source, node)
    draft.reasons = list(dict.fromkeys(reasons))[:MAX_REASONS]
    return draft


def _signature_problems(node: ast.FunctionDef, stage: Stage) -> list[str]:
    args = node.args
    expected = f"({', '.join(stage.params)})"
    if (
        tuple(a.arg for a in args.args) != stage.params
        or args.posonlyargs
        or args.vararg
        or args.kwonlyargs
        or args.kwarg
        or args.defaults
    ):
        return [
            f"line {node.lineno}: signature must be exactly {node.name}{expected} for stage {stage.name!r} "
            "(no defaults, *args or **kwargs)"
        ]
    return []


def _global_name_problems(source: str, node: ast.FunctionDef) -> list[str]:
    """Names the function reads from its globals: only safe builtins (and itself) exist there."""
    try:
        table = symtable.symtable(source, "<function>", "exec")
    except SyntaxError as exc:
        return [f"line {node.lineno + (exc.lineno or 1) - 1}: {exc.msg}"]
    used: set[str] = set()
    pending = [table]
    while pending:
        scope = pending.pop()
        used |= {s.get_name() for s in scope.get_symbols() if s.is_referenced() and s.is_global()}
        pending += scope.get_children()
    lines: dict[str, int] = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            lines[n.id] = min(n.lineno, lines.get(n.id, n.lineno))
    reasons = []
    for name in sorted(used - set(SAFE_BUILTINS) - {node.name}, key=lambda n: (lines.get(n, 0), n)):
        where = f"line {lines.get(name, node.lineno)}"
        if name in FORBIDDEN_NAMES:
            reasons.append(f"{where}: {name!r} is forbidden: it {FORBIDDEN_NAMES[name]}")
        elif name in BLOCKED_MODULE_NAMES:
            reasons.append(f"{where}: {name!r} names a module functions may not use")
        elif DUNDER.fullmatch(name):
            continue  # already reported by the walker
        else:
            reasons.append(
                f"{where}: name {name!r} is not defined: a function runs alone, with only its own "
                "imports and the safe builtins (" + " ".join(SAFE_BUILTINS) + ")"
            )
    return reasons


class _Walker(ast.NodeVisitor):
    """Collects one reason per offending node."""

    def __init__(self, docstring: ast.AST | None):
        self.docstring = docstring  # the manual may mention anything
        self.reasons: list[str] = []
        self.depth = 0  # function nesting: 1 inside the checked function's own body

    def flag(self, node: ast.AST, text: str) -> None:
        self.reasons.append(f"line {getattr(node, 'lineno', '?')}: {text}")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.decorator_list:
            self.flag(node, "decorators are not allowed")
        if DUNDER.fullmatch(node.name):
            self.flag(node, f"dunder name {node.name!r} is not allowed")
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def _yield(self, node: ast.AST) -> None:
        if self.depth == 1:
            self.flag(node, "the function is a generator: it must return its result, not yield it")
        self.generic_visit(node)

    visit_Yield = visit_YieldFrom = _yield

    def _unsupported(self, node: ast.AST) -> None:
        what = {
            "ClassDef": "class definitions",
            "Global": "global statements (a function keeps no state)",
            "AsyncFunctionDef": "async functions",
            "Await": "await",
            "AsyncFor": "async for",
            "AsyncWith": "async with",
        }[type(node).__name__]
        self.flag(node, f"{what} are not allowed")
        self.generic_visit(node)

    visit_ClassDef = visit_Global = visit_AsyncFunctionDef = visit_Await = visit_AsyncFor = visit_AsyncWith = (
        _unsupported
    )

    def visit_Name(self, node: ast.Name) -> None:
        if DUNDER.fullmatch(node.id):
            self.flag(node, f"dunder name {node.id!r} is not allowed")

    def visit_arg(self, node: ast.arg) -> None:
        if DUNDER.fullmatch(node.arg):
            self.flag(node, f"dunder name {node.arg!r} is not allowed")
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg and DUNDER.fullmatch(node.arg):
            self.flag(node, f"dunder keyword {node.arg!r} is not allowed")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)):  # e.g. `math.pi = 3` would patch every user of math
            self.flag(node, "functions may not assign or delete attributes: they change nothing they are given")
        if node.attr == "format":
            receiver = node.value
            if not (isinstance(receiver, ast.Constant) and isinstance(receiver.value, str)):
                self.flag(node, "str.format is allowed on string literals only (use an f-string)")
            elif _format_looks_up(receiver.value):
                self.flag(node, "a format string may not look up attributes or items ({0.x}, {0[x]})")
        else:
            self._attribute(node, node.attr)
        self.generic_visit(node)

    def _attribute(self, node: ast.AST, attr: str) -> None:
        if attr.startswith("_"):
            self.flag(node, f"attribute {attr!r} is private or a dunder: only public attributes may be used")
        elif attr in FORBIDDEN_ATTRIBUTES or attr.startswith(INTERNAL_PREFIXES):
            self.flag(node, f"attribute {attr!r} reaches interpreter internals or processes")
        elif attr in BLOCKED_MODULE_NAMES:
            self.flag(node, f"attribute {attr!r} names a module functions may not use")

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        for attr in node.kwd_attrs:  # `case C(attr=x)` reads C's attribute
            if attr == "format":
                self.flag(node, "str.format is allowed on string literals only (use an f-string)")
            self._attribute(node, attr)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.flag(node, "relative imports are not allowed")
            return
        self._module(node, node.module or "")
        for alias in node.names:
            if alias.name == "*" or alias.name.startswith("_") or alias.name in BLOCKED_MODULE_NAMES:
                self.flag(node, f"importing {alias.name!r} from {node.module} is not allowed")

    def _module(self, node: ast.AST, name: str) -> None:
        if name.split(".")[0] not in ALLOWED_MODULES or any(p.startswith("_") for p in name.split(".")):
            self.flag(node, f"import of {name!r} is not allowed; allowed modules: {', '.join(sorted(ALLOWED_MODULES))}")

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and node is not self.docstring and DUNDER.search(node.value):
            self.flag(node, f"string names a dunder ({DUNDER.search(node.value).group()})")


def _format_looks_up(template: str) -> bool:
    """Whether a ``str.format`` template reads attributes or items, in a field or a nested spec."""
    try:
        parts = [(f, spec) for _, f, spec, _ in string.Formatter().parse(template) if f is not None]
    except ValueError:
        return True
    return any("." in f or "[" in f or (spec and _format_looks_up(spec)) for f, spec in parts)
