"""A function base on disk: a directory of immutable, numbered versions.

    ROOT/
      CURRENT                  the current version number
      v0001/manifest.json      format line, task, version, parent, and every function's metadata
      v0001/functions/NAME.py  each function's source
      v0002/...

A new version is written into a temporary directory and renamed into place, then ``CURRENT`` is
replaced atomically, so a crash mid-save leaves every earlier version (and CURRENT) intact.

Loading trusts nothing on disk: anyone who can write the folder can edit a manifest and a source
together (the checksum only catches accidents). So every name, path and manual is checked again
(``functions/hygiene.py``), files are read only from real files inside the version folder, with a
size cap and without following symbolic links, every function's source passes admission's static
checks again (whatever its recorded provenance says: "bundled" on disk proves nothing), and a
function whose recorded verification is "rejected" or "unverified" is not offered at all: it is
dropped from the loaded base and listed in ``FunctionBase.dropped``.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ValidationError

from logicdistill.errors import UserInputError
from logicdistill.functions.hygiene import control_problem, manual_problems, name_problem, shown
from logicdistill.functions.spec import FunctionSpec, Manual, Provenance, Stage, Verification

if TYPE_CHECKING:  # the task API builds on this package; only type hints look back at it
    from logicdistill.tasks.api import Task

FORMAT = "logicdistill-base/1"
OFFERED = frozenset({"trusted", "verified"})  # recorded verification statuses a loaded base offers
MAX_MANIFEST_BYTES = 2_000_000
MAX_SOURCE_BYTES = 200_000  # a function file holds one function of at most 20,000 characters
MAX_CURRENT_BYTES = 64


class ManifestEntry(BaseModel):
    name: str
    stage: str
    signature: str
    manual: Manual
    provenance: Provenance
    verification: Verification
    file: str
    sha256: str


class Manifest(BaseModel):
    format: Literal["logicdistill-base/1"]
    task: str
    version: int
    parent: int | None
    created: str
    note: str = ""
    functions: list[ManifestEntry]


@dataclass(frozen=True)
class FunctionBase:
    task: str
    functions: tuple[FunctionSpec, ...]
    version: int = 0  # 0 until saved
    parent: int | None = None
    note: str = ""
    created: str = field(default="", compare=False)
    # functions recorded in the manifest but not offered, as "name (status)": see load_base
    dropped: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.functions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise UserInputError(f"function names must be unique in a base; duplicated: {', '.join(dupes)}")

    def names(self) -> list[str]:
        return [f.name for f in self.functions]

    def get(self, name: str) -> FunctionSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no function {name!r} in the {self.task} base (v{self.version})") from None

    @cached_property
    def _by_name(self) -> dict[str, FunctionSpec]:
        return {f.name: f for f in self.functions}

    def by_stage(self, stage: str) -> list[FunctionSpec]:
        return [f for f in self.functions if f.stage == stage]

    def with_functions(self, specs: list[FunctionSpec], note: str = "") -> FunctionBase:
        """A new (unsaved) base: ``specs`` added, replacing functions of the same name."""
        new = {s.name for s in specs}
        kept = tuple(f for f in self.functions if f.name not in new)
        return replace(self, functions=kept + tuple(specs), version=0, parent=self.version or None, note=note)

    @cached_property
    def fingerprint(self) -> str:
        """Content hash of everything a retriever or selector sees; keys caches per base version."""
        payload = [(f.name, f.stage, f.signature, f.manual.what, f.manual.when, f.source) for f in self.functions]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BaseDiff:
    added: list[str]
    removed: list[str]
    changed: list[str]  # same name, different source, manual or stage

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_bases(old: FunctionBase, new: FunctionBase) -> BaseDiff:
    old_by, new_by = {f.name: f for f in old.functions}, {f.name: f for f in new.functions}
    return BaseDiff(
        added=sorted(set(new_by) - set(old_by)),
        removed=sorted(set(old_by) - set(new_by)),
        changed=sorted(
            n
            for n in set(old_by) & set(new_by)
            if (old_by[n].source, old_by[n].manual, old_by[n].stage)
            != (new_by[n].source, new_by[n].manual, new_by[n].stage)
        ),
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; keep the user's usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _versions(root: Path) -> list[int]:
    """The version numbers stored under ``root``. A symbolic link in a version's place is refused:
    loading it would read, and a save next to it would trust, a folder outside the base."""
    found = []
    for path in root.glob("v[0-9][0-9][0-9][0-9]"):
        if path.is_symlink():
            raise UserInputError(f"{path} is a symbolic link; a base's versions must be real folders inside it")
        if path.is_dir():
            found.append(int(path.name[1:]))
    return sorted(found)


# --- names, paths and texts: checked before a save writes anything and after a load reads --------


def _summary(problems: list[str]) -> str:
    """The first problem, and how many more there are, as one line."""
    return problems[0] + (f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else "")


def _inside_parts(file: str) -> tuple[str, ...] | None:
    """The components of ``file`` if it is a plain relative path below the version folder: no
    absolute path, no ``..``, no empty or ``.`` parts, no backslashes or control characters."""
    parts = tuple(file.split("/"))
    if (
        PurePosixPath(file).is_absolute()
        or control_problem(file) is not None
        or any(part in ("", ".", "..") or "\\" in part for part in parts)
    ):
        return None
    return parts


def _entry_problems(entry: ManifestEntry) -> list[str]:
    """What is wrong with one function's manifest entry. Every entry needs a safe name (names are
    listed even when a function is not offered); an offered one also a clean manual, texts
    without control characters and a file inside the version folder."""
    if (problem := name_problem(entry.name)) is not None:
        return [problem]
    if entry.verification.status not in OFFERED:
        return []
    problems = [f"function {entry.name}: {p}" for p in manual_problems(entry.manual)]
    if _inside_parts(entry.file) is None:
        problems.append(
            f"function {entry.name}: file {shown(entry.file)} is not a relative path inside the version folder"
        )
    texts = [
        ("stage", entry.stage),
        ("signature", entry.signature),
        ("provenance model", entry.provenance.model),
        ("provenance note", entry.provenance.note),
        *(("check", c) for c in entry.verification.checks),
    ]
    problems += [
        f"function {entry.name}: the {label} {problem}"
        for label, text in texts
        if text and (problem := control_problem(text)) is not None
    ]
    return problems


def _manifest_problems(manifest: Manifest) -> list[str]:
    """Everything wrong with a manifest's names, paths and texts, the same whether it is about to
    be saved or was just read: a base is never written that would not load."""
    problems = []
    if not (manifest.task.isascii() and manifest.task.isidentifier()):
        problems.append(f"task {shown(manifest.task)} is not a plain identifier")
    problems += [
        f"the {label} {problem}"
        for label, text in (("note", manifest.note), ("created", manifest.created))
        if (problem := control_problem(text)) is not None
    ]
    seen: dict[str, str] = {}
    for entry in manifest.functions:
        problems += _entry_problems(entry)
        folded = entry.name.casefold()  # a case-insensitive file system would give both names one file
        if folded in seen:
            problems.append(
                f"function {shown(entry.name)} appears twice"
                if seen[folded] == entry.name
                else f"functions {shown(seen[folded])} and {shown(entry.name)} differ only in case"
            )
        seen[folded] = entry.name
    return problems


# --- reading inside a base: real files only, never blocking, never unbounded --------------------

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO would wait for a writer; the fstat check below then refuses it.
# O_NOCTTY: a terminal device never becomes the process's controlling terminal.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def _read_inside(folder: Path, parts: tuple[str, ...], limit: int) -> str:
    """The UTF-8 text of the regular file ``folder/parts...``, at most ``limit`` bytes.

    ``folder`` is the user's own path and may be a link; each part below it is opened relative to
    the one before without following a symbolic link (``O_NOFOLLOW`` on every component), so
    nothing outside ``folder`` is read, even if the base changes meanwhile. A pipe, device or
    oversized file is refused from ``fstat`` before a byte is read."""
    path = folder.joinpath(*parts)
    fds: list[int] = []
    try:
        fds.append(os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
        for part in parts[:-1]:
            fds.append(_open_below(part, fds[-1], _DIR_FLAGS))
        fds.append(_open_below(parts[-1], fds[-1], _FILE_FLAGS))
        data = _read_regular(fds[-1], limit, path)
    except OSError as exc:
        raise UserInputError(f"cannot read {path}: {_os_reason(exc)}") from None
    finally:
        for fd in fds:
            os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserInputError(f"cannot read {path}: not UTF-8 text (byte {exc.start + 1})") from None


def _open_below(name: str, dir_fd: int, flags: int) -> int:
    """``name`` in the folder ``dir_fd``, opened with ``flags`` (holding O_NOFOLLOW). Linux answers
    a link opened as a folder with ENOTDIR, which a plain file there gives too: tell them apart."""
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except NotADirectoryError:
        if stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
            raise OSError(errno.ELOOP, "a symbolic link") from None
        raise


def _read_regular(fd: int, limit: int, path: Path) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise UserInputError(f"cannot read {path}: not a regular file (a folder, pipe, device or socket)")
    if info.st_size > limit:
        raise UserInputError(f"cannot read {path}: it is {info.st_size} bytes; at most {limit} are read")
    chunks, size = [], 0
    while size <= limit:  # reading one byte past the limit catches a file that grew since fstat
        chunk = os.read(fd, limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise UserInputError(f"cannot read {path}: it grew past {limit} bytes while being read")
    return b"".join(chunks)


def _os_reason(exc: OSError) -> str:
    if exc.errno in (errno.ELOOP, errno.EMLINK):  # what O_NOFOLLOW answers a link with (EMLINK: BSDs)
        return "a symbolic link is on its path; a base is read only from real files inside it"
    return exc.strerror or str(exc)


def save_base(base: FunctionBase, root: str | Path, note: str | None = None) -> FunctionBase:
    """Write ``base`` as the next version under ``root`` and make it current; returns it numbered."""
    root = Path(root)
    note = base.note if note is None else note
    manifest = Manifest(
        format=FORMAT,
        task=base.task,
        version=0,
        parent=None,
        created="",
        note=note,
        functions=[
            ManifestEntry(**f.model_dump(exclude={"source"}), file=f"functions/{f.name}.py", sha256=_sha256(f.source))
            for f in base.functions
        ],
    )
    # Names become file names: check them (and everything load checks) before anything is written.
    if problems := _manifest_problems(manifest):
        raise UserInputError(f"cannot save the {base.task} base: {_summary(problems)}")
    root.mkdir(parents=True, exist_ok=True)
    existing = _versions(root)
    version = (existing[-1] if existing else 0) + 1
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    saved = replace(
        base, version=version, parent=existing[-1] if existing else None, note=note, created=created, dropped=()
    )
    manifest = manifest.model_copy(update={"version": version, "parent": saved.parent, "created": created})
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".staging-"))
    try:
        (staging / "functions").mkdir()
        for f, entry in zip(saved.functions, manifest.functions):
            parts = _inside_parts(entry.file)
            assert parts == ("functions", f"{f.name}.py"), entry.file  # guaranteed by the name check above
            staging.joinpath(*parts).write_text(f.source, encoding="utf-8")
        (staging / "manifest.json").write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
        staging.rename(root / f"v{version:04d}")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    atomic_write_text(root / "CURRENT", f"{version}\n")
    return saved


def save_successor(parent: FunctionBase, new: FunctionBase, root: str | Path, task: Task) -> FunctionBase:
    """The one way a base gains a version: ``new`` saved under ``root`` as the version after
    ``parent``, which is saved first unless it already is the current version there (a bundled
    base starting a new root), so ``base diff ROOT@N-1 ROOT`` shows exactly what arrived. A root
    holding another task's base is refused before anything is written."""
    root = Path(root)
    current = load_base(root, task=task) if (root / "CURRENT").is_file() else None
    if current is None or current.fingerprint != parent.fingerprint:
        save_base(parent, root)
    return save_base(new, root)


