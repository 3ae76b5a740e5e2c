"""The served 135M student as the real endpoint behind the teacher client: `base build` asks it
for functions, whatever it writes is verified and rejected, the build fails cleanly with nothing
written, and `--replay` gives the same outcome from the store with the server stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
MAX_TOKENS = 32  # the server's cap per reply: too short for a whole function with its manual


def build(*args: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "logicdistill",
        "base",
        "build",
        "--task",
        "twentyone",
        "--per-stage",
        "1",
        "--retries",
        "1",
        *args,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=os.environ | {"OMP_NUM_THREADS": "1"}
    )


def test_base_build_against_the_served_student_rejects_cleanly_and_replays(served, tmp_path):
    out, again = tmp_path / "base", tmp_path / "again"
    live = build("--teacher", served.model_id, "--teacher-base-url", served.url, "--out", str(out))
    assert live.returncode == 2, live.stderr
    error = " ".join(live.stderr.split())  # rich wraps long lines
    assert (
        f"error: the teacher {served.model_id} wrote no function for stage 'estimate' that passed "
        "verification in 2 request(s); nothing was written"
        in error
        and "Traceback" not in error
    )
    printed = " ".join(live.stdout.split())
    assert "stage estimate: admitted none;" in printed and "in 2 request(s)" in printed
    assert not (out / "CURRENT").exists() and not list(out.glob("v*"))  # no base version at all
    exchanges = [json.loads(p.read_text()) for p in (out / "teacher-store").glob("*.json")]
    assert len(exchanges) == 2  # the first request and one retry that fed the rejections back
    first, second = sorted(exchanges, key=lambda e: len(e["request"]["messages"]))
    retry = second["request"]["messages"]
    assert retry[:-2] == first["request"]["messages"]  # the same conversation goes on
    assert retry[-2] == {"role": "assistant", "content": first["reply"]["content"]}
    assert retry[-1]["content"].startswith("Verification rejected some of your functions:\n- ")
    for exchange in exchanges:
        assert exchange["reply"]["model"] == served.model_id
        assert 0 < exchange["reply"]["usage"]["completion_tokens"] <= MAX_TOKENS

    served.stop()
    replayed = build("--teacher", served.model_id, "--replay", str(out / "teacher-store"), "--out", str(again))
    assert replayed.returncode == 2
    assert replayed.stdout == live.stdout and replayed.stderr == live.stderr
    assert not (again / "CURRENT").exists()
