"""The Spark session the engine runs on, and Spark's errors turned into aligner's.

A caller passes their own ``SparkSession``, or one is started from a master
URL (``local[*]`` by default, or ``$ALIGNER_SPARK_MASTER``) and ``KEY=VALUE``
settings. pyspark is imported here, inside the functions, never at import
time; without it every entry point says, in one line, what to install.

Example:
    >>> with spark_session("local[2]", {"spark.sql.shuffle.partitions": "4"}) as spark:
    ...     spark.range(3).count()  # doctest: +SKIP
    3
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aligner.errors as errors_module
from aligner.corpus_io import brief
from aligner.errors import AlignerError, CorpusError, InputError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "DEFAULT_MASTER",
    "INSTALL",
    "MASTER_ENV",
    "get_session",
    "map_in_arrow",
    "parse_conf",
    "quiet",
    "require_pyspark",
    "spark_errors",
    "spark_session",
    "sql_error",
]

DEFAULT_MASTER = "local[*]"
MASTER_ENV = "ALIGNER_SPARK_MASTER"
INSTALL = "pip install 'aligner[spark]'"
#: settings of the sessions started here, unless given: no console progress bars
DEFAULT_CONF = {"spark.ui.showConsoleProgress": "false", "spark.app.name": "aligner"}
#: how an error raised on purpose inside a Spark job reaches the driver
_WORKER_ERROR = re.compile(r"^aligner\.errors\.(\w+): (.+)$", re.MULTILINE)
_SQL_ERROR = re.compile(r"ALIGNER (\w+): (.+?)(?: SQLSTATE: \w+)?$", re.MULTILINE)
#: the master URLs spark-submit accepts (it refuses others before Spark starts, on stderr)
_MASTER = re.compile(
    r"local(\[(\*|\d+)(,\d+)?\])?|local-cluster\[\d+,\d+,\d+\]|yarn|(spark|k8s)://\S+"
)
MASTERS = "local[*], local[N], spark://HOST:PORT, yarn, k8s://HOST:PORT"


def require_pyspark() -> Any:
    """The ``pyspark`` module.

    Raises:
        InputError: pyspark is not installed (the message says what to install).
    """
    try:
        import pyspark
    except ImportError:
        raise InputError(
            f"the Spark engine needs pyspark, which is not installed: {INSTALL} "
            "(and Java 17 or later), or use the local engine"
        ) from None
    return pyspark


def parse_conf(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """Spark settings from ``KEY=VALUE`` strings (``--spark-conf``) or a mapping.

    Raises:
        InputError: an item is not ``KEY=VALUE`` or its key is not a Spark key.

    Example:
        >>> parse_conf(["spark.executor.memory=4g"])
        {'spark.executor.memory': '4g'}
    """
    if items is None:
        return {}
    if isinstance(items, Mapping):
        pairs = [(str(k), str(v)) for k, v in items.items()]
    else:
        pairs = []
        for item in items:
            key, equals, value = str(item).partition("=")
            if not equals or not key.strip() or key != key.strip():
                raise InputError(
                    f"--spark-conf {item!r} is not KEY=VALUE; "
                    "e.g. --spark-conf spark.executor.memory=4g"
                )
            pairs.append((key, value))
    for key, _ in pairs:
        if not key.startswith("spark.") or any(c.isspace() for c in key):
            raise InputError(
                f"--spark-conf key {key!r} is not a Spark setting (Spark's keys start with "
                "'spark.', e.g. spark.executor.memory=4g; Hadoop's with spark.hadoop.)"
            )
    return dict(pairs)


def _is_local(master: str) -> bool:
    return master == "local" or master.startswith("local[")


def _active() -> Any:
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


def get_session(
    spark: SparkSession | None = None,
    *,
    master: str | None = None,
    conf: Mapping[str, str] | Iterable[str] | None = None,
) -> SparkSession:
    """The session to run on: ``spark`` when given, else one started (or reused).

    Without ``spark``, a session already running in this process is reused
    when ``master`` and ``conf`` are not given; otherwise a new one starts
    on ``master`` (default ``$ALIGNER_SPARK_MASTER``, else ``local[*]``)
    with ``conf``. On a ``local`` master the Python workers run this
    interpreter (unless ``PYSPARK_PYTHON`` says otherwise). The log of a
    session started here is off (its failures come back as aligner's
    one-line errors); ``spark.sparkContext.setLogLevel("WARN")`` turns it on.

    Args:
        spark: the caller's own session.
        master: any master URL Spark accepts (``local[4]``,
            ``spark://host:7077``, ``yarn``, ``k8s://...``).
        conf: Spark settings, a mapping or ``KEY=VALUE`` strings.

    Returns:
        A ``pyspark.sql.SparkSession``.

    Raises:
        InputError: pyspark is missing, Java does not start, the master URL
            is refused, a session on another master already runs here, or a
            setting is malformed.

    Example:
        >>> spark = get_session(master="local[2]")  # doctest: +SKIP
    """
    require_pyspark()
    if spark is not None:
        return spark
    settings = parse_conf(conf)
    running = _active()
    if running is not None:
        if master is None and not settings:
            return running
        current = running.sparkContext.master
        if master not in (None, current) or settings:
            asked = f"master {master!r}" if master not in (None, current) else "new settings"
            raise InputError(
                f"a Spark session on master {current!r} already runs in this process; "
                f"pass it as spark=, or stop it before asking for {asked}"
            )
    chosen = master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER
    return _start(chosen, settings)


def _java() -> str | None:
    """The java that Spark's launcher runs (``$JAVA_HOME/bin/java``, else the one on PATH)."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = os.path.join(home, "bin", "java")
        return java if os.access(java, os.X_OK) else None
    return shutil.which("java")


def _start(master: str, settings: dict[str, str]) -> SparkSession:
    from pyspark.sql import SparkSession

    if not _MASTER.fullmatch(master):
        raise InputError(f"Spark master {master!r} is not a master URL; pass one of: {MASTERS}")
    if _java() is None:
        raise InputError(
            f"cannot start Spark (master {master!r}): no Java found (JAVA_HOME, or java on "
            "PATH); install Java 17 or later and set JAVA_HOME, or use the local engine"
        )
    if _is_local(master) and "PYSPARK_PYTHON" not in os.environ:
        os.environ["PYSPARK_PYTHON"] = sys.executable  # workers import aligner like we do
    builder = SparkSession.builder.master(master)
    for key, value in (DEFAULT_CONF | _quiet_log(settings) | settings).items():
        builder = builder.config(key, value)
    _import_quietly("pyspark.testing.utils")  # starting a session imports it
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java that does not run, settings Spark refuses, ...
        raise InputError(_start_error(master, str(exc))) from None
    session.sparkContext.setLogLevel("OFF")  # failures are reported here, in one line
    return session


def _import_quietly(module: str) -> None:
    """Import a module pyspark imports lazily, without its warning that it has not been tested
    with the installed pandas (the engine passes Arrow, never pandas, through Spark)."""
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        importlib.import_module(module)


def _quiet_log(settings: dict[str, str]) -> dict[str, str]:
    """The driver's Java options with aligner's log configuration (errors only), unless
    the user sets the driver's Java options."""
    if "spark.driver.extraJavaOptions" in settings:
        return {}
    config = Path(__file__).with_name("log4j2.properties").as_uri()
    return {"spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={config}"}


def _start_error(master: str, text: str) -> str:
    if "stopped SparkContext" in text and not _is_local(master):
        return (
            f"cannot reach Spark master {master!r}: Spark gave up registering with it; check "
            "the host and port, and that the master runs and accepts this machine"
        )
    return (
        f"cannot start Spark with master {master!r} ({_first_line(text)}); Spark's launcher "
        "says why on stderr; check Java (17 or later) and the --spark-conf settings"
    )


@contextmanager
def spark_session(
    master: str | None = None, conf: Mapping[str, str] | Iterable[str] | None = None
) -> Iterator[SparkSession]:
    """A session for one task: started here (see :func:`get_session`), stopped at the end
    unless it was already running.

    Raises:
        InputError: see :func:`get_session`.
    """
    require_pyspark()
    before = _active()
    session = get_session(master=master, conf=conf)
    try:
        yield session
    finally:
        if before is None:
            session.stop()


def sql_error(kind: type[AlignerError], message: str) -> str:
    """The text of a SQL ``raise_error`` that :func:`spark_errors` turns into ``kind``."""
    return f"ALIGNER {kind.__name__}: {message}"


def _first_line(text: str) -> str:
    """The first informative line of a Spark or py4j error."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line.removeprefix(": ") for line in lines if not line.startswith("An error occurred")]
    return brief(Exception(lines[0])) if lines else "no detail"


def translate(exc: BaseException, what: str) -> AlignerError:
    """The aligner error for an exception that a Spark job raised."""
    text = str(exc)
    for pattern in (_WORKER_ERROR, _SQL_ERROR):
        found = pattern.findall(text)
        if found:
            name, message = found[-1]
            kind = getattr(errors_module, name, None)
            if isinstance(kind, type) and issubclass(kind, AlignerError):
                return kind(message.strip())
    return CorpusError(f"Spark could not {what} ({_first_line(text)}); check the paths and Spark")


@contextmanager
def spark_errors(what: str) -> Iterator[None]:
    """Turn a failed Spark job into an :class:`~aligner.errors.AlignerError`.

    Errors raised on purpose inside the job (on an executor) come back as
    themselves; any other failure becomes a
    :class:`~aligner.errors.CorpusError` saying what could not be done.

    Args:
        what: what the job does, for the message (``"count the tokens of data/"``).
    """
    try:
        with quiet():
            yield
    except AlignerError:
        raise
    except Exception as exc:
        if not _is_spark_error(exc):
            raise
        raise translate(exc, what) from None


def _is_spark_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("pyspark", "py4j"))


#: pyspark warns on every Arrow call when pandas is 3.x; aligner uses Arrow only, not pandas
_PANDAS_WARNING = "PySpark does not yet fully support pandas"


@contextmanager
def quiet() -> Iterator[None]:
    """Silence pyspark's warning about the pandas version (aligner's Arrow calls use no pandas)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PANDAS_WARNING, category=FutureWarning)
        yield


def map_in_arrow(frame: Any, func: Any, schema: Any) -> Any:
    """``frame.mapInArrow(func, schema)``, without pyspark's pandas-version warning."""
    with quiet():
        return frame.mapInArrow(func, schema)
