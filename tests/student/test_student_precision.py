"""The compute precision, for inference and training alike: bf16 only where the hardware computes it
natively (``student.model.choose_precision``), decided from injected hardware facts."""

import platform

import pytest
import torch

from logicdistill.errors import UserInputError
from logicdistill.student.model import choose_precision, cpu_flags, resolve_precision

AVX2 = {"sse4_2", "avx", "avx2", "fma"}  # a laptop without native bf16
AVX512 = AVX2 | {"avx512f", "avx512bw", "avx512_vnni"}  # Skylake-X, Ice Lake: AVX512, still no bf16
AVX512_BF16 = AVX512 | {"avx512_bf16"}  # Cooper Lake, Zen 4
AMX = AVX512_BF16 | {"amx_tile", "amx_bf16", "amx_int8"}  # Sapphire Rapids


@pytest.mark.parametrize(
    "flags, dtype, reason",
    [
        (AVX2, torch.float32, "CPU without AVX512-BF16/AMX"),
        (AVX512, torch.float32, "CPU without AVX512-BF16/AMX"),
        (set(), torch.float32, "CPU without AVX512-BF16/AMX"),  # no flags known (an ARM CPU, say)
        (AVX512_BF16, torch.bfloat16, "CPU with AVX512-BF16"),
        (AVX512 | {"amx_bf16"}, torch.bfloat16, "CPU with AMX-BF16"),
        (AMX, torch.bfloat16, "CPU with AVX512-BF16 and AMX-BF16"),
    ],
)
def test_auto_on_a_cpu_is_bf16_only_with_native_bf16(flags, dtype, reason):
    chosen = choose_precision("auto", "cpu", frozenset(flags))
    assert (chosen.dtype, chosen.reason) == (dtype, reason)
    assert chosen.as_json() == {"dtype": str(dtype).removeprefix("torch."), "reason": reason}


def test_auto_on_cuda_follows_the_devices_bf16_support_not_the_cpus():
    assert choose_precision("auto", "cuda", AVX2, cuda_bf16=True).as_json() == {
        "dtype": "bfloat16",
        "reason": "CUDA device with bf16 support",
    }
    assert choose_precision("auto", "cuda", AMX, cuda_bf16=False).as_json() == {
        "dtype": "float32",
        "reason": "CUDA device without bf16 support",
    }


def test_auto_on_other_devices_is_fp32():
    assert choose_precision("auto", "mps", AMX, cuda_bf16=True).as_json() == {
        "dtype": "float32",
        "reason": "no native bf16 known for mps devices",
    }


def test_a_requested_dtype_is_used_as_given_and_emulated_bf16_is_named():
    for device, flags in [("cpu", AVX2), ("cpu", AMX), ("cuda", set()), ("mps", set())]:
        assert choose_precision("float32", device, flags, cuda_bf16=True).as_json() == {
            "dtype": "float32",
            "reason": "requested explicitly",
        }
    assert choose_precision("bfloat16", "cpu", AMX).as_json() == {"dtype": "bfloat16", "reason": "requested explicitly"}
    slow = choose_precision("bfloat16", "cpu", AVX512)
    assert slow.dtype == torch.bfloat16 and "emulated (slow)" in slow.reason


@pytest.mark.parametrize("dtype", ["fp16", "float16", "", "Auto"])
def test_an_unknown_dtype_is_one_line(dtype):
    with pytest.raises(UserInputError, match="choose auto, float32 or bfloat16"):
        choose_precision(dtype, "cpu", AMX)


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"),
    reason="reads /proc/cpuinfo's x86 flags",
)
def test_this_machines_flags_agree_with_torchs_own_probe():
    flags = cpu_flags()
    assert "sse2" in flags  # every x86-64 CPU has it: a real flags line was read
    assert ("avx512_bf16" in flags) == torch.cpu._is_avx512_bf16_supported()
    chosen = resolve_precision("auto", torch.device("cpu"))
    native = {"avx512_bf16", "amx_bf16"} & flags
    assert chosen.dtype == (torch.bfloat16 if native else torch.float32)
    assert resolve_precision("float32", torch.device("cpu")).dtype == torch.float32


@pytest.mark.parametrize(
    ("flags", "kind"),
    [
        ({"avx2", "avx512f", "avx512_bf16"}, "AVX512-BF16"),
        ({"avx2", "amx_bf16", "avx512_bf16"}, "AVX512-BF16, AMX-BF16"),
        ({"avx2", "fma"}, "AVX2, no native bf16"),
        ({"avx2", "avx512f"}, "AVX512, no native bf16"),
        (set(), "no native bf16"),
    ],
)
def test_cpu_kind_names_what_decides_the_speed(monkeypatch, flags, kind):
    """What benchmarks and reports record beside each figure: native bf16 or not."""
    import platform

    from logicdistill.student import model

    monkeypatch.setattr(model, "cpu_flags", lambda: frozenset(flags))
    assert model.cpu_kind() == f"{platform.machine()}, {kind}"
