"""A comparison for people and programs: the console table, JSON, CSV, the results directory.

The results directory holds ``results.json`` (everything:
:meth:`Comparison.to_dict`), ``results.csv`` (one row per table line),
``runs.csv`` (one row per run) and ``results.png`` (when matplotlib is
installed). It is written into a temporary directory beside its final path
and renamed into place, so a failed run leaves none.

Example:
    >>> for line in report_lines(comparison):  # doctest: +SKIP
    ...     print(line)
"""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from aligner.atomic import fsync_path, place_directory, temp_directory
from aligner.compare.results import Comparison, Summary
from aligner.errors import InputError

__all__ = ["RESULTS", "check_out", "report_lines", "write_results"]

RESULTS = "results.json"
SUMMARY_FIELDS = (
    "train_size",
    "artifact",
    "way",
    "runs",
    "trainable",
    "accuracy",
    "accuracy_std",
    "macro_f1",
    "macro_f1_std",
    "epoch",
    "seconds",
)
RUN_FIELDS = (
    "train_size",
    "seed",
    "artifact",
    "way",
    "trainable",
    "epoch",
    "epochs_run",
    "dev_accuracy",
    "test_accuracy",
    "test_macro_f1",
    "seconds",
)


def check_out(out: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check, before any training, that a results directory may be written at ``out``.

    Raises:
        InputError: ``out`` is a file; or it exists and ``force`` is false; or
            it is a non-empty directory without a ``results.json`` (never
            replaced, even with ``force``).
    """
    out = Path(out)
    if not out.exists():
        return out
    if not out.is_dir():
        raise InputError(f"output {out} exists and is not a directory; choose another --out")
    if not force:
        raise InputError(f"output directory {out} already exists; pass --force to replace it")
    if any(out.iterdir()) and not (out / RESULTS).is_file():
        raise InputError(
            f"output directory {out} is not empty and holds no {RESULTS}; refusing to "
            "replace it, choose another --out"
        )
    return out


def _pm(mean: float, std: float | None) -> str:
    return f"{mean:.3f} ± {std:.3f}" if std is not None else f"{mean:.3f}"


def _table(rows: list[Summary]) -> list[str]:
    name_width = max(len("artifact"), *(len(r.artifact) for r in rows))
    way_width = max(len("way"), *(len(r.way) for r in rows))
    score_width = max(len("test accuracy"), *(len(_pm(r.accuracy, r.accuracy_std)) for r in rows))
    head = (
        f"{'artifact':<{name_width}}  {'way':<{way_width}}  {'trainable':>11}  "
        f"{'test accuracy':<{score_width}}  {'macro-F1':<{score_width}}  {'epoch':>5}  {'time':>8}"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"{r.artifact:<{name_width}}  {r.way:<{way_width}}  {r.trainable:>11,}  "
            f"{_pm(r.accuracy, r.accuracy_std):<{score_width}}  "
            f"{_pm(r.macro_f1, r.macro_f1_std):<{score_width}}  {r.epoch:>5.1f}  "
            f"{r.seconds:>6.1f} s"
        )
    return lines


def _header(comparison: Comparison) -> list[str]:
    s, splits = comparison.settings, comparison.splits
    model = (
        f"gru (hidden {s.hidden})"
        if s.model == "gru"
        else (f"cnn (widths {','.join(map(str, s.widths))} x {s.filters} maps)")
    )
    lines = [
        f"dataset 1: {len(comparison.labels)} labels; train {splits['train']:,} rows, "
        f"dev {splits['dev']:,} ({splits['dev_source']}), test {splits['test']:,}",
        f"model {model}, dropout {s.dropout}, Adam lr {s.lr:g} (slow embedding {s.slow_lr:g}), "
        f"batch {s.batch_size}, up to {s.epochs} epochs (patience {s.patience}); "
        f"seeds {', '.join(map(str, comparison.seeds))}",
    ]
    for src in comparison.sources:
        lines.append(
            f"artifact {src.name}: {src.rows:,} rows x {src.dim} ({src.found:,} found), "
            f"{src.tokenizer} tokenizer; unknown tokens: train {src.unknown['train']:.1%}, "
            f"test {src.unknown['test']:.1%}"
        )
    return lines


def report_lines(comparison: Comparison) -> list[str]:
    """The report a person reads: the set-up, then one table per training size.

    Columns: artifact, way, trainable parameters, test accuracy and macro-F1
    (mean ± standard deviation over seeds), the mean epoch kept by early
    stopping, the mean wall time of a run.
    """
    lines = _header(comparison)
    full = comparison.splits["train"]
    for size in comparison.train_sizes:
        rows = [s for s in comparison.summaries if s.train_size == size]
        label = f"{size:,} (all)" if size == full else f"{size:,} of {full:,}"
        lines += ["", f"training size {label}", *_table(rows)]
    return lines


# a file name with bytes that are not UTF-8 is written as \xNN, so the files stay UTF-8
_ERRORS = "backslashreplace"


def _write_csv(path: Path, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", errors=_ERRORS, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _write_files(comparison: Comparison, folder: Path) -> None:
    with (folder / RESULTS).open("w", encoding="utf-8", errors=_ERRORS) as fh:
        json.dump(comparison.to_dict(), fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    _write_csv(folder / "results.csv", SUMMARY_FIELDS, [s.to_dict() for s in comparison.summaries])
    _write_csv(folder / "runs.csv", RUN_FIELDS, [r.to_dict() for r in comparison.runs])


def _place_new(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out`` only if nothing is at ``out`` (an empty directory aside)."""
    try:
        if out.exists() and not out.is_dir():
            raise FileExistsError(out)
        os.rename(tmp, out)  # fails on a non-empty directory: never replaces results
    except (FileExistsError, OSError) as exc:
        if isinstance(exc, FileExistsError) or exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise InputError(
                f"output directory {out} was written by another run while this one trained; "
                "its results are kept: pass --force to replace them, or choose another --out"
            ) from None
        raise
    fsync_path(out.parent)


def write_results(
    comparison: Comparison,
    out: Path,
    *,
    plot: Callable[[Comparison, Path], str | None] | None,
    force: bool = False,
) -> Comparison:
    """Write the results directory atomically; return the comparison with ``out``,
    ``files`` and ``notes`` filled in.

    Args:
        comparison: what to write.
        out: the directory (checked by :func:`check_out` beforehand).
        plot: draws ``results.png`` at the path given and returns ``None``,
            or returns a note saying why it could not; ``None``: no plot.
        force: replace a results directory found at ``out``; without it, one
            that another run wrote meanwhile is an error and is kept.

    Raises:
        InputError: without ``force``, ``out`` appeared while this run trained.
    """
    tmp = temp_directory(out)
    try:
        note = None if plot is None else plot(comparison, tmp / "results.png")
        files = [RESULTS, "results.csv", "runs.csv"]
        if plot is not None and note is None:
            files.append("results.png")
        notes = comparison.notes if note is None else (*comparison.notes, note)
        comparison = replace(comparison, out=out, files=tuple(files), notes=notes)
        _write_files(comparison, tmp)
        if force:
            place_directory(tmp, out)
        else:
            _place_new(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return comparison
