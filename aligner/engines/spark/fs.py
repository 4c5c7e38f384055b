"""Files as Spark sees them: listing inputs and placing outputs through Hadoop's FileSystem.

Everything goes through the JVM's ``org.apache.hadoop.fs.FileSystem`` of the
session, so any path Spark reads works the same way: local paths,
``file://``, ``hdfs://``, ``s3a://`` (with the connector on the classpath). A
path without a scheme is on Spark's default filesystem; when that is the
local one, a relative path is taken from this process's working directory.

Inputs are expanded as :class:`~aligner.corpus.Corpus` expands them: a
directory is walked recursively, each level in name order, and a glob is
expanded in name order. Names starting with ``.`` or ``_`` inside
directories are skipped, as Spark skips them (``_SUCCESS``, ``.crc``).

Outputs are written under a hidden temporary name beside the final one,
``.<name>.<pid>.<8 hex digits>.tmp``, and renamed into place once complete;
a failure removes the temporary directory (:func:`staged_output`).

Example:
    >>> files = list_files(spark, ["data/", "more/*.parquet"])  # doctest: +SKIP
    >>> files[0].path, files[0].size  # doctest: +SKIP
    ('file:/home/me/data/a.txt', 1024)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from aligner.corpus_io import brief
from aligner.errors import CorpusError, InputError

__all__ = ["InputFile", "corpus_identity", "list_files", "qualified", "shown", "staged_output"]

_GLOB = set("*?[{")


@dataclass(frozen=True)
class InputFile:
    """One input file.

    Attributes:
        path: the qualified path as Hadoop writes it (``file:/data/a b.txt``), which
            Spark's readers take.
        name: the file's name (its last path component).
        size: bytes on disk.
        modified: modification time, milliseconds since the epoch.
    """

    path: str
    name: str
    size: int
    modified: int = 0

    @property
    def shown(self) -> str:
        """The file as messages name it: a local file by its path, others by URI."""
        return shown(self.path)


def shown(path: str) -> str:
    """A Hadoop path for messages: ``file:/data/a b.txt`` → ``/data/a b.txt``."""
    if path.startswith("file://"):
        return unquote(urlparse(path).path)
    return path.removeprefix("file:")


def _jvm_path(spark: Any, path: str) -> Any:
    jvm = spark.sparkContext._jvm
    return jvm.org.apache.hadoop.fs.Path(path)


def _filesystem(spark: Any, jpath: Any) -> Any:
    return jpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def _absolute(spark: Any, path: str) -> str:
    """``path``, absolute when it has no scheme and the default filesystem is local."""
    if "://" in path or path.startswith("file:"):
        return path
    default = spark.sparkContext._jsc.hadoopConfiguration().get("fs.defaultFS") or "file:///"
    return os.path.abspath(path) if str(default).startswith("file:") else path


def qualified(spark: Any, path: str | os.PathLike[str]) -> str:
    """The fully qualified URI of ``path`` (``/tmp/x`` → ``file:/tmp/x``)."""
    jpath = _jvm_path(spark, _absolute(spark, os.fspath(path)))
    return str(_filesystem(spark, jpath).makeQualified(jpath).toString())


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def _walk(fs: Any, status: Any, found: list[InputFile]) -> None:
    if not status.isDirectory():
        path = status.getPath()
        name, size, modified = str(path.getName()), status.getLen(), status.getModificationTime()
        found.append(InputFile(str(path.toString()), name, int(size), int(modified)))
        return
    entries = sorted(fs.listStatus(status.getPath()), key=lambda s: str(s.getPath().getName()))
    for entry in entries:
        if not _hidden(str(entry.getPath().getName())):
            _walk(fs, entry, found)


def _expand(spark: Any, given: str) -> list[InputFile]:
    path = _absolute(spark, given)
    jpath = _jvm_path(spark, path)
    fs = _filesystem(spark, jpath)
    if _GLOB & set(path):
        statuses = fs.globStatus(jpath) or []
        statuses = sorted(statuses, key=lambda s: str(s.getPath().toString()))
    elif fs.exists(jpath):
        statuses = [fs.getFileStatus(jpath)]
    else:
        statuses = []
    found: list[InputFile] = []
    for status in statuses:
        _walk(fs, status, found)
    return found


def list_files(
    spark: Any, paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
) -> list[InputFile]:
    """The files of ``paths`` (files, directories, globs), in the order they are read.

    Raises:
        CorpusError: a path matches nothing, holds no file, or cannot be listed.
    """
    given = (
        [os.fspath(paths)]
        if isinstance(paths, str | os.PathLike)
        else [os.fspath(p) for p in paths]
    )
    if not given:
        raise InputError("no input paths given; pass a file, a directory or a glob")
    files: list[InputFile] = []
    for path in given:
        try:
            found = _expand(spark, path)
        except Exception as exc:  # a Hadoop error through py4j: no scheme handler, no access
            raise CorpusError(
                f"{path}: Spark cannot list it ({_java_message(exc)}); check the path, its "
                "scheme and the filesystem's settings (--spark-conf spark.hadoop.*)"
            ) from None
        if not found:
            raise CorpusError(
                f"{path}: no such file, or no file matches (names starting with '.' or '_' "
                "are skipped); check the path"
            )
        files.extend(found)
    return files


def corpus_identity(
    spark: Any,
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    text_column: str | None,
) -> dict[str, Any]:
    """What decides a corpus's content as Spark lists it, for a build's cache key: every
    file's URI, size and modification time, and the text column (a cheap listing, no read).

    Raises:
        CorpusError: see :func:`list_files`.

    Example:
        >>> corpus_identity(spark, "s3a://bucket/corpus/", None)["files"][0]  # doctest: +SKIP
        ['s3a://bucket/corpus/part-0.txt.gz', 1048576, 1732550400000]
    """
    files = [[f.path, f.size, f.modified] for f in list_files(spark, paths)]
    return {"engine": "spark", "files": files, "text_column": text_column}


def _java_message(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            return brief(Exception(str(java.toString())))
        except Exception:  # the gateway is gone
            pass
    return brief(exc)


def exists(spark: Any, uri: str) -> bool:
    jpath = _jvm_path(spark, uri)
    return bool(_filesystem(spark, jpath).exists(jpath))


def delete(spark: Any, uri: str) -> None:
    jpath = _jvm_path(spark, uri)
    _filesystem(spark, jpath).delete(jpath, True)


def write_bytes(spark: Any, uri: str, data: bytes) -> None:
    """Write a small file (created, or replaced)."""
    jpath = _jvm_path(spark, uri)
    stream = _filesystem(spark, jpath).create(jpath, True)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()


def _temporary(uri: str) -> str:
    parent, _, name = uri.rstrip("/").rpartition("/")
    return f"{parent}/.{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


@contextmanager
def staged_output(spark: Any, out: str | os.PathLike[str], *, force: bool) -> Iterator[str]:
    """A temporary directory URI to write into, renamed to ``out`` on success.

    ``out`` is checked first: it must not exist unless ``force`` (then it is
    replaced once the new output is complete). On an error the temporary
    directory is removed and ``out`` is left as it was.

    Raises:
        InputError: ``out`` exists without ``force``, or the rename fails.
    """
    target = qualified(spark, out)
    if exists(spark, target) and not force:
        raise InputError(f"{shown(target)} already exists; pass --force to replace it")
    tmp = _temporary(target)
    try:
        yield tmp
        _place(spark, tmp, target, force)
    except BaseException:
        delete(spark, tmp)
        raise


def _place(spark: Any, tmp: str, target: str, force: bool) -> None:
    if exists(spark, target):
        if not force:
            raise InputError(f"{shown(target)} appeared while writing; pass --force to replace it")
        delete(spark, target)
    src, dst = _jvm_path(spark, tmp), _jvm_path(spark, target)
    if not _filesystem(spark, src).rename(src, dst):
        raise InputError(
            f"cannot move the finished output into {shown(target)}; check the directory"
        )
