"""The Spark session (aligner.engines.spark.session): settings, one-line start errors,
errors of jobs brought back as aligner's, and pyspark imported only when used."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from aligner.engines.spark.session import _start_error, parse_conf, require_pyspark, translate
from aligner.errors import CorpusError, InputError, VocabError


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_importing_aligner_and_the_engine_does_not_import_pyspark() -> None:
    done = run_python(
        """
        import sys
        import aligner, aligner.engines, aligner.engines.spark, aligner.engines.glove_shards
        import aligner_cli.engine
        assert aligner.spark is aligner.engines.spark  # the name the issue gives it
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("pyspark", "py4j")))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_pyspark_the_engine_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails
    from aligner.engines.spark import build_vocab_file, get_session

    for call in (
        lambda: get_session(),
        lambda: build_vocab_file(None, "d", "v.tsv", tokenizer=None),
    ):
        with pytest.raises(InputError) as caught:
            call()
        assert "pip install 'aligner[spark]'" in str(caught.value)
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["spark.executor.memory=4g"], {"spark.executor.memory": "4g"}),
        (["spark.a=x=y", "spark.b="], {"spark.a": "x=y", "spark.b": ""}),
        ({"spark.sql.shuffle.partitions": 8}, {"spark.sql.shuffle.partitions": "8"}),
        (None, {}),
    ],
)
def test_settings_are_key_value_pairs(items: Any, expected: dict[str, str]) -> None:
    assert parse_conf(items) == expected


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("spark.executor.memory", "is not KEY=VALUE"),
        ("=4g", "is not KEY=VALUE"),
        (" spark.x=1", "is not KEY=VALUE"),
        ("executor.memory=4g", "is not a Spark setting"),
    ],
)
def test_malformed_settings_are_refused(item: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_conf([item])


def test_job_errors_come_back_as_aligner_errors() -> None:
    worker = Exception(
        "Traceback (most recent call last):\n  ...\naligner.errors.VocabError: bad one\n"
    )
    sql = Exception(
        "[USER_RAISED_EXCEPTION] ALIGNER CorpusError: /d/x.txt: no good SQLSTATE: P0001"
    )
    other = Exception("java.io.IOException: disk gone\n\tat somewhere")
    assert isinstance(translate(worker, "count"), VocabError)
    assert str(translate(worker, "count")) == "bad one"
    assert str(translate(sql, "count")) == "/d/x.txt: no good"
    found = translate(other, "count the tokens of d/")
    assert isinstance(found, CorpusError)
    assert str(found).startswith("Spark could not count the tokens of d/ (java.io.IOException")


def test_a_second_master_while_a_session_runs_is_refused(spark: Any) -> None:
    from aligner.engines.spark import get_session

    assert get_session() is spark  # the running one is reused
    with pytest.raises(InputError, match="already runs in this process"):
        get_session(master="local[1]")
    with pytest.raises(InputError, match="before asking for new settings"):
        get_session(conf={"spark.executor.memory": "1g"})


def test_no_java_and_a_bad_master_are_one_line_errors() -> None:
    pytest.importorskip("pyspark")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_"))}
    env["JAVA_HOME"] = "/nonexistent-java"
    done = run_python(
        """
        import os
        from aligner.engines.spark import get_session
        from aligner.errors import InputError
        for master in ("local[1]", "nonsense://nowhere", "local[x]"):
            try:
                get_session(master=master)
            except InputError as exc:
                print(exc)
        """,
        env=env,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and len(lines) == 3, done.stdout + done.stderr
    assert lines[0].startswith("cannot start Spark (master 'local[1]'): no Java found")
    assert "install Java 17 or later" in lines[0]
    for line, master in zip(lines[1:], ("nonsense://nowhere", "local[x]"), strict=True):
        assert line.startswith(f"Spark master {master!r} is not a master URL; pass one of:")


def test_require_pyspark_returns_the_module() -> None:
    pytest.importorskip("pyspark")
    assert require_pyspark().__name__ == "pyspark"


def test_an_unreachable_master_is_named_with_the_remedy() -> None:
    # Spark stops the context after its registration retries (about 80 s): the message
    # it then gives is turned into one line naming the master
    gave_up = "An error occurred while calling None.x.\n: java.lang.IllegalStateException: "
    gave_up += "Cannot call methods on a stopped SparkContext.\nThis stopped SparkContext was"
    message = _start_error("spark://10.0.0.9:7077", gave_up)
    assert message.startswith("cannot reach Spark master 'spark://10.0.0.9:7077'")
    assert "check the host and port" in message
    other = _start_error("local[2]", gave_up)
    assert "(java.lang.IllegalStateException: Cannot call methods" in other
