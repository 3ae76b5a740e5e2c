"""Label predictability: can the teacher's function choice be read off the text a student sees?

An ld student sees a decision's state text and each candidate's preview, and must name the
teacher's function. If a classifier on those same inputs cannot beat always-default, no student can
learn the teacher's deviations from them: the choice depends on something the text does not show
(in pursuit the teacher scores 8-step rollouts with hidden teammate choices and evader seeds). At
21 Points the choice is a function of the text, so there the classifier should score near 1.

Per stage, over the non-forced rows (the ones a student is asked), one gradient-boosted classifier
(classes weighted equally) is fitted on the train split and scored on val+test against
always-default (a stage's default is its first function in base order). Features are parsed without
knowing the task: every number in the state text keyed by its line, label and repeat ("P1 d8" after
"P0 d11" is the second d on its line), every bare word as a flag, and per candidate slot (base
order) its preview's numbers and words, whether it equals the default's preview, and which
functions were merged into it (older data files, which do not record merges, have none). Balanced
accuracy is the mean over the teacher's answers of per-answer accuracy, pooled over stages as
``logicdistill.distill.examples.accuracy`` does it; train accuracy shows over- or under-fitting.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/label_predictability.py --data runs/b2/data.jsonl
Writes benchmarks/results/label_predictability_<task>.json (or --out).
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from logicdistill.distill.data import DecisionRow, read_data
from logicdistill.distill.examples import balanced_accuracy
from logicdistill.evaluation.run import write_json

RESULTS = Path(__file__).parent / "results"
NUMBER = re.compile(r"([A-Za-z]*) ?(\d+)(%?)")  # "d11", "terr38", "hand 15", "21%", "/100" of "0/100"
WORD = re.compile(r"\b[A-Za-z]+\b")  # bare words: "soft", "ace", "UDLR", "left", "stick"
MODEL = dict(
    learning_rate=0.05, max_iter=200, max_leaf_nodes=15, min_samples_leaf=10, class_weight="balanced", random_state=0
)


def text_features(text: str, prefix: str) -> dict[str, float]:
    """Numbers keyed by line, label and repeat of that label on the line; words as flags (keys with '=')."""
    out: dict[str, float] = {}
    for i, line in enumerate(text.split("\n")):
        seen: Counter[str] = Counter()
        for label, number, percent in NUMBER.findall(line):
            out[f"{prefix}{i}.{label}{percent}#{seen[label + percent]}"] = float(number)
            seen[label + percent] += 1
        out.update({f"{prefix}{i}={word}": 1.0 for word in WORD.findall(line)})
    return out


def row_features(row: DecisionRow, order: list[str], default: str) -> dict[str, float]:
    """The state's features, then per candidate slot in base order its preview's (fixed columns per slot)
    and a flag for each function merged into it (it acts the same now; the prompt does not show it)."""
    previews = dict(zip(row.candidates, row.previews))
    out = text_features(row.state_text, "s")
    for slot, name in enumerate(sorted(row.candidates, key=order.index)):
        out.update(text_features(previews[name], f"c{slot}."))
        if default in previews:
            out[f"c{slot}.same"] = float(previews[name] == previews[default])
        out.update({f"c{slot}={merged}": 1.0 for merged, same in row.merged.items() if same == name})
    return out


def matrix(feats: list[dict[str, float]], keys: list[str]) -> np.ndarray:
    """An absent number is missing (NaN: the trees route it as they see fit); an absent word is 0."""
    return np.array([[f.get(k, 0.0 if "=" in k else np.nan) for k in keys] for f in feats])


def scores(truth: list[str], chosen: list[str]) -> dict[str, float]:
    return {
        "exact": float(np.mean([t == c for t, c in zip(truth, chosen)])),
        "balanced": balanced_accuracy(truth, chosen),
    }


def predict(model: HistGradientBoostingClassifier, x: np.ndarray, rows: list[DecisionRow]) -> list[str]:
    """The likeliest class among each row's own candidates."""
    proba = model.predict_proba(x)
    offered = np.array([[c in r.candidates for c in model.classes_] for r in rows])
    return list(model.classes_[np.where(offered, proba, -1.0).argmax(axis=1)])


