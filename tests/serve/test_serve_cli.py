"""`logicdistill serve` as a command: it serves, and bad input is one clear line before any model loads."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from helpers import free_port

pytestmark = pytest.mark.slow


def serve(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "logicdistill", "serve", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ | {"OMP_NUM_THREADS": "1"},
    )


def test_serve_answers_models_until_stopped():
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "logicdistill",
            "serve",
            "--port",
            str(port),
            "--dtype",
            "float32",
            "--served-model-name",
            "tiny",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ | {"OMP_NUM_THREADS": "1"},
    )
    try:
        deadline, models = time.time() + 120, None
        while models is None and time.time() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as response:
                    models = json.loads(response.read())
            except OSError:
                time.sleep(0.5)
        assert models is not None, process.stdout.read() if process.poll() is not None else "no answer in 120 s"
        assert [m["id"] for m in models["data"]] == ["tiny"]
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--run", "no/such/run"], "run folder not found: no/such/run"),
        (["--run", "r", "--student", "s"], "give --run or --student, not both"),
        (["--student", "no/such-model"], "cannot load student model 'no/such-model'"),
        (["--max-tokens", "0"], "--max-tokens must be at least 1"),
    ],
)
def test_bad_input_is_one_clear_line(args, words):
    run = serve("--port", str(free_port()), *args)
    printed = " ".join(run.stderr.split())
    assert run.returncode == 2 and words in printed and "Traceback" not in printed


def test_a_busy_port_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = serve("--port", str(port))
    printed = " ".join(run.stderr.split())
    assert run.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in printed
