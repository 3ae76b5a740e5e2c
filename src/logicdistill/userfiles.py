"""Reading files a user names (maps, function files, data, run folders, JSON) without surprises.

A path given on the command line can be anything: a FIFO that blocks ``open`` forever, a device
such as ``/dev/zero`` that never ends, a directory, a huge file, or bytes that are not UTF-8.
Every reader here opens without blocking, insists on a regular file, refuses oversized files
before reading them, and turns each problem into a ``UserInputError`` whose one-line message
names the file and says what is wrong. ``check_output_path`` does the same for files the toolkit
is about to write, so a long run does not fail only when it saves its result.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from logicdistill.errors import UserInputError

KiB, MiB = 1 << 10, 1 << 20


def describe_size(n: int) -> str:
    """A byte count as messages show it ("256 KiB")."""
    return f"{n / MiB:.3g} MiB" if n >= MiB else f"{n / KiB:.3g} KiB" if n >= KiB else f"{n} bytes"


def _open_flags() -> int:
    # O_NONBLOCK: opening a FIFO for reading waits for a writer otherwise; it only affects FIFOs and
    # devices, which are refused right after. O_NOCTTY: a terminal device never becomes ours.
    return os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def _os_error(exc: OSError, path: Path, what: str) -> UserInputError:
    if isinstance(exc, FileNotFoundError):
        return UserInputError(f"{what} not found: {path}")
    if isinstance(exc, NotADirectoryError):
        return UserInputError(f"{what} not found: {path} (a part of the path is a file, not a folder)")
    return UserInputError(f"cannot read {what} {path}: {exc.strerror or exc}")


@contextmanager
def open_user_file(path: str | Path, what: str, max_bytes: int | None = None) -> Iterator[BinaryIO]:
    """``path`` opened for binary reading once it is known to be a regular file of at most
    ``max_bytes`` (``None``: any size); ``what`` names it in errors ("map file")."""
    path = Path(path)
    try:
        fd = os.open(path, _open_flags())
    except OSError as exc:
        raise _os_error(exc, path, what) from None
    try:
        info = os.fstat(fd)  # of what was opened, so a swapped path cannot slip past the checks
        if stat.S_ISDIR(info.st_mode):
            raise UserInputError(f"{what} {path} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UserInputError(f"{what} {path} is not a regular file (a pipe, device or socket cannot be read)")
        if max_bytes is not None and info.st_size > max_bytes:
            raise UserInputError(
                f"{what} {path} is {describe_size(info.st_size)}; the most accepted is {describe_size(max_bytes)}"
            )
        os.set_blocking(fd, True)  # a regular file: reads behave as usual
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def read_user_bytes(path: str | Path, max_bytes: int, what: str) -> bytes:
    """The whole file, refusing anything that is not a regular file of at most ``max_bytes``."""
    with open_user_file(path, what, max_bytes) as fh:
        try:
            data = fh.read(max_bytes + 1)  # +1: a file that grew after the size check is still refused
        except OSError as exc:
            raise _os_error(exc, Path(path), what) from None
    if len(data) > max_bytes:
        raise UserInputError(f"{what} {path} is larger than {describe_size(max_bytes)}, the most accepted")
    return data


def decode_utf8(data: bytes, where: str) -> str:
    """``data`` as UTF-8 text; ``where`` (a path, or path:line) names it in the error."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserInputError(f"{where}: not UTF-8 text (byte {exc.start + 1} cannot be decoded)") from None


def read_user_text(path: str | Path, max_bytes: int, what: str) -> str:
    """A user-given text file as a string: a regular file, at most ``max_bytes``, UTF-8."""
    return decode_utf8(read_user_bytes(path, max_bytes, what), str(path))


def parse_json(text: str, where: str) -> Any:
    """JSON text parsed, with one clear line for malformed or absurdly nested input (the json
    module recurses once per level and raises RecursionError for deep nesting)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserInputError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise UserInputError(f"{where}: JSON nested too deeply to read") from None


def read_user_json(path: str | Path, max_bytes: int, what: str) -> Any:
    """A user-given JSON file parsed (any JSON value; callers check its shape)."""
    return parse_json(read_user_text(path, max_bytes, what), str(path))


def read_json_object(path: str | Path, max_bytes: int, what: str) -> dict[str, Any]:
    """A user-given JSON file that must hold an object."""
    value = read_user_json(path, max_bytes, what)
    if not isinstance(value, dict):
        raise UserInputError(f"{what} {path} does not hold a JSON object")
    return value


def check_output_path(path: str | Path, what: str) -> None:
    """Refuse, before any work, a file path that cannot be written: an existing folder or
    non-regular file in its place, or a nearest existing parent that is a file or not writable
    (missing parents are created by the writers)."""
    path = Path(path)
    if path.is_dir():
        raise UserInputError(f"{what} {path} is a folder; give a file path")
    if path.exists() and not path.is_file():
        raise UserInputError(f"{what} {path} is not a regular file; give a file path")
    check_output_folder(path.parent, f"the folder of {what} {path}")


def check_output_folder(folder: str | Path, what: str) -> None:
    """Refuse a folder path that cannot be created or written: a file in its place or on its way,
    or a nearest existing parent that is not writable."""
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UserInputError(f"cannot create {what} {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserInputError(f"cannot write {what} {folder}: {existing} is not writable")