def _version_dir(path: Path, version: int | None) -> Path:
    """The version folder to load, as an absolute path whose last part is the folder's own name."""
    if (path / "manifest.json").is_file():
        if version is not None:
            raise UserInputError(f"{path} is a single version directory; drop --version or point at its parent")
        vdir = path
    elif not path.is_dir():
        raise UserInputError(f"function base not found: {path}")
    else:
        if version is None:
            current = path / "CURRENT"
            if not os.path.lexists(current):  # not is_file(): a pipe or link there is refused while reading
                raise UserInputError(f"{path} is not a function base (no CURRENT file and no manifest.json)")
            try:
                version = int(_read_inside(path, ("CURRENT",), MAX_CURRENT_BYTES).strip())
            except ValueError:
                raise UserInputError(f"{current} is corrupt: expected a version number") from None
        vdir = path / f"v{version:04d}"
        if not vdir.is_dir():
            raise UserInputError(f"{path} has no version {version}; versions: {_versions(path)}")
    if vdir.is_symlink():
        raise UserInputError(f"{vdir} is a symbolic link; a base's versions must be real folders inside it")
    return Path(os.path.abspath(vdir))  # abspath, not resolve: a link must stay visible to the checks


def _parse_manifest(text: str, where: Path) -> Manifest:
    try:
        manifest = Manifest.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_path = ".".join(str(part) for part in first["loc"]) or "the document"
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise UserInputError(
            f"{where} is not a valid {FORMAT} manifest: {shown(field_path)}: {first['msg']}{more}"
        ) from None
    if problems := _manifest_problems(manifest):
        raise UserInputError(f"{where}: {_summary(problems)}")
    return manifest


