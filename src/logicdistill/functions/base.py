"""A function base on disk: a directory of immutable, numbered versions.

    ROOT/
      CURRENT                  the current version number
      v0001/manifest.json      format line, task, version, parent, and every function's metadata
      v0001/functions/NAME.py  each function's source
      v0002/...

A new version is written into a temporary directory and renamed into place, then ``CURRENT`` is
replaced atomically, so a crash mid-save leaves every earlier version (and CURRENT) intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, ValidationError

from logicdistill.errors import UserInputError
from logicdistill.functions.execution import compile_function
from logicdistill.functions.spec import FunctionSpec, Manual, Provenance, Verification

FORMAT = "logicdistill-base/1"


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

    def __post_init__(self) -> None:
        names = [f.name for f in self.functions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise UserInputError(f"function names must be unique in a base; duplicated: {', '.join(dupes)}")

    def names(self) -> list[str]:
        return [f.name for f in self.functions]

    def get(self, name: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.name == name:
                return spec
        raise KeyError(f"no function {name!r} in the {self.task} base (v{self.version})")

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

    @cached_property
    def compiled(self) -> dict[str, Callable[..., Any]]:
        return {f.name: compile_function(f) for f in self.functions}


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
            if (old_by[n].source, old_by[n].manual, old_by[n].stage) != (new_by[n].source, new_by[n].manual, new_by[n].stage)
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
    return sorted(int(p.name[1:]) for p in root.glob("v[0-9][0-9][0-9][0-9]") if p.is_dir())


def save_base(base: FunctionBase, root: str | Path, note: str | None = None) -> FunctionBase:
    """Write ``base`` as the next version under ``root`` and make it current; returns it numbered."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    existing = _versions(root)
    version = (existing[-1] if existing else 0) + 1
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    saved = replace(base, version=version, parent=existing[-1] if existing else None,
                    note=base.note if note is None else note, created=created)
    manifest = Manifest(
        format=FORMAT, task=saved.task, version=version, parent=saved.parent, created=created, note=saved.note,
        functions=[
            ManifestEntry(**f.model_dump(exclude={"source"}), file=f"functions/{f.name}.py", sha256=_sha256(f.source))
            for f in saved.functions
        ],
    )
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".staging-"))
    try:
        (staging / "functions").mkdir()
        for f in saved.functions:
            (staging / "functions" / f"{f.name}.py").write_text(f.source, encoding="utf-8")
        (staging / "manifest.json").write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
        staging.rename(root / f"v{version:04d}")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    atomic_write_text(root / "CURRENT", f"{version}\n")
    return saved


def _version_dir(path: Path, version: int | None) -> Path:
    if (path / "manifest.json").is_file():
        if version is not None:
            raise UserInputError(f"{path} is a single version directory; drop --version or point at its parent")
        return path
    if not path.is_dir():
        raise UserInputError(f"function base not found: {path}")
    if version is None:
        current = path / "CURRENT"
        if not current.is_file():
            raise UserInputError(f"{path} is not a function base (no CURRENT file and no manifest.json)")
        try:
            version = int(current.read_text().strip())
        except ValueError:
            raise UserInputError(f"{current} is corrupt: expected a version number") from None
    vdir = path / f"v{version:04d}"
    if not vdir.is_dir():
        raise UserInputError(f"{path} has no version {version}; versions: {_versions(path)}")
    return vdir


def load_base(path: str | Path, version: int | None = None) -> FunctionBase:
    """Load a base root (its current or a given version) or one version directory."""
    vdir = _version_dir(Path(path), version)
    try:
        manifest = Manifest.model_validate_json((vdir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"cannot read {vdir / 'manifest.json'}: {exc}") from None
    except ValidationError as exc:
        raise UserInputError(f"{vdir / 'manifest.json'} is not a valid {FORMAT} manifest:\n{exc}") from None
    specs = []
    for entry in manifest.functions:
        src_path = vdir / entry.file
        try:
            source = src_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserInputError(f"cannot read {src_path}: {exc}") from None
        if _sha256(source) != entry.sha256:
            raise UserInputError(f"{src_path} does not match its manifest checksum; the base was edited or damaged")
        specs.append(FunctionSpec(**entry.model_dump(exclude={"file", "sha256"}), source=source))
    return FunctionBase(task=manifest.task, functions=tuple(specs), version=manifest.version,
                        parent=manifest.parent, note=manifest.note, created=manifest.created)


def list_versions(root: str | Path) -> list[str]:
    """One line per stored version: number, current mark, function count, date and note."""
    root = Path(root)
    current = _version_dir(root, None).name
    lines = []
    for v in _versions(root):
        base = load_base(root, v)
        mark = "*" if f"v{v:04d}" == current else " "
        lines.append(f"{mark} v{v:04d}  {base.task}  {len(base.functions)} functions  {base.created}  {base.note}")
    return lines
