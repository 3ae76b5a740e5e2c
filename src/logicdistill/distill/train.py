"""LoRA fine-tuning of the student on distillation data (``logicdistill train``).

Built on ``transformers.Trainer`` so that checkpoints, ``--resume``, bf16 autocast (where the
hardware computes bf16 natively: ``student.model.choose_precision``) and multi-GPU
runs under ``accelerate launch`` come from a well-kept engine. The loss covers the answer tokens
only, tokenized exactly as the scorer reads them, so what is trained is what is scored.

A run folder holds everything ``eval`` needs: ``config.json``, ``adapter/``, ``metrics.json``,
``learning_curve.png`` and ``checkpoints/`` (while training).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from accelerate import PartialState

from logicdistill.distill.data import DecisionRow, read_data
from logicdistill.distill.examples import (
    Example,
    Mode,
    accuracy,
    distinct,
    draw,
    example_rows,
    make_examples,
    sample,
    with_drills,
)
from logicdistill.errors import UserInputError
from logicdistill.functions.base import atomic_write_text
from logicdistill.student.answers import answer_paths, branch_log_probs
from logicdistill.student.heads import HeadCache, head_cache
from logicdistill.student.model import Student, load_student, resolve_precision
from logicdistill.student.runs import RUN_FORMAT
from logicdistill.student.scoring import score_candidates
from logicdistill.tasks.registry import task_class
from logicdistill.userfiles import check_output_folder

if TYPE_CHECKING:
    from logicdistill.student.model import Precision

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Training settings; the defaults take about 15 minutes for 21 Points (8 on two threads of an
    idle 2-core CPU) and 15 for pursuit on two (only the prompt tails are trained: ``heads.py``)."""

    mode: Mode = "ld"  # ld: select functions; kd: imitate the teacher's actions
    student: str | None = None  # model path or id; None = bundled SmolLM2-135M-Instruct
    max_examples: int | None = None  # draws from the train split (the budget); None: the task's recipe
    balance: float = 0.5  # 0: natural answer frequencies; 1: every answer equally often (examples.draw)
    drills: float = 0.25  # share of ld draws rewritten as emergency drills (drills.py); 0 for none
    val_examples: int = 200  # validation examples scored after every epoch
    epochs: int = 1  # more distinct examples beat more passes over fewer at the same cost
    batch_size: int = 8
    learning_rate: float | None = None  # peak rate; None: the task's recipe
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_layers: int | None = field(
        default=None,
        metadata={
            "help": "adapt only the last N decoder layers (None: all). The layers below then run without "
            "gradients, so a step costs less; what the student must learn sits in the later layers"
        },
    )
    max_length: int = 640  # longer examples are skipped (and counted)
    save_steps: int = 25
    seed: int = 0
    drop_defaulted: bool = False  # leave out what a teacher LLM did not really answer (``without_defaulted``)
    dtype: str = field(
        default="auto",
        metadata={
            "help": "compute precision: auto (bf16 autocast where the hardware computes bf16 natively: CUDA with "
            "bf16, CPUs with AVX512-BF16 or AMX; else fp32), float32 or bfloat16"
        },
    )


def without_defaulted(rows: list[DecisionRow], mode: Mode) -> list[DecisionRow]:
    """``rows`` less what a teacher LLM did not really answer (``data --demonstrator llm``): for
    ``ld`` the decisions whose label fell back to the stage's default (``DecisionLabel.defaulted``);
    for ``kd`` every unit step that had one of them, since its final action followed from a default."""
    if mode == "ld":
        return [r for r in rows if not (r.label and r.label.defaulted)]
    tainted = {(r.episode, r.step, r.unit) for r in rows if r.label and r.label.defaulted}
    return [r for r in rows if (r.episode, r.step, r.unit) not in tainted]


def lora_config(cfg: TrainConfig, model):
    """LoRA on every linear layer of ``model``'s decoder, or of its last ``cfg.lora_layers`` layers."""
    from peft import LoraConfig

    n_layers = model.config.num_hidden_layers
    last = n_layers if cfg.lora_layers is None else min(cfg.lora_layers, n_layers)
    targets: str | list[str] = "all-linear"
    if last < n_layers:  # peft takes a layer list only with the modules named
        targets = sorted(linear_module_names(model))
    return LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=targets,
        layers_to_transform=None if last == n_layers else list(range(n_layers - last, n_layers)),
        task_type="CAUSAL_LM",
    )


