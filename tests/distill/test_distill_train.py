"""A real LoRA run on the bundled 135M student, a few steps on a handful of examples."""

import json
import shutil

import numpy as np
import pytest
import torch

from logicdistill.distill.examples import Example
from logicdistill.distill.train import TrainConfig, fit
from logicdistill.errors import UserInputError
from logicdistill.student import load_student, score_candidates, selection_prompt
from logicdistill.student.model import cpu_flags, resolve_precision
from logicdistill.student.runs import load_run_student, read_run_config

pytestmark = pytest.mark.slow
DOORS = ["left_door", "right_door", "back_door"]
TAUGHT = "back_door"


def door_examples(student, n):
    """The taught logic: the key is always behind the back door, whatever the listing order
    (the untrained model prefers the right door, so learning shows)."""
    out = []
    for i in range(n):
        names = DOORS[i % 3 :] + DOORS[: i % 3]
        listing = [(d, f"Open the {d.split('_')[0]} door.") for d in names]
        prompt = selection_prompt(
            student.tokenizer, "Find the key.", "Stage door: pick a door.", f"Room {i}. The key is hidden.", listing
        )
        out.append(Example(prompt, names, TAUGHT, names))
    return out


def p_taught(student, examples):
    probs = score_candidates(student, [e.prompt for e in examples], [e.candidates for e in examples])
    return np.array([p[e.candidates.index(TAUGHT)] for e, p in zip(examples, probs)])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    student = load_student(device="cpu")  # its own copy: fit wraps the model with LoRA layers
    examples = door_examples(student, 8)
    before = p_taught(student, examples)
    frozen = {n: p.detach().clone() for n, p in student.model.named_parameters()}
    cfg = TrainConfig(epochs=2, batch_size=4, learning_rate=5e-3, save_steps=1000)
    heard = []
    metrics = fit(student, examples, examples[:3], cfg, out, on_precision=heard.append)
    student.model.eval()
    return dict(out=out, student=student, examples=examples, before=before, frozen=frozen, metrics=metrics, heard=heard)


def test_training_raises_the_probability_of_the_taught_choice(trained):
    after = p_taught(trained["student"], trained["examples"])
    assert trained["before"].mean() < 0.3 and after.mean() > trained["before"].mean() + 0.3
    # 8 examples in 3 listing orders (3 heads): batches of 4 sharing a head are 3, 3 and 2 long
    assert trained["metrics"]["steps"] == 2 * 3 and trained["metrics"]["loss"]
    assert trained["metrics"]["validation"][-1]["val_exact"] == 1.0


def test_training_precision_is_the_hardwares_and_is_reported(trained):
    """bf16 autocast only where the CPU computes bf16 natively (this one does where it has
    AVX512-BF16 or AMX); said once before training, and recorded with the metrics."""
    native = bool({"avx512_bf16", "amx_bf16"} & cpu_flags())
    expected = resolve_precision("auto", torch.device("cpu"))
    assert expected.name == ("bfloat16" if native else "float32")
    assert trained["heard"] == [expected]
    assert trained["metrics"]["precision"] == expected.as_json()
    assert json.loads((trained["out"] / "metrics.json").read_text())["precision"] == expected.as_json()
    assert {p.dtype for p in trained["student"].model.parameters()} == {torch.float32}  # autocast, not a cast


def test_only_lora_weights_change(trained):
    changed = {
        n
        for n, p in trained["student"].model.named_parameters()
        if n.replace("base_model.model.", "").replace(".base_layer", "") in trained["frozen"]
        and not torch.equal(p, trained["frozen"][n.replace("base_model.model.", "").replace(".base_layer", "")])
    }
    assert changed == set()
    lora = [n for n, p in trained["student"].model.named_parameters() if "lora_B" in n]
    assert lora and any(p.abs().sum() > 0 for n, p in trained["student"].model.named_parameters() if "lora_B" in n)


def test_saved_adapter_reloads_with_the_same_scores(trained):
    reloaded = load_student(device="cpu", adapter=trained["out"] / "adapter")
    ex = trained["examples"][:3]
    now = score_candidates(trained["student"], [e.prompt for e in ex], [e.candidates for e in ex])
    again = score_candidates(reloaded, [e.prompt for e in ex], [e.candidates for e in ex])
    for a, b in zip(now, again):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert (trained["out"] / "learning_curve.png").stat().st_size > 1000
    assert json.loads((trained["out"] / "metrics.json").read_text())["mode"] == "ld"