# How a base names its task's stages when the caller gives none: by the task's registered name.
# The task registry installs this at import (``tasks.registry``); this package, which the task
# API builds on, never imports the tasks.
stages_of_registered_task: Callable[[str], Sequence[Stage]] | None = None


def _registered_stages(task: str, where: Path) -> dict[str, Stage]:
    """The stages of a registered task, for a caller that did not give them."""
    if stages_of_registered_task is None:
        importlib.import_module("logicdistill.tasks.registry")  # installs the lookup, once
    try:
        return {s.name: s for s in stages_of_registered_task(task)}  # type: ignore[misc]
    except UserInputError as exc:
        raise UserInputError(f"{where}: {exc}; pass the task (--task) that the base belongs to") from None


def _static_problem(entry: ManifestEntry, source: str, stages: dict[str, Stage]) -> str | None:
    """Why ``source`` would not be admitted as ``entry`` today, or None. Admission's static checks
    run again on every function, bundled or not (the bundled sources pass them), and the manifest,
    which has no checksum of its own, must describe what the source defines: exactly one function
    of that name, with that signature and that docstring manual."""
    from logicdistill.functions.verification.static import parse_source  # verification imports this module

    parsed = parse_source(source, stages, entry.stage)
    if parsed.problems:
        return "; ".join(parsed.problems)
    if [draft.name for draft in parsed.drafts] != [entry.name]:
        return f"the file must define exactly one function, named {entry.name}"
    draft = parsed.drafts[0]
    if draft.reasons:
        return "; ".join(draft.reasons)
    if (draft.signature, draft.manual) != (entry.signature, entry.manual):
        return "the manifest's signature or manual is not the function's own"
    return None