def linear_module_names(model) -> set[str]:
    """The names (last part) of the decoder's linear layers: what ``all-linear`` adapts, less the
    output projection onto the vocabulary."""
    import torch

    output = model.get_output_embeddings()
    return {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module is not output
    }


def tokenize(examples: list[Example], tokenizer, max_length: int) -> tuple[list[dict[str, Any]], int]:
    """Per example: the head's tokens; the tail and the answer tokens the scorer feeds; and the
    answer's branches, each as (columns before the end, the branch's tokens, the answer's own),
    read exactly as the scorer reads them (``student.answers``). Returns the rows and how many were
    too long."""

    rows, skipped = [], 0
    for ex in examples:
        head = tokenizer(ex.prompt.head, add_special_tokens=False).input_ids
        tail = tokenizer(ex.prompt.tail, add_special_tokens=False).input_ids
        path = answer_paths(tokenizer, ex.candidates)[ex.candidates.index(ex.answer)]
        if len(head) + len(tail) + len(path.fed) > max_length:
            skipped += 1
            continue
        branches = [(len(path.fed) - br.depth, br.tokens, br.own) for br in path.branches]
        rows.append({"head": head, "input_ids": tail + path.fed, "branches": branches})
    return rows, skipped


def head_batches(rows: list[dict[str, Any]], batch_size: int, seed: int) -> list[list[dict[str, Any]]]:
    """Batches of rows that share a head (one head's keys and values serve the whole batch),
    rows of similar length together (less padding), in a shuffled order."""
    rng = np.random.default_rng(seed)
    groups: dict[tuple[int, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r["head"]), []).append(r)
    out = []
    for group in groups.values():
        group = sorted(group, key=lambda r: len(r["input_ids"]))
        out += [group[i : i + batch_size] for i in range(0, len(group), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def choose(student, examples: list[Example], batch: int = 16) -> list[str]:
    """The student's pick for each example (argmax of its candidate distribution)."""

    picks = []
    for i in range(0, len(examples), batch):
        chunk = examples[i : i + batch]
        probs = score_candidates(student, [e.prompt for e in chunk], [e.candidates for e in chunk])
        picks += [e.candidates[int(p.argmax())] for e, p in zip(chunk, probs)]
    return picks


def held_out_accuracy(student, header, rows, mode: Mode, limit: int | None, seed: int) -> dict[str, float]:
    """The student's answers on the test split against the teacher's, over the decisions an agent
    really asks (``ld`` skips forced ones; ``kd`` answers every step), at their real frequencies."""
    test = [r for r in rows if r.split == "test" and (mode == "kd" or not r.forced)]
    examples = sample(make_examples(header, test, student.tokenizer, mode), limit, seed)
    return accuracy(examples, choose(student, examples))


def with_task_defaults(cfg: TrainConfig, task: str) -> TrainConfig:
    """``cfg`` with what it leaves open taken from the task's recipe (``Task.recipe``; ``task``:
    a registered name or a reference): the budget of draws and the learning rate its default run
    needs."""
    recipe = task_class(task).recipe
    return replace(
        cfg,
        max_examples=recipe.train_examples if cfg.max_examples is None else cfg.max_examples,
        learning_rate=recipe.learning_rate if cfg.learning_rate is None else cfg.learning_rate,
    )


def _check_run_folder(out: Path, resume: bool) -> None:
    """Refuse an unusable --out before anything loads or is written."""
    if out.exists() and not out.is_dir():
        raise UserInputError(f"run folder {out} is a file; pick another --out")
    if (out / "adapter").exists() and not resume:
        raise UserInputError(f"{out} already holds a trained run; pick another --out or pass --resume")
    if resume and not out.is_dir():
        raise UserInputError(f"cannot resume: run folder {out} does not exist")
    check_output_folder(out, "run folder")


def _drop_defaulted(data_path: str | Path, header, rows: list[DecisionRow], mode: Mode) -> tuple[list, int]:
    """The rows ``without_defaulted`` in the train and validation splits (the test split stays
    what ``eval`` scores against), and how many were left out."""
    if header.labels is None:
        raise UserInputError(
            f"--drop-defaulted: {data_path} was not labelled by a teacher LLM (`data --demonstrator llm`), "
            "so no label fell back to a default"
        )
    keep = {id(r) for r in without_defaulted([r for r in rows if r.split != "test"], mode)}
    kept = [r for r in rows if r.split == "test" or id(r) in keep]
    return kept, len(rows) - len(kept)


def _check_trainable(data_path: str | Path, header, rows, mode: Mode, note: str = "") -> None:
    """At least one training example, known from the rows alone (before the student loads)."""
    if not example_rows(header, [r for r in rows if r.split == "train"], mode):
        raise UserInputError(
            f"{data_path} has no training examples for mode {mode} (no usable decisions in "
            f"its train split{note}); generate more episodes with `logicdistill data`"
        )


@contextmanager
def _run_folder(out: Path):
    """Create ``out`` for a run; if the run fails before its first checkpoint, remove what it
    wrote (the folder, or its contents where the folder was there and empty), so no half-written
    run is left. A run that saved a checkpoint keeps it for ``--resume``; it has no config.json,
    which marks it unfinished to every reader."""
    existed = out.exists()
    fresh = not existed or not any(out.iterdir())
    out.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        if fresh and not any((out / "checkpoints").glob("checkpoint-*")):
            shutil.rmtree(out, ignore_errors=True)
            if existed:
                out.mkdir()
        raise


def processes() -> PartialState:
    """This process's place among the training processes: one, or several under ``accelerate launch``
    or ``torchrun`` (gloo DDP on CPUs, NCCL on GPUs). Every process trains on its share of the
    batches; only the main one writes the run folder and reports."""
    return PartialState()


def train(
    data_path: str | Path,
    out: str | Path,
    cfg: TrainConfig,
    resume: bool = False,
    on_precision: Callable[[Precision], None] | None = None,
) -> dict[str, Any]:
    """Train a LoRA adapter on a data file; returns the metrics also written to ``metrics.json``.
    The data and ``out`` are checked before the student loads or anything is written.
    ``on_precision`` hears the compute precision chosen, once, before training starts."""
    out = Path(out)
    header, rows, _ = read_data(data_path)
    cfg = with_task_defaults(cfg, header.task_class or header.task)
    dropped = 0
    if cfg.drop_defaulted:
        rows, dropped = _drop_defaulted(data_path, header, rows, cfg.mode)
    note = " once --drop-defaulted left out the defaulted labels" if dropped else ""
    _check_trainable(data_path, header, rows, cfg.mode, note)
    _check_run_folder(out, resume)
    state = processes()
    state.wait_for_everyone()  # every process has checked the folder before the main one creates it
    if not state.is_main_process:
        return _train_into(out, data_path, header, rows, cfg, resume, None, dropped)
    with _run_folder(out):
        return _train_into(out, data_path, header, rows, cfg, resume, on_precision, dropped)


def _train_into(
    out: Path,
    data_path: str | Path,
    header,
    rows,
    cfg: TrainConfig,
    resume: bool,
    on_precision: Callable[[Precision], None] | None,
    dropped: int = 0,
) -> dict[str, Any]:
    """``dropped``: decision rows ``cfg.drop_defaulted`` left out (recorded in the run's config)."""
    student = load_student(cfg.student)
    train_rows = distinct([r for r in rows if r.split == "train"], cfg.mode)  # the budget buys distinct decisions
    drawn = draw(
        make_examples(header, train_rows, student.tokenizer, cfg.mode), cfg.max_examples, cfg.balance, cfg.seed
    )
    forced = [r for r in train_rows if r.forced]
    examples = {
        "train": with_drills(drawn, forced, header, student.tokenizer, cfg.drills, cfg.seed),
        "val": sample(
            make_examples(header, [r for r in rows if r.split == "val"], student.tokenizer, cfg.mode),
            cfg.val_examples,
            cfg.seed,
        ),
    }  # validation keeps the real frequencies
    if not examples["train"]:
        raise UserInputError(f"{data_path} has no training examples for mode {cfg.mode}; generate more episodes")
    metrics = fit(student, examples["train"], examples["val"], cfg, out, resume, on_precision)
    if not processes().is_main_process:
        return metrics
    config = {
        "format": RUN_FORMAT,
        "data": str(Path(data_path).resolve()),
        "task": header.task,
        "retriever": header.retriever,
        "top_k": header.top_k,
        "base_fingerprint": header.base_fingerprint,
        "train": asdict(cfg),
        "dropped_defaulted": dropped,  # decision rows --drop-defaulted left out (train and val splits)
        "student_name": student.name,
        "precision": metrics["precision"],
    }
    atomic_write_text(out / "config.json", json.dumps(config, indent=2) + "\n")
    return metrics


def fit(
    student,
    train_ex: list[Example],
    val_ex: list[Example],
    cfg: TrainConfig,
    out: Path,
    resume: bool = False,
    on_precision: Callable[[Precision], None] | None = None,
) -> dict[str, Any]:
    """LoRA SFT on prepared examples; saves ``adapter/``, ``metrics.json`` and the learning curve.
    The weights keep the dtype they were loaded in (fp32 from ``train``); where ``cfg.dtype``
    resolves to bf16 on the student's device, the steps run under bf16 autocast
    (``metrics["precision"]`` says which precision, and why)."""
    import torch
    from peft import get_peft_model
    from transformers import TrainerCallback, TrainingArguments, set_seed

    precision = resolve_precision(cfg.dtype, student.device)
    log.info("training precision: %s (%s)", precision.name, precision.reason)
    if on_precision is not None:
        on_precision(precision)
    tokenizer = student.tokenizer
    AnswerLossTrainer = _answer_loss_trainer()
    train_rows, skipped = tokenize(train_ex, tokenizer, cfg.max_length)
    batches = head_batches(train_rows, cfg.batch_size, cfg.seed)
    set_seed(cfg.seed)  # the adapter's initial weights too: a run is reproducible from its seed
    model = get_peft_model(student.model, lora_config(cfg, student.model))
    history: list[dict[str, Any]] = []

    class ValidationAccuracy(TrainerCallback):
        def on_epoch_end(self, args, state, control, **kwargs):
            if not val_ex or not state.is_world_process_zero:  # the same adapter on every process: score it once
                return
            model.eval()
            acc = accuracy(val_ex, choose(Student(model, tokenizer, student.device, student.name), val_ex))
            model.train()
            history.append(
                {
                    "epoch": round(state.epoch or 0),
                    "step": state.global_step,
                    "val_exact": acc["exact"],
                    "val_equivalent": acc["equivalent"],
                    "val_balanced": acc["balanced"],
                }
            )
            log.info("epoch %s: validation accuracy %.3f", state.epoch, acc["exact"])

    use_cpu = student.device.type == "cpu"
    args = TrainingArguments(
        output_dir=str(out / "checkpoints"),
        per_device_train_batch_size=1,  # an item is a batch
        num_train_epochs=cfg.epochs,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=min(5, len(batches) // 4),
        logging_steps=1,
        save_steps=cfg.save_steps,
        save_total_limit=2,
        bf16=precision.dtype == torch.bfloat16,
        use_cpu=use_cpu,
        report_to="none",
        seed=cfg.seed,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,  # every LoRA weight takes part in every step
    )
    trainer = AnswerLossTrainer(
        model=model,
        args=args,
        train_dataset=batches,
        callbacks=[ValidationAccuracy()],
        data_collator=partial(collate, pad_id=tokenizer.pad_token_id),
    )
    checkpoint = resume and any((out / "checkpoints").glob("checkpoint-*"))
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=True if checkpoint else None)
    seconds = time.perf_counter() - start
    main = trainer.is_world_process_zero()
    if main:
        _save_adapter(model, out)
    metrics = {
        "mode": cfg.mode,
        "train_examples": len(train_rows),
        "skipped_too_long": skipped,
        "val_examples": len(val_ex),
        "train_seconds": seconds,
        "steps": trainer.state.global_step,
        "loss": [{"step": h["step"], "loss": h["loss"]} for h in trainer.state.log_history if "loss" in h],
        "validation": history,
        "val_accuracy": history[-1]["val_exact"] if history else None,
        "val_balanced_accuracy": history[-1]["val_balanced"] if history else None,
        "precision": precision.as_json(),
    }
    if main:
        atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        plot_learning_curve(metrics, out / "learning_curve.png")
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
    return metrics


def collate(items: list[list[dict[str, Any]]], pad_id: int) -> dict[str, Any]:
    """One batch (the only item) of rows sharing a head: the head's tokens, and the tails left-
    padded so every row ends in the last column and all fed answer tokens sit in the last few
    columns. Positions continue from the head's end at each row's first real token, as when the
    scorer reads that tail alone after the head. Each branch to learn is a row, a distance from
    the last column, its tokens and the answer's own."""
    import torch

    (rows,) = items
    head = len(rows[0]["head"])
    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), head + width), dtype=torch.long)
    mask[:, :head] = 1
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, width - n :] = torch.tensor(r["input_ids"])
        mask[i, head + width - n :] = 1
        positions[i, width - n :] = torch.arange(head, head + n)
    branches = [(i, back, tokens, own) for i, r in enumerate(rows) for back, tokens, own in r["branches"]]
    return {
        "head_ids": torch.tensor(rows[0]["head"]),
        "input_ids": ids,
        "attention_mask": mask,
        "position_ids": positions,
        "branch_row": torch.tensor([b[0] for b in branches], dtype=torch.long),
        "branch_back": torch.tensor([b[1] for b in branches], dtype=torch.long),
        "branch_tokens": [b[2] for b in branches],
        "branch_own": torch.tensor([b[3] for b in branches], dtype=torch.long),
    }


