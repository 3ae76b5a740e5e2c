"""The policy grid: an agent's hit/stick (/surrender) table against the optimal one, one panel per hand type
(hard, soft), player sum down and dealer card across; cells that disagree are outlined in red."""

from __future__ import annotations

import io
import os
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from logicdistill.games.twentyone.exact import HANDS, Policy, optimal_policy

DEALER_ORDER = (2, 3, 4, 5, 6, 7, 8, 9, 10, 1)  # the ace last, as strategy charts put it
COLORS = {0: "#9ecae1", 1: "#fdae6b", 2: "#d9d9d9"}  # stick blue, hit orange, surrender grey
LETTERS = {0: "S", 1: "H", 2: "R"}


def plot_policy(
    policy: Policy, path: str | Path, reference: Policy | None = None, title: str = "", rules: str = "classic"
) -> Path:
    """Write the grid as a PNG (atomically) and return its path; ``reference`` defaults to the
    optimal policy under ``rules``."""
    against = "the reference" if reference else "optimal"
    reference = reference or optimal_policy(rules)
    fig = Figure(figsize=(9, 6.5), layout="constrained")  # no pyplot: no global state, no display
    for i, usable in enumerate((0, 1)):
        ax = fig.add_subplot(1, 2, i + 1)
        sums = sorted(s for s, a in HANDS if a == usable)
        for row, s in enumerate(sums):
            for col, d in enumerate(DEALER_ORDER):
                action, wrong = policy[(s, d, usable)], policy[(s, d, usable)] != reference[(s, d, usable)]
                ax.add_patch(Rectangle((col, row), 1, 1, facecolor=COLORS[action], edgecolor="white"))
                if wrong:
                    ax.add_patch(Rectangle((col + 0.06, row + 0.06), 0.88, 0.88, fill=False, edgecolor="red", lw=2))
                ax.text(
                    col + 0.5,
                    row + 0.5,
                    LETTERS[action],
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="red" if wrong else "black",
                    fontweight="bold" if wrong else "normal",
                )
        ax.set_xlim(0, len(DEALER_ORDER))
        ax.set_ylim(len(sums), 0)
        ax.set_xticks([c + 0.5 for c in range(len(DEALER_ORDER))], ["A" if d == 1 else str(d) for d in DEALER_ORDER])
        ax.set_yticks([r + 0.5 for r in range(len(sums))], [str(s) for s in sums])
        ax.set_xlabel("dealer shows")
        ax.set_ylabel("player sum")
        ax.set_title("soft hand (usable ace)" if usable else "hard hand")
        ax.set_aspect("equal")
    disagree = sum(policy[k] != reference[k] for k in reference)
    legend = "H hit, S stick" + (", R surrender" if 2 in {*policy.values(), *reference.values()} else "")
    fig.suptitle(f"{title + ': ' if title else ''}{legend}; red: differs from {against} ({disagree} states)")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return _write_atomic(Path(path), buffer.getvalue())


def _write_atomic(path: Path, data: bytes) -> Path:
    """Write beside the target and rename over it, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
