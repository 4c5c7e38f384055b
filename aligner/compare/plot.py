"""``results.png``: test accuracy per way, mean ± standard deviation over seeds.

One panel per training size; one colour per artifact. matplotlib is an
optional extra (``pip install 'aligner[plot]'``); without it no plot is
drawn and the caller gets a note saying how to get one. The figure is drawn
on matplotlib's Agg canvas directly: no window, no global backend change.

Example:
    >>> draw_plot(comparison, Path("results/results.png"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from aligner.compare.results import Comparison

__all__ = ["NO_MATPLOTLIB", "draw_plot"]

NO_MATPLOTLIB = (
    "results.png was not drawn: matplotlib is not installed; "
    "pip install 'aligner[plot]' (or matplotlib) to get it"
)


def draw_plot(comparison: Comparison, path: Path) -> str | None:
    """Draw the accuracy plot into ``path`` (PNG).

    Returns:
        ``None`` when drawn; :data:`NO_MATPLOTLIB` when matplotlib is missing.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return NO_MATPLOTLIB
    sizes = comparison.train_sizes
    names = [source.name for source in comparison.sources]
    figure = Figure(figsize=(1.0 + 0.9 * len(comparison.ways) * len(sizes), 3.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(sizes), sharey=True, squeeze=False)[0]
    spread = 0.6 / max(len(names), 1)
    for ax, size in zip(axes, sizes, strict=True):
        for k, name in enumerate(names):
            picked = [s for s in comparison.summaries if (s.train_size, s.artifact) == (size, name)]
            shift = (k - (len(names) - 1) / 2) * spread
            x = [comparison.ways.index(s.way) + shift for s in picked]
            y = [s.accuracy for s in picked]
            err = [s.accuracy_std or 0.0 for s in picked]
            ax.errorbar(x, y, yerr=err, fmt="o", capsize=4, label=name)
        ax.set_xticks(range(len(comparison.ways)), comparison.ways)
        ax.set_title(f"training size {size:,}")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("test accuracy (mean ± std over seeds)")
    if len(names) > 1:
        axes[-1].legend(title="artifact", fontsize="small")
    figure.tight_layout()
    figure.savefig(path, format="png")
    return None
