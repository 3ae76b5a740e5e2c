"""The OS layer holds by itself: functions that reach the real builtins (the classic
``().__class__.__base__.__subclasses__()`` walk, which no restricted-globals scheme stops) run in
the sandbox with the static checks switched off (``Sandbox`` runs whatever it is given), and
still cannot write or read files, connect, start processes, signal other processes, see the
parent's environment or descriptors, or change anything in the parent. Each attack is checked by
its effect: the scratch folder is unchanged, the listener accepted nothing, the parent is intact.
"""

from __future__ import annotations

import math
import os
import socket
import threading

import pytest

from logicdistill.functions import FunctionSpec, Manual, Provenance, Verification
from logicdistill.functions.sandbox import Sandbox, SandboxLimits, task_reference
from logicdistill.tasks import get_task

SYS_SOCKET = {"x86_64": 41, "aarch64": 198}[os.uname().machine]
TASK = get_task("twentyone")
STATE = TASK.verification_samples().samples[0].state

# Real builtins, os and sys, from inside any function: walks the subclasses of object to a
# function defined in the os module and takes its globals.
PRELUDE = """
    for cls in ().__class__.__base__.__subclasses__():
        init = cls.__init__
        if init.__class__.__name__ == "function" and "path" in init.__globals__ and "sep" in init.__globals__:
            osmod = init.__globals__
            break
    b = osmod["__builtins__"]
    b = b if isinstance(b, dict) else b.__dict__
    imp = b["__import__"]
    os = imp("os")
    sys = imp("sys")
"""


def spec(body: str) -> FunctionSpec:
    source = "def attack(state):\n" + PRELUDE + "\n".join("    " + line for line in body.strip().splitlines()) + "\n"
    return FunctionSpec(
        name="attack",
        stage="estimate",
        signature="(state)",
        manual=Manual(what="x", when="y"),
        source=source,
        provenance=Provenance(kind="teacher"),
        verification=Verification(status="verified"),
    )


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(task_reference(TASK), SandboxLimits(call_ms=2000))
    yield box
    box.close()


def run(sandbox: Sandbox, body: str):
    return sandbox.call([TASK.snapshot(STATE, 0, {}, {})], [(spec(body), (), 0)])[0]


def files(root) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_prelude_really_reaches_the_real_builtins(sandbox):
    """Without this the other tests would prove nothing: inside the worker the escape works."""
    outcome = run(sandbox, 'return [os.getpid() > 0, "open" in b, sys.version_info[0]]')
    assert outcome.error is None and outcome.value == [True, True, 3]


@pytest.mark.parametrize(
    "attack",
    [
        'b["open"](SCRATCH + "/written.txt", "w").write("escaped")',
        'os.open(SCRATCH + "/created.txt", os.O_CREAT | os.O_WRONLY)',
        'os.mkdir(SCRATCH + "/dir")',
        'imp("subprocess").run(["touch", SCRATCH + "/by_subprocess"])',
        'os.posix_spawn("/bin/touch", ["touch", SCRATCH + "/by_spawn"], {})',
        'os.rename(SCRATCH + "/keep.txt", SCRATCH + "/moved.txt")',
        'os.unlink(SCRATCH + "/keep.txt")',
        'os.symlink("/etc/passwd", SCRATCH + "/link")',
    ],
)
def test_no_file_or_process_escapes(sandbox, tmp_path, attack):
    (tmp_path / "keep.txt").write_text("original")
    before = files(tmp_path)
    outcome = run(sandbox, attack.replace("SCRATCH", repr(str(tmp_path))) + "\nreturn 17")
    assert outcome.error is not None and outcome.value is None
    assert files(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize(
    "attack",
    [
        'os.system("touch " + SCRATCH + "/by_shell")',
        'sys.modules["ctypes"].CDLL(None).system(("touch " + SCRATCH + "/by_libc").encode())',
    ],
)
def test_shell_commands_fail_to_start(sandbox, tmp_path, attack):
    """``system()`` reports a failed start as exit status 127 instead of raising."""
    (tmp_path / "keep.txt").write_text("original")
    outcome = run(sandbox, "return " + attack.replace("SCRATCH", repr(str(tmp_path))))
    assert outcome.value == 127 << 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize(
    "attack",
    [
        'return b["open"]("/etc/passwd").read()',
        'return os.listdir("/")',
        'return os.stat("/etc/passwd").st_size',
        'return imp("ctypes")',  # not imported before confinement: its files cannot be opened
        "return os.fork()",
        'return os.execv("/bin/true", ["true"])',
    ],
)
def test_no_reading_files_or_starting_processes(sandbox, attack):
    outcome = run(sandbox, attack)
    assert outcome.error is not None and outcome.value is None


def test_no_network_connection(sandbox):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(1.0)
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(_accept(listener)))
    thread.start()
    port = listener.getsockname()[1]
    outcome = run(
        sandbox,
        f"""
s = imp("socket").socket()
s.connect(("127.0.0.1", {port}))
return 1""",
    )
    thread.join()
    listener.close()
    assert outcome.error is not None
    assert accepted == [None]


def test_raw_system_calls_are_filtered_too(sandbox):
    """libc's ``syscall()`` behind every Python wrapper: socket(AF_INET, SOCK_STREAM) fails."""
    outcome = run(sandbox, f'return sys.modules["ctypes"].CDLL(None).syscall({SYS_SOCKET}, 2, 1, 0)')
    assert outcome.value == -1


def _accept(listener: socket.socket):
    try:
        return listener.accept()
    except TimeoutError:
        return None


def test_no_signals_to_other_processes(sandbox):
    outcome = run(sandbox, f"os.kill({os.getpid()}, 9)\nreturn 1")
    assert outcome.error is not None  # and this test process is still running


def test_no_environment_and_no_inherited_descriptors(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("LOGICDISTILL_TEST_SECRET", "hunter2")
    with open(tmp_path / "open.txt", "w") as held:  # a descriptor the parent holds open
        assert held.fileno() > 2
        box = Sandbox(task_reference(TASK))  # started now, with the secret in the parent's environment
        try:
            outcome = box.call(
                [TASK.snapshot(STATE, 0, {}, {})],
                [
                    (
                        spec("""
readable = []
for fd in range(3, 256):
    try:
        os.fstat(fd)
        readable.append(fd)
    except b["OSError"]:
        pass
return [sorted(os.environ), readable]"""),
                        (),
                        0,
                    )
                ],
            )[0]
        finally:
            box.close()
    assert outcome.error is None
    names, readable = outcome.value
    assert "LOGICDISTILL_TEST_SECRET" not in names and readable == []


def test_patching_modules_changes_only_the_worker(sandbox):
    """What a function does to shared modules stays in its worker: the parent's are untouched."""
    outcome = run(sandbox, 'imp("math").pi = 3\nreturn 1')
    assert outcome.error is None
    assert math.pi == pytest.approx(3.14159, abs=1e-4)


@pytest.mark.parametrize(
    "attack, reason",
    [
        ("os._exit(3)", "exit status 3"),
        ("os.write(1, b'garbage that is not a frame')", "not plain data"),
        ('sys.modules["ctypes"].string_at(0)', "SIGSEGV"),
        ('imp("json").dumps = None', "exit status 1"),  # its replies cannot be written any more
    ],
)
def test_a_worker_killed_from_inside_is_replaced(sandbox, attack, reason):
    restarts = sandbox.restarts
    outcome = run(sandbox, attack + "\nreturn 1")
    assert outcome.fatal and reason in outcome.error
    assert sandbox.restarts == restarts + 1
    assert run(sandbox, "return 5").value == 5  # the next call gets a fresh worker
