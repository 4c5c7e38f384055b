"""``aligner compare``: train one classifier several ways on dataset 1, compare test scores."""

from __future__ import annotations

from typing import Any

import click

from aligner_cli.common import (
    emit,
    grouped_options,
    json_option,
    library_errors,
    shown,
    text_column_option,
)
from aligner_cli.help import SectionedCommand, section

# the library's names, spelled out so that `aligner --help` imports nothing heavy
WAYS = ("random", "init", "frozen", "slow", "partial", "unfreeze")
DEFAULT_WAYS = "random,init,frozen,slow,partial"
MODELS = ("gru", "cnn")

EXAMPLE = (
    "\b\nExample:\n  aligner compare --artifact build/demo --train data_samples/train.tsv "
    "\\\n      --test data_samples/test.tsv --text-column 2 --label-column 1 "
    "\\\n      --ways random,init,frozen,slow,partial --seeds 3 --out build/compare"
)


def _ways(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    ways = tuple(w.strip() for w in value.split(",") if w.strip())
    unknown = [w for w in ways if w not in WAYS]
    if unknown or not ways:
        raise click.BadParameter(
            f"{unknown[0] if unknown else value!r} is not a way; give a comma-separated "
            f"list of: {', '.join(WAYS)}"
        )
    return ways


def _sizes(ctx: click.Context, param: click.Parameter, value: str) -> list[int | str]:
    sizes: list[int | str] = []
    for item in (part.strip() for part in value.split(",")):
        if item == "all":
            sizes.append(item)
        elif item.isascii() and item.isdigit() and int(item) > 0:
            sizes.append(int(item))
        else:
            raise click.BadParameter(
                f"{item!r} is not a training size; give positive numbers of rows and 'all', "
                "e.g. 500,1000,all"
            )
    return sizes


TRAINING = [
    click.option(
        "--model",
        type=click.Choice(MODELS),
        default="gru",
        show_default=True,
        help="gru: embedding → GRU → linear on the last state; cnn: Kim 2014 (filter widths "
        "3/4/5 × 100 maps, max-pool, dropout).",
    ),
    click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True,
                 help="Most epochs per run (the dev set picks the epoch kept)."),
    click.option("--patience", type=click.IntRange(min=1), default=3, show_default=True,
                 help="Stop after this many epochs without a better dev score."),
    click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True,
                 help="Examples per training step."),
    click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-3,
                 show_default=True, help="Adam learning rate."),
    click.option("--embedding-lr", type=click.FloatRange(min=0, min_open=True),
                 show_default="--lr x --slow-factor",
                 help="The slow way's embedding learning rate."),
    click.option("--slow-factor", type=click.FloatRange(min=0, min_open=True),
                 show_default="0.1",
                 help="The slow way's embedding learning rate as a share of --lr."),
    click.option("--unfreeze-after", type=click.IntRange(min=0), default=2, show_default=True,
                 help="The unfreeze way keeps the embedding frozen for this many epochs."),
    click.option("--hidden", type=click.IntRange(min=1), default=128, show_default=True,
                 help="GRU state size."),
    click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), default=0.5,
                 show_default=True, help="Dropout before the output layer."),
    click.option("--max-length", type=click.IntRange(min=1), default=100, show_default=True,
                 help="Cut texts to their first N tokens."),
]  # fmt: skip
TRAINING_KEYS = (
    "model", "epochs", "patience", "batch_size", "lr", "embedding_lr", "slow_factor",
    "unfreeze_after", "hidden", "dropout", "max_length",
)  # fmt: skip


def _check_applies(ctx: click.Context, ways: tuple[str, ...], model: str) -> None:
    """Refuse a classifier option that the chosen model or ways never use.

    Raises:
        click.UsageError: ``--hidden`` with ``--model cnn``, ``--unfreeze-after``
            without the unfreeze way, ``--embedding-lr``/``--slow-factor``
            without the slow way.
    """
    sources = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    given = [name for name in _NEEDS if ctx.get_parameter_source(name) in sources]
    for name in given:
        option = "--" + name.replace("_", "-")
        if name == "hidden" and model == "cnn":
            raise click.UsageError(
                "--hidden is the GRU's state size, and --model cnn has none (its filters are "
                "3/4/5 x 100 maps); drop --hidden"
            )
        way = _NEEDS[name]
        if way is not None and way not in ways:
            raise click.UsageError(
                f"{option} applies to the {way} way, which --ways leaves out; add {way} to "
                f"--ways or drop {option}"
            )