def evaluate(stage_rows: list[DecisionRow], order: list[str]) -> dict:
    """One stage: the teacher's, always-default's and the classifier's answers, on val+test and on train."""
    default = min((c for r in stage_rows for c in r.candidates), key=order.index)
    feats = [row_features(r, order, default) for r in stage_rows]
    train = [i for i, r in enumerate(stage_rows) if r.split == "train"]
    held = [i for i, r in enumerate(stage_rows) if r.split != "train"]
    keys = sorted({k for i in train for k in feats[i]})
    x, y = matrix(feats, keys), np.array([r.choice for r in stage_rows])
    model = HistGradientBoostingClassifier(**MODEL).fit(x[train], y[train])
    answers = {
        split: {
            "truth": list(y[idx]),
            "always_default": [default] * len(idx),
            "classifier": predict(model, x[idx], [stage_rows[i] for i in idx]),
        }
        for split, idx in (("held", held), ("train", train))
    }
    return {"default": default, "features": len(keys), **answers}


def summary(name: str, parts: list[dict]) -> dict:
    """Scores of the parts' answers pooled, and the classifier's recall per teacher's answer on val+test."""

    def pooled(split: str, key: str) -> list[str]:
        return [a for p in parts for a in p[split][key]]

    truth, chosen = pooled("held", "truth"), pooled("held", "classifier")
    row: dict = {"stage": name, "n": len(truth), "n_train": len(pooled("train", "truth"))}
    for label, split, key in (
        ("always_default", "held", "always_default"),
        ("classifier", "held", "classifier"),
        ("classifier_train", "train", "classifier"),
    ):
        row.update({f"{label}_{k}": v for k, v in scores(pooled(split, "truth"), pooled(split, key)).items()})
    row["answers"] = dict(Counter(truth).most_common())
    row["recall"] = {a: float(np.mean([c == a for t, c in zip(truth, chosen) if t == a])) for a in row["answers"]}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data file from `logicdistill data`")
    parser.add_argument("--out", type=Path, help="default: benchmarks/results/label_predictability_<task>.json")
    parser.add_argument(
        "--hide-merged",
        action="store_true",
        help="leave out which functions were merged into each candidate: what the prompt shows",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    header, rows, _ = read_data(args.data)
    if args.hide_merged:
        rows = [r.model_copy(update={"merged": {}}) for r in rows]
    order = list(header.manuals)  # base order
    asked = [r for r in rows if not r.forced]
    parts = {
        s: evaluate([r for r in asked if r.stage == s], order)
        for s in header.stage_lines
        if any(r.stage == s for r in asked)
    }
    table = [summary(s, [p]) | {"default": p["default"], "features": p["features"]} for s, p in parts.items()]
    table.append(summary("pooled", list(parts.values())))
    out = args.out or RESULTS / f"label_predictability_{header.task}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    seconds = time.perf_counter() - start
    write_json(
        out,
        {
            "task": header.task,
            "data": str(args.data),
            "merged_shown": not args.hide_merged,
            "model": MODEL,
            "seconds": seconds,
            "rows": table,
        },
    )
    print(f"{header.task}: val+test, non-forced rows ({seconds:.1f} s)\n")
    print(
        "| stage | n (train) | default exact | default balanced | classifier exact | classifier balanced "
        "| classifier train exact | classifier train balanced |\n" + "|---" * 8 + "|"
    )
    for r in table:
        print(
            f"| {r['stage']} | {r['n']} ({r['n_train']}) | "
            + " | ".join(
                f"{r[f'{k}_{m}']:.3f}"
                for k in ("always_default", "classifier", "classifier_train")
                for m in ("exact", "balanced")
            )
            + " |"
        )


if __name__ == "__main__":
    main()