def _answer_loss_trainer():
    from transformers import Trainer

    class AnswerLossTrainer(Trainer):
        """Reads each batch's head once per run with the base weights (adapter off, no gradient)
        and trains on the tails only; projects onto the vocabulary only the columns where answers
        part from their rivals (with left padding, the last few); the loss is the negative log of
        each answer's share among the candidates there, averaged over the batch's answers (the
        scorer's probability, ``student.answers``). Gradient accumulation is not used."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.heads = HeadCache(capacity=256)  # one per distinct candidate set and stage

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            rows, back, tokens, own = (
                inputs.pop(k) for k in ("branch_row", "branch_back", "branch_tokens", "branch_own")
            )
            bare = self.accelerator.unwrap_model(model)
            batch = inputs["input_ids"].shape[0]
            head = self.heads.get(bare, inputs.pop("head_ids").tolist(), inputs["input_ids"].device)
            keep = int(back.max()) + 1 if len(back) else 1
            outputs = model(
                **inputs, past_key_values=head_cache(head, batch, bare.config), use_cache=True, logits_to_keep=keep
            )
            if not len(back):  # answers without a rival: nothing to learn
                loss = outputs.logits.sum() * 0.0
            else:
                # per answer, the log-probability of choosing it among the candidates; summed over its
                # branches and averaged over the batch's answers
                loss = -branch_log_probs(outputs.logits, rows, keep - 1 - back, tokens, own).sum() / batch
            return (loss, outputs) if return_outputs else loss

    return AnswerLossTrainer


def _save_adapter(model, out: Path) -> None:
    """Save into a staging folder and rename, so a crash never leaves a half-written adapter."""
    staging = out / ".adapter.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    shutil.rmtree(out / "adapter", ignore_errors=True)
    staging.rename(out / "adapter")


def plot_learning_curve(metrics: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([p["step"] for p in metrics["loss"]], [p["loss"] for p in metrics["loss"]], label="train loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if metrics["validation"]:
        acc = ax.twinx()
        acc.plot(
            [v["step"] for v in metrics["validation"]],
            [v["val_exact"] for v in metrics["validation"]],
            "o-",
            color="tab:green",
            label="validation accuracy",
        )
        acc.set_ylim(0, 1)
        acc.set_ylabel("validation accuracy")
    ax.set_title(f"{metrics['mode']} training")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
