"""``--engine local|spark``, ``--spark-master`` and ``--spark-conf``: one decorator for the
commands whose heavy work may run on Spark (vocab, train and build with GloVe, encode).

A command decorated with :func:`engine_options` receives ``engine: dict`` (keys
``engine``, ``spark_master``, ``spark_conf``) and opens the session with
:func:`engine_session`, which yields ``None`` for the local engine. Its data
options take :class:`EnginePath`, which checks that a path exists only for the
local engine: Spark reads ``hdfs://``, ``s3a://`` and globs that no local
check could see.

Example:
    >>> @click.command()
    ... @engine_options
    ... def count(engine: dict) -> None:
    ...     with engine_session(engine) as spark:
    ...         click.echo("local" if spark is None else spark.sparkContext.master)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from aligner_cli.common import OutputFile, grouped_options

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "ENGINE_KEYS",
    "EngineOutputFile",
    "EnginePath",
    "engine_options",
    "engine_session",
    "local_only",
    "no_shards",
    "uses_spark",
]

ENGINE_KEYS = ("engine", "spark_master", "spark_conf", "spark_shards")
MASTER_ENV = "ALIGNER_SPARK_MASTER"  # aligner.engines.spark.MASTER_ENV (not imported: no pyspark)


def _conf(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    from aligner.engines.spark.session import parse_conf
    from aligner.errors import InputError

    try:
        return parse_conf(values)
    except InputError as exc:
        raise click.UsageError(str(exc), ctx) from None


OPTIONS = [
    click.option(
        "--engine",
        type=click.Choice(["local", "spark"]),
        default="local",
        show_default=True,
        is_eager=True,  # known before the data paths are checked (see EnginePath)
        help="Where the counting or encoding runs: here (local), or on Apache Spark "
        "(pip install 'aligner[spark]'; paths may then be anything Spark reads: hdfs://, "
        "s3a://, globs).",
    ),
    click.option(
        "--spark-master",
        envvar=MASTER_ENV,
        show_envvar=True,
        default=None,
        show_default="local[*]",
        metavar="URL",
        help="--engine spark: the master URL (local[N], spark://HOST:PORT, yarn, k8s://...).",
    ),
    click.option(
        "--spark-conf",
        multiple=True,
        metavar="KEY=VALUE",
        callback=_conf,
        help="--engine spark: a Spark setting, e.g. spark.executor.memory=8g (repeatable).",
    ),
    click.option(
        "--spark-shards",
        metavar="DIR",
        default=None,
        help="--engine spark, GloVe (train, build): where the co-occurrence shards go and stay, "
        "a directory the executors and this process share (needed on a cluster; on a local "
        "master a temporary directory, removed afterwards).",
    ),
]


def engine_options(func: F) -> F:
    """Add ``--engine``, ``--spark-master`` and ``--spark-conf``; the command receives
    them as one dict argument ``engine`` (``spark_conf`` already parsed into a dict)."""
    return grouped_options("engine", OPTIONS, ENGINE_KEYS)(func)


def uses_spark(engine: dict[str, Any]) -> bool:
    """Whether the command runs on Spark."""
    return bool(engine["engine"] == "spark")


def _check(engine: dict[str, Any]) -> None:
    """Refuse Spark settings given on the command line without ``--engine spark``.

    ``$ALIGNER_SPARK_MASTER`` alone is a default, never an error.
    """
    ctx = click.get_current_context(silent=True)
    given = []
    if ctx is not None:
        source = ctx.get_parameter_source("spark_master")
        if source == click.core.ParameterSource.COMMANDLINE:
            given.append("--spark-master")
    if engine["spark_conf"]:
        given.append("--spark-conf")
    if engine.get("spark_shards") is not None:
        given.append("--spark-shards")
    if given and not uses_spark(engine):
        raise click.UsageError(
            f"{' and '.join(given)} {'apply' if len(given) > 1 else 'applies'} to "
            "--engine spark; add --engine spark or drop them"
        )


def no_shards(engine: dict[str, Any], command: str) -> None:
    """Refuse ``--spark-shards`` where no GloVe co-occurrences are counted.

    Raises:
        click.UsageError: ``--spark-shards`` given to ``command``.
    """
    if engine.get("spark_shards") is not None:
        raise click.UsageError(
            f"--spark-shards applies to GloVe's counting (train, build), not to {command}"
        )


@contextmanager
def engine_session(engine: dict[str, Any]) -> Iterator[Any]:
    """The Spark session of ``--engine spark`` (stopped at the end), or ``None`` for local.

    Raises:
        click.UsageError: Spark settings without ``--engine spark``.
        InputError: pyspark is missing (the message says ``pip install 'aligner[spark]'``),
            Java does not start, or the master URL is refused.
    """
    _check(engine)
    if not uses_spark(engine):
        yield None
        return
    from aligner.engines.spark.session import spark_session

    with spark_session(engine["spark_master"], engine["spark_conf"]) as spark:
        yield spark


class EnginePath(click.Path):
    """``click.Path`` whose checks apply to the local engine only.

    With ``--engine spark`` (an eager option, so known first) the value is
    passed on as it is: Spark lists it, and says in one line when it matches
    nothing.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if ctx is not None and ctx.params.get("engine") == "spark":
            return os.fspath(value)
        return super().convert(value, param, ctx)


class EngineOutputFile(OutputFile):
    """:class:`~aligner_cli.common.OutputFile` for the local engine; with ``--engine spark``
    the output is a directory (of Parquet or text parts) anywhere Spark writes, passed on."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if ctx is not None and ctx.params.get("engine") == "spark":
            return os.fspath(value)
        return super().convert(value, param, ctx)


def local_only(engine: dict[str, Any], **given: object) -> None:
    """Refuse options the Spark engine does not take (``follow_links=True`` → ``--follow-links``).

    Raises:
        click.UsageError: one of ``given`` is set (not None or False) with ``--engine spark``.
    """
    if not uses_spark(engine):
        return
    names = [
        "--" + name.replace("_", "-") for name, value in given.items() if value not in (None, False)
    ]
    if names:
        raise click.UsageError(
            f"{', '.join(names)} {'apply' if len(names) > 1 else 'applies'} to --engine local; "
            "drop it with --engine spark"
        )
