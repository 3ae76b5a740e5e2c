"""Bar charts for the report, as PNG bytes (matplotlib without pyplot: no global state, no display)."""

from __future__ import annotations

import io

from matplotlib.figure import Figure


def bars(
    series: dict[str, dict[str, float | None]],
    title: str,
    ylabel: str,
    fmt: str = "{:.2f}",
    log: bool = False,
    ylim: tuple[float, float] | None = None,
) -> bytes:
    """One group of bars per category (the union of the series' keys, in order), one bar per series;
    a missing or None value leaves a gap, so agents not measured on something are not drawn as 0."""
    categories = list(dict.fromkeys(c for values in series.values() for c in values))
    fig = Figure(figsize=(6.4, 3.4), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        shown = [(j, values[c]) for j, c in enumerate(categories) if values.get(c) is not None]
        offset = (i - (len(series) - 1) / 2) * width
        bars_ = ax.bar([j + offset for j, _ in shown], [v for _, v in shown], width, label=label)
        ax.bar_label(bars_, labels=[fmt.format(v) for _, v in shown], fontsize=8, padding=2)
    ax.set_xticks(range(len(categories)), categories)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log:
        ax.set_yscale("log")
    if ylim:
        ax.set_ylim(*ylim)
    ax.margins(y=0.15)
    if len(series) > 1:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))  # beside the bars, never over them
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
