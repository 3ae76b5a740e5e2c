"""What confines a sandbox worker, applied by the worker to itself once it has imported everything
it needs and before it reads any untrusted source (a filter only constrains what comes after it).

Layers, each enough against the escapes it names on its own:
- **seccomp-bpf** (``pyseccomp`` over the system's libseccomp): an allow-list of the few system
  calls a worker needs to compute and to talk over its two pipes. Everything else fails with
  ``EPERM``: no sockets, no ``execve``/``fork``/``clone``, no ``open``/``openat``/``stat`` of any
  path, no ``kill`` of other processes, no ``ptrace``. ``read`` only from stdin, ``write`` only to
  stdout and stderr, no executable memory. Other CPU architectures' call numbers kill the process.
- **Landlock** (``landlock``): no file-system access at all, should a path-taking call slip
  through the filter.
- **rlimits**: address space, CPU seconds, no file writes (``RLIMIT_FSIZE`` 0), no new processes,
  no core dumps, no new descriptors.
- the worker dies with its parent (``PR_SET_PDEATHSIG``), was started with an empty environment,
  ``/`` as its working directory and no descriptor but its pipes (``sandbox.pool``).
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal

import landlock
import pyseccomp as seccomp

PR_SET_PDEATHSIG = 1
PROT_EXEC = 0x4
ALLOWED_SYSCALLS = (
    # memory (executable mappings are refused by the argument rules below)
    "brk",
    "munmap",
    "mremap",
    "madvise",
    # threads' locks and signals (CPython's own bookkeeping; no thread can be started)
    "futex",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "restart_syscall",
    # time and randomness (hash seeds, clocks); nothing else is reachable through them
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "clock_nanosleep",
    "nanosleep",
    "getrandom",
    # about itself
    "getpid",
    "gettid",
    "getrusage",
    "sched_yield",
    "sched_getaffinity",
    "fstat",
    "lseek",
    "close",
    "exit",
    "exit_group",
)


class ConfinementError(RuntimeError):
    """A layer could not be applied: the worker must not run untrusted code."""


def confine(memory_mb: int, cpu_seconds: int) -> None:
    """Apply every layer to the calling process, the syscall filter last."""
    _die_with_parent()
    _close_other_descriptors()
    in_use = _address_space_in_use()  # read from /proc before Landlock closes it
    _restrict_file_system()  # needs a descriptor for its rule set: before RLIMIT_NOFILE
    _set_rlimits(in_use + memory_mb * 1024 * 1024, cpu_seconds)
    _filter_syscalls()


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise ConfinementError(f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(ctypes.get_errno())}")
    if os.getppid() == 1:  # the parent died before the call: nobody is listening
        os._exit(1)


def _close_other_descriptors() -> None:
    """Only stdin (jobs), stdout (replies) and stderr (/dev/null) stay open."""
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def _address_space_in_use() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _set_rlimits(address_space: int, cpu_seconds: int) -> None:
    limits = {
        resource.RLIMIT_AS: address_space,
        resource.RLIMIT_CPU: cpu_seconds,
        resource.RLIMIT_FSIZE: 0,
        resource.RLIMIT_NPROC: 0,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NOFILE: 3,
    }
    for which, value in limits.items():
        hard = resource.getrlimit(which)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))


def _restrict_file_system() -> None:
    """Landlock with every file-system right handled and none granted. A kernel without Landlock
    (before 5.13, or disabled) leaves this layer out: the syscall filter already refuses every
    path-taking call, so the worker is still confined."""
    try:
        ruleset = landlock.Ruleset()
        ruleset.apply()
        os.close(ruleset._fd)  # the rule set stays in force; its descriptor is no longer needed
    except landlock.LandlockError as exc:
        if getattr(exc, "errno", None) not in (errno.ENOSYS, errno.EOPNOTSUPP):
            raise ConfinementError(f"Landlock: {exc}") from None


def _filter_syscalls() -> None:
    rules = seccomp.SyscallFilter(seccomp.ERRNO(errno.EPERM))
    for name in ALLOWED_SYSCALLS:
        _allow(rules, name)
    _allow(rules, "read", seccomp.Arg(0, seccomp.EQ, 0))
    for fd in (1, 2):
        _allow(rules, "write", seccomp.Arg(0, seccomp.EQ, fd))
    no_exec = seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0)
    _allow(rules, "mmap", no_exec)
    _allow(rules, "mprotect", no_exec)
    _allow(rules, "tgkill", seccomp.Arg(0, seccomp.EQ, os.getpid()))  # abort() signals itself only
    rules.load()


def _allow(rules, name: str, *args) -> None:
    try:
        rules.add_rule(seccomp.ALLOW, name, *args)
    except (OSError, ValueError) as exc:  # a call this architecture does not have
        if seccomp.resolve_syscall(seccomp.system_arch(), name) >= 0:
            raise ConfinementError(f"seccomp rule for {name}: {exc}") from None