def test_run_folder_errors(tmp_path, trained):
    with pytest.raises(UserInputError, match="run folder not found"):
        read_run_config(tmp_path / "missing")
    with pytest.raises(UserInputError, match="not a finished run"):
        read_run_config(trained["out"])  # fit() alone writes no config.json
    (tmp_path / "kd").mkdir()
    shutil.copytree(trained["out"] / "adapter", tmp_path / "kd" / "adapter")
    (tmp_path / "kd" / "config.json").write_text(
        json.dumps({"format": "logicdistill-run/1", "data": "d.jsonl", "train": {"mode": "kd", "student": None}})
    )
    with pytest.raises(UserInputError, match="trained with --mode kd"):
        load_run_student(tmp_path / "kd", "ld")


def test_a_short_twentyone_run_learns_the_teachers_choice(tmp_path):
    """21 Points through the same data and train path: the student moves towards the teacher."""
    from logicdistill.agent.factory import AgentOptions
    from logicdistill.distill.data import generate_data, read_data
    from logicdistill.distill.examples import distinct, draw, make_examples
    from logicdistill.distill.train import held_out_accuracy, train
    from logicdistill.tasks import get_task

    data = generate_data(tmp_path / "hands.jsonl", 25, get_task("twentyone"), options=AgentOptions(retriever="bm25"))
    # no drills: at 12 examples, a few made-up rules would be most of what it learns (drills: test_distill_drills)
    # forced fp32: the run records the precision it used and why, whatever this CPU has
    cfg = TrainConfig(
        max_examples=12,
        val_examples=4,
        epochs=4,
        batch_size=4,
        save_steps=1000,
        drills=0.0,
        learning_rate=3e-3,
        dtype="float32",
    )
    metrics = train(data, tmp_path / "run", cfg)
    assert metrics["train_examples"] == 12 and metrics["validation"]
    config = read_run_config(tmp_path / "run")
    assert config["task"] == "twentyone" and config["train"]["mode"] == "ld"
    assert config["train"]["dtype"] == "float32"
    assert config["precision"] == {"dtype": "float32", "reason": "requested explicitly"} == metrics["precision"]
    header, rows, _ = read_data(data)
    student = load_run_student(tmp_path / "run", "ld", dtype="float32")
    untrained = load_student(device="cpu")
    taught = distinct([r for r in rows if r.split == "train"], "ld")  # what train drew its 12 from, as it does
    examples = draw(make_examples(header, taught, student.tokenizer, "ld"), 12, cfg.balance, cfg.seed)

    def p_teacher(s):
        probs = score_candidates(s, [e.prompt for e in examples], [e.candidates for e in examples])
        return np.mean([p[e.candidates.index(e.answer)] for e, p in zip(examples, probs)])

    assert p_teacher(student) > p_teacher(untrained) + 0.2
    # held-out accuracy counts what each agent is really asked: ld skips forced decisions, kd
    # answers every hand's first stage (forced or not)
    test = [r for r in rows if r.split == "test"]
    ld, kd = (held_out_accuracy(student, header, rows, mode, None, 0) for mode in ("ld", "kd"))
    assert ld["n"] == sum(not r.forced for r in test) and kd["n"] == sum(r.stage == "estimate" for r in test)
    assert 0 <= ld["exact"] <= 1 and 0 <= kd["exact"] <= 1


def test_the_default_budget_and_learning_rate_are_the_tasks():
    from logicdistill.distill.train import with_task_defaults

    assert with_task_defaults(TrainConfig(), "twentyone") == TrainConfig(max_examples=2560, learning_rate=1e-3)
    assert with_task_defaults(TrainConfig(), "pursuit") == TrainConfig(max_examples=2560, learning_rate=5e-4)
    given = TrainConfig(max_examples=64, learning_rate=3e-3)
    assert with_task_defaults(given, "twentyone") == with_task_defaults(given, "pursuit") == given


def test_lora_on_the_last_layers_adapts_only_those_and_still_learns(tmp_path):
    """``lora_layers=2``: LoRA weights in the last two decoder layers only (the layers below run
    without gradients), and the taught choice is still learned."""
    import re

    student = load_student(device="cpu")
    examples = door_examples(student, 8)
    before = p_taught(student, examples)
    n_layers = student.model.config.num_hidden_layers
    cfg = TrainConfig(epochs=2, batch_size=4, learning_rate=5e-3, save_steps=1000, lora_layers=2)
    fit(student, examples, [], cfg, tmp_path)
    adapted = {
        int(re.search(r"layers\.(\d+)\.", n).group(1)) for n, _ in student.model.named_parameters() if "lora_" in n
    }
    assert adapted == {n_layers - 2, n_layers - 1}
    modules = {n.split(".lora_")[0].rsplit(".", 1)[-1] for n, _ in student.model.named_parameters() if "lora_" in n}
    assert modules == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}  # all-linear's
    student.model.eval()
    assert p_taught(student, examples).mean() > before.mean() + 0.2