#: options that only one way uses (None: the GRU model's)
_NEEDS = {
    "hidden": None,
    "unfreeze_after": "unfreeze",
    "embedding_lr": "slow",
    "slow_factor": "slow",
}


@click.command(cls=SectionedCommand, epilog=EXAMPLE)
@section("Input")
@click.option(
    "--artifact",
    "artifacts",
    required=True,
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Artifact directory (repeat it to compare several side by side); its tokenizer "
    "and vocabulary are used, the random way's too.",
)
@click.option(
    "--train",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Training file of dataset 1: TSV/CSV (with or without a header line), JSONL, "
    "Parquet or Arrow; TSV, CSV and JSONL may be .gz/.bz2/.xz.",
)
@click.option(
    "--dev",
    type=click.Path(exists=True, dir_okay=False),
    show_default="a stratified --dev-fraction of --train",
    help="Dev file, which picks the epoch.",
)
@click.option(
    "--test",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Test file, scored once after training.",
)
@text_column_option("of --train, --dev and --test", required=True)
@click.option(
    "--label-column", metavar="COL", required=True, help="Label column, named the same way."
)
@click.option(
    "--dev-fraction",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.1,
    help="Share of --train held out as the dev set when no --dev is given.",
)
@section("Experiment")
@click.option(
    "--ways",
    default=DEFAULT_WAYS,
    show_default=True,
    callback=_ways,
    help=f"Comma-separated embedding set-ups, from: {', '.join(WAYS)}.",
)
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Seeds per way: --seed, --seed + 1, ...")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True,
              help="First seed; it also draws the dev slice.")  # fmt: skip
@click.option(
    "--train-sizes",
    default="all",
    show_default=True,
    callback=_sizes,
    help="Comma-separated training-set sizes (rows, or all), one table each: e.g. 500,1000,all.",
)
@section("Training")
@grouped_options("training", TRAINING, TRAINING_KEYS)
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="torch CPU threads while training; one is fastest for these small models "
              "and runs repeat exactly.")  # fmt: skip
@section("Output")
@click.option(
    "--out",
    required=True,
    type=click.Path(),
    help="Results directory: results.json, results.csv, runs.csv, results.png.",
)
@click.option("--force", is_flag=True, help="Replace an existing results directory at --out.")
@click.option("--no-plot", is_flag=True, help="Do not draw results.png.")
@json_option
@library_errors
def compare(
    artifacts: tuple[str, ...],
    train: str,
    dev: str | None,
    test: str,
    text_column: str,
    label_column: str,
    dev_fraction: float,
    ways: tuple[str, ...],
    seeds: int,
    seed: int,
    train_sizes: list[int | str],
    training: dict[str, Any],
    threads: int,
    out: str,
    force: bool,
    no_plot: bool,
    as_json: bool,
) -> None:
    """Compare ways of using an artifact's vectors in a classifier trained on dataset 1.

    Trains the same classifier once per way, seed, artifact and training size;
    the ways differ only in the embedding set-up (random: the baseline, random
    vectors over the same vocabulary; init: the vectors as initial values;
    frozen; slow: trained at their own learning rate; partial: found rows
    fixed, filled rows trained; unfreeze: frozen for the first epochs). The
    dev set picks each run's epoch; the test set is scored once, at the end.
    Prints test accuracy and macro-F1 (mean ± std over seeds) per way and
    artifact, and writes results.json, results.csv, runs.csv and results.png
    to --out.
    """
    from aligner.compare import ClassifierSettings, compare, report_lines
    from aligner.progress import TqdmProgress

    given = click.get_current_context().get_parameter_source("dev_fraction")
    if dev is not None and given is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--dev-fraction applies only without --dev")
    if training["embedding_lr"] is not None and training["slow_factor"] is not None:
        raise click.UsageError("pass --embedding-lr or --slow-factor, not both")
    _check_applies(click.get_current_context(), ways, training["model"])
    settings = ClassifierSettings(**{k: v for k, v in training.items() if v is not None})
    result = compare(
        list(artifacts), train, test, text_column=text_column, label_column=label_column,
        dev=dev, ways=ways, seeds=seeds, seed=seed, train_sizes=train_sizes,
        dev_fraction=dev_fraction, settings=settings, out=out, force=force,
        plot=not no_plot, threads=threads, progress=TqdmProgress(),
    )  # fmt: skip
    if as_json:
        emit(result.to_dict())
        return
    for line in report_lines(result):
        click.echo(shown(line))  # a file name's bytes that are not UTF-8 as \xNN
    click.echo(shown(f"\nwrote {result.out}/: {', '.join(result.files)}"))
    for note in result.notes:
        click.echo(shown(f"note: {note}"))