def _load_function(vdir: Path, entry: ManifestEntry, stages: dict[str, Stage]) -> FunctionSpec:
    parts = _inside_parts(entry.file)
    assert parts is not None  # _manifest_problems refused the entry otherwise
    src_path = vdir.joinpath(*parts)
    source = _read_inside(vdir.parent, (vdir.name, *parts), MAX_SOURCE_BYTES)
    if _sha256(source) != entry.sha256:
        raise UserInputError(f"{src_path} does not match its manifest checksum; the base was edited or damaged")
    if (problem := _static_problem(entry, source, stages)) is not None:
        raise UserInputError(f"{src_path}: function {entry.name} fails the static checks on load: {problem}")
    return FunctionSpec(**entry.model_dump(exclude={"file", "sha256"}), source=source)


def load_base(path: str | Path, version: int | None = None, task: Task | None = None) -> FunctionBase:
    """Load a base root (its current or a given version) or one version directory, checking it
    again as the module docstring says; any problem is one ``UserInputError`` line naming the file.
    ``task``: the task it is loaded for, whose stages the functions are checked against and whose
    name the manifest must give (default: the registered task the manifest names; a task named by
    file reference must be given).

    Functions recorded as "rejected" or "unverified" are left out (and named in ``dropped``): a
    base is offered only what passed verification. Their files are not even read. A stage left
    empty is reported where the base is used (``check_function_base``)."""
    vdir = _version_dir(Path(path), version)
    where = vdir / "manifest.json"
    manifest = _parse_manifest(_read_inside(vdir.parent, (vdir.name, "manifest.json"), MAX_MANIFEST_BYTES), where)
    if task is not None and manifest.task != task.name:
        raise UserInputError(
            f"{Path(path)} holds a {manifest.task} base, not a {task.name} one; "
            f"pass --task {manifest.task} or another base"
        )
    stages = {s.name: s for s in task.stages} if task is not None else _registered_stages(manifest.task, where)
    offered = [entry for entry in manifest.functions if entry.verification.status in OFFERED]
    dropped = tuple(
        f"{entry.name} ({entry.verification.status})"
        for entry in manifest.functions
        if entry.verification.status not in OFFERED
    )
    specs = tuple(_load_function(vdir, entry, stages) for entry in offered)
    return FunctionBase(
        task=manifest.task,
        functions=specs,
        version=manifest.version,
        parent=manifest.parent,
        note=manifest.note,
        created=manifest.created,
        dropped=dropped,
    )


def list_versions(root: str | Path, task: Task | None = None) -> list[str]:
    """One line per stored version: number, current mark, function count, date and note."""
    root = Path(root)
    current = _version_dir(root, None).name
    lines = []
    for v in _versions(root):
        base = load_base(root, v, task)
        mark = "*" if f"v{v:04d}" == current else " "
        dropped = f" ({len(base.dropped)} not offered)" if base.dropped else ""
        lines.append(
            f"{mark} v{v:04d}  {base.task}  {len(base.functions)} functions{dropped}  {base.created}  {base.note}"
        )
    return lines
