"""Dense retrieval as the function base grows to 10,000 functions: indexing time, search latency
(numpy, exact faiss, approximate faiss HNSW) and recall@5 of the bundled pursuit functions.

Each base is the bundled pursuit base plus synthetic functions spread evenly over its three
stages, with distinct manuals templated from stage-specific actions, objects and conditions in
the game's own words, so they compete with the bundled ones for real pursuit queries.

Queries are the agent's (``make_query``) for every stage decision of teacher games that saw every
bundled candidate (as in retrieval_recall.py). Per base size N:

- index_s: ``DenseRetriever.index`` with a cold embedding cache (encoding every manual), then warm;
- search latency, median and p95 ms per call, for 1 query and for 32 queries of one stage, with the
  query fields already embedded (encoding a new state line costs the same at every N; reported
  once as query_encode_ms);
- recall@5: the share of non-forced decisions whose teacher choice is in the top 5 (teacher_r5),
  and of all decisions whose top 1 on the bundled base alone is in the top 5 (top1_kept_r5); and
  the median rank of the teacher's choice among its stage's functions;
- hnsw: an approximate HNSW index (M=32, efSearch=64): build time, latency of 1 query, and the
  share of the exact top-5 hits it also returns.

    .venv/bin/python benchmarks/retrieval_scale.py [--sizes 100 1000 5000 10000] [--episodes 5]
Writes benchmarks/results/retrieval_scale.json. Embeddings go to a fresh temporary cache unless
--cache is given (then indexing is only cold for bases not embedded there before).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import torch

from logicdistill.agent.factory import AgentOptions
from logicdistill.agent.loop import make_query
from logicdistill.evaluation.run import play
from logicdistill.functions import FunctionBase, FunctionSpec, Manual, Provenance, Verification
from logicdistill.retrieval import Query
from logicdistill.retrieval.dense import DenseRetriever
from logicdistill.tasks import get_task

RESULTS = Path(__file__).parent / "results"
K = 5
NUMPY_ONLY = 10**9  # a faiss_above no stage reaches

ACTIONS = {
    "target": ["Target", "Go after", "Single out", "Prefer", "Hunt", "Pick"],
    "strategy": ["Head for", "Aim at", "Cut off at", "Wait at", "Circle round to", "Close in on"],
    "move": [
        "Step towards",
        "Take the move to",
        "Slide along the wall to",
        "Move away from",
        "Edge towards",
        "Keep the step to",
    ],
}
OBJECTS = {
    "target": [
        "the evader farthest from every pursuer",
        "the evader with the most exits",
        "the evader nearest the map centre",
        "the evader that moved last",
        "the evader closest to a mate",
        "the evader in the largest room",
        "the evader nearest a dead end",
        "the evader in a corridor",
        "the evader with the most territory",
        "the evader two mates already chase",
        "the evader nobody chased last step",
        "the evader nearest the step limit's escape",
        "the evader behind the pillars",
        "the evader at a crossroads",
        "the evader by the wall",
        "the evader with one exit left",
        "the evader farthest from its exits",
        "the evader closest to my goal",
        "the evader a mate just lost",
        "the evader in the open",
    ],
    "strategy": [
        "the target's nearest exit",
        "the cell two steps ahead of the target",
        "the door of its room",
        "the middle of the corridor",
        "the crossroads it must pass",
        "the cell behind the target",
        "the far end of its territory",
        "the cell a mate leaves open",
        "the dead end it runs into",
        "the cell between the target and its exits",
        "the corner of the room",
        "the pillar's far side",
        "the target's cell",
        "the cell that halves its territory",
        "the choke point on its route",
        "the cell next to a mate",
        "the map centre",
        "the last cell it visited",
        "the ring's opposite side",
        "the widest gap in the net",
    ],
    "move": [
        "the goal by the shortest path",
        "the goal through the fewest open cells",
        "the nearest wall",
        "the target's side of the goal",
        "the goal while keeping distance to mates",
        "the goal avoiding dead ends",
        "the goal through the corridor",
        "the goal along the room's edge",
        "the cell with the most exits",
        "the goal without crossing a mate",
        "the goal on the left",
        "the goal on the right",
        "the evader's last cell",
        "the goal through the door",
        "the goal diagonally in steps",
        "the centre of the map",
        "the goal keeping the target in line",
        "the goal via the crossroads",
        "the goal while blocking an exit",
        "the goal waiting a step",
    ],
}
CONDITIONS = [
    "the target runs along a corridor",
    "two mates already chase the target",
    "the step limit is near",
    "the evader's territory shrinks",
    "the evader has a single exit",
    "a mate stands closer to the target",
    "the map is open and wide",
    "the evader hides behind pillars",
    "the target sits in a room with one door",
    "the team surrounds one evader",
    "the evader doubles back",
    "every exit but one is blocked",
    "I am the farthest pursuer",
    "I am the nearest pursuer",
    "the evaders split up",
    "the target keeps to the walls",
    "the game just started",
    "a capture happened last step",
    "the target waits at a crossroads",
    "the evader has the most territory",
]
STOP = {"the", "a", "to", "at", "of", "in", "on", "by", "with", "its", "it", "round", "along", "after"}
QUALIFIERS = [
    "",
    "; not when a mate covers it",
    "; best on the ring map",
    "; cheap and safe",
    "; only in narrow maps",
    "; useful late in the game",
    "; rarely better than the default",
    "; it wastes moves otherwise",
]


def synthetic_functions(task, n: int, seed: int = 0) -> list[FunctionSpec]:
    """``n`` functions with distinct templated manuals, dealt round-robin over the stages."""
    stages, rng, out = task.stages, np.random.default_rng(seed), []
    combos = {s.name: list(itertools.product(ACTIONS[s.name], OBJECTS[s.name], CONDITIONS, QUALIFIERS)) for s in stages}
    picks = {s.name: rng.permutation(len(combos[s.name])) for s in stages}
    for i in range(n):
        stage = stages[i % len(stages)]
        action, obj, condition, qualifier = combos[stage.name][picks[stage.name][i // len(stages)]]
        words = [w for w in f"{action} {obj}".lower().replace("'s", "").split() if w.isalpha() and w not in STOP]
        name = "_".join(words[:3] + [str(i)])  # short, as the bundled names are
        params = ", ".join(stage.params)
        out.append(
            FunctionSpec(
                name=name,
                stage=stage.name,
                signature=f"({params})",
                manual=Manual(what=f"{action} {obj}.", when=f"{condition}{qualifier}."),
                source=f"def {name}({params}):\n    return None\n",
                provenance=Provenance(kind="human", note="synthetic, for benchmarks/retrieval_scale.py"),
                verification=Verification(status="unverified"),
            )
        )
    return out


def teacher_decisions(episodes: int, seed: int) -> list[tuple[Query, str, str, bool]]:
    """(query, stage, teacher's choice, forced) for every stage decision of ``episodes`` games."""
    task, out = get_task("pursuit"), []
    maps = task.variants  # every bundled map
    stages = {s.name: s for s in task.stages}
    for i in range(episodes):
        result = play("teacher", task, maps[i % len(maps)], seed + i, AgentOptions(retriever="bm25", top_k=100))
        out += [
            (make_query(task, stages[r.stage], r.state_text), r.stage, r.choice, r.forced)
            for step in result.trace
            for r in step.stages
        ]
    return out


def latency(fn, calls: list) -> dict[str, float]:
    """Median and p95 wall milliseconds of ``fn(call)`` over ``calls``, after one untimed call."""
    fn(calls[0])
    times = []
    for call in calls:
        start = time.perf_counter()
        fn(call)
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": statistics.median(times), "p95_ms": float(np.percentile(times, 95))}


def ms(timing: dict[str, float]) -> str:
    return f"{timing['median_ms']:.2f} / {timing['p95_ms']:.2f}"


def timed_index(retriever: DenseRetriever, base: FunctionBase) -> float:
    start = time.perf_counter()
    retriever.index(base)
    return time.perf_counter() - start


def measure(
    base: FunctionBase, decisions: list, bundled_top1: list[str], cache: Path, fields: dict[str, np.ndarray]
) -> dict:
    """Every figure for one base; ``fields`` holds every query field's embedding already."""
    numpy_r, faiss_r = (DenseRetriever(cache=cache, faiss_above=a) for a in (NUMPY_ONLY, 0))
    cold = not any(cache.glob(f"embeddings/*{base.fingerprint}.npy"))
    report = {
        "functions": len(base.functions),
        "index_cold": cold,
        "index_s": timed_index(numpy_r, base),
        "index_warm_s": timed_index(numpy_r, base),
        "index_warm_faiss_s": timed_index(faiss_r, base),
        "per_stage": {s: len(n) for s, n in numpy_r.names.items()},
    }
    numpy_r.field_cache = faiss_r.field_cache = fields
    singles = [([q], stage) for q, stage, *_ in decisions]
    batches = []
    for stage in numpy_r.names:
        queries = [q for q, s, *_ in decisions if s == stage]
        batches += [(queries[i : i + 32], stage) for i in range(0, len(queries) - 31, 32)]
    for label, r in (("numpy", numpy_r), ("faiss", faiss_r)):
        report[label] = {
            "batch_1": latency(lambda c, r=r: r.search(c[0], c[1], K), singles),
            "batch_32": latency(lambda c, r=r: r.search(c[0], c[1], K), batches),
        }
    top = [[n for n, _ in numpy_r.search(*c, K)[0]] for c in singles]
    faiss_top = [[n for n, _ in faiss_r.search(*c, K)[0]] for c in singles]
    report["faiss_equals_numpy"] = float(np.mean([a == b for a, b in zip(top, faiss_top)]))
    report["teacher_r5"] = teacher_recall(decisions, top)
    ranks = [
        [n for n, _ in numpy_r.search([q], stage, len(base.functions))[0]].index(choice) + 1
        for q, stage, choice, forced in decisions
        if not forced
    ]
    report["teacher_rank_median"] = statistics.median(ranks)
    report["top1_kept_r5"] = float(np.mean([t in names for names, t in zip(top, bundled_top1)]))
    report["hnsw"] = hnsw(numpy_r, decisions, top)
    return report


def teacher_recall(decisions: list, top: list[list[str]]) -> float:
    """Share of the decisions that were not forced whose teacher choice is in ``top``."""
    return float(np.mean([choice in names for names, (_, _, choice, forced) in zip(top, decisions) if not forced]))


def hnsw(retriever: DenseRetriever, decisions: list, exact: list[list[str]]) -> dict:
    """An approximate HNSW index per stage on the same vectors: build time, latency of one query,
    and the share of exact top-5 hits it finds."""
    indexes, build = {}, time.perf_counter()
    for stage, vectors in retriever.vectors.items():
        indexes[stage] = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        indexes[stage].hnsw.efSearch = 64
        indexes[stage].add(np.ascontiguousarray(vectors))
    build_s = time.perf_counter() - build
    embedded = [(retriever.embed_queries([q]), stage) for q, stage, *_ in decisions]
    found = []
    for (vector, stage), names in zip(embedded, exact):
        _, rows = indexes[stage].search(vector, K)
        found.append(len({retriever.names[stage][i] for i in rows[0] if i >= 0} & set(names)) / len(names))
    return {
        "build_s": build_s,
        "batch_1": latency(lambda c: indexes[c[1]].search(c[0], K), embedded),
        "recall_of_exact_top5": float(np.mean(found)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000, 10000])
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2000)
    parser.add_argument("--cache", type=Path, help="embedding cache to reuse (default: a fresh temporary one)")
    args = parser.parse_args()
    task = get_task("pursuit")
    bundled = task.bundled_base()
    decisions = teacher_decisions(args.episodes, args.seed)
    synthetic = synthetic_functions(task, max(args.sizes) - len(bundled.functions))
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp)
        small = DenseRetriever(cache=cache)
        small.index(bundled)
        start = time.perf_counter()
        small.embed_queries([d[0] for d in decisions])  # new state lines, as in play
        encode_ms = (time.perf_counter() - start) * 1000 / len(decisions)
        bundled_top = [[n for n, _ in small.search([q], stage, K)[0]] for q, stage, *_ in decisions]
        bases = {n: bundled.with_functions(synthetic[: n - len(bundled.functions)]) for n in args.sizes}
        sizes = {
            n: measure(base, decisions, [t[0] for t in bundled_top], cache, small.field_cache)
            for n, base in bases.items()
        }
    report = {
        "decisions": len(decisions),
        "non_forced": sum(not d[3] for d in decisions),
        "episodes": args.episodes,
        "k": K,
        "query_encode_ms": encode_ms,
        "bundled_alone_teacher_r5": teacher_recall(decisions, bundled_top),
        "torch_threads": torch.get_num_threads(),
        "faiss_threads": faiss.omp_get_max_threads(),
        "default_faiss_above": small.faiss_above,
        "load_average": os.getloadavg(),
        "sizes": sizes,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "retrieval_scale.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"{len(decisions)} pursuit stage decisions ({report['non_forced']} non-forced) from {args.episodes} "
        f"teacher games; query encoding {encode_ms:.1f} ms/query (not in the latencies below); "
        f"teacher R@5 on the bundled base alone {report['bundled_alone_teacher_r5']:.3f}; "
        f"threads torch {report['torch_threads']}, faiss {report['faiss_threads']}"
    )
    print(
        "| N | per stage | index s cold / warm | numpy b1 ms (median / p95) | faiss b1 ms | numpy b32 ms "
        "| faiss b32 ms | hnsw b1 ms | hnsw finds exact top 5 | teacher R@5 | teacher rank (median) "
        "| top1 kept R@5 | faiss = numpy |"
    )
    print("|---" * 13 + "|")
    for n, r in sizes.items():
        print(
            f"| {n} | {max(r['per_stage'].values())} | {r['index_s']:.1f} / {r['index_warm_s']:.2f} "
            f"| {ms(r['numpy']['batch_1'])} | {ms(r['faiss']['batch_1'])} | {ms(r['numpy']['batch_32'])} "
            f"| {ms(r['faiss']['batch_32'])} | {ms(r['hnsw']['batch_1'])} "
            f"| {r['hnsw']['recall_of_exact_top5']:.3f} | {r['teacher_r5']:.3f} | {r['teacher_rank_median']:g} "
            f"| {r['top1_kept_r5']:.3f} | {r['faiss_equals_numpy']:.3f} |"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
