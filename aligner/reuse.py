"""What a build is made of, by content: its inputs record, its key, and what changed.

A build's *inputs* are everything that decides the artifact's content: the
bytes of every input file (by sha256, see :mod:`aligner.filehash`), the
options, the aligner version. Paths and modification times are not part of
them: a copy of the corpus, a ``touch`` or a git checkout builds the same
artifact, so it is reused. The inputs are stored in the manifest
(``build.inputs``) with their sha256 (``build.key``); when an artifact at
``--out`` was built from other inputs, :func:`changes` says which. A corpus
counted on Spark is recorded the same way when its files are local, else by
Spark's listing (see :mod:`aligner.build_spark`).

Example:
    >>> old = {"fill": {"init": "normal", "init_scale": None, "seed": 0}}
    >>> changes(old, {"fill": {"init": "normal", "init_scale": None, "seed": 3}}, {})
    ['option --seed 0 → 3']
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aligner.artifact import FORMAT_VERSION, load_manifest, open_artifact
from aligner.build_checks import data_errors
from aligner.corpus import Corpus
from aligner.errors import AlignerError, ArtifactExistsError, CorpusError, InputError
from aligner.filehash import file_digest
from aligner.task import SentencePieceTraining
from aligner.tokenize import TokenizerSpec

if TYPE_CHECKING:
    from aligner.artifact import Artifact
    from aligner.pipeline import BuildConfig

__all__ = [
    "build_inputs",
    "changes",
    "content_digest",
    "corpus_identity",
    "find_reusable",
    "inputs_key",
]

#: the CLI option of each input that is an option value
OPTIONS = {
    "source.method": "--method",
    "source.format": "--format",
    "source.member": "--member",
    "source.dim": "--dim",
    "source.skip_bad_rows": "--skip-bad-rows",
    "source.corpus.text_column": "--text-column",
    "task.vocab.min_count": "--vocab-min-count",
    "task.vocab.max_size": "--vocab-max-size",
    "task.vocab.data.text_column": "--data-text-column",
    "fallbacks": "--fallbacks",
    "fill.init": "--init",
    "fill.init_scale": "--init-scale",
    "fill.seed": "--seed",
    "specials.pad": "--pad-token",
    "specials.unk": "--unk-token",
    "dtype": "--dtype",
    "evaluate": "--eval",
}
#: training parameters that have a CLI option of the same name
PARAM_OPTIONS = {"dim", "window", "min_count", "epochs", "negative", "workers", "min_n", "max_n",
                 "bucket", "x_max", "alpha", "learning_rate", "max_vocab", "memory_gb", "device",
                 "threads", "seed"}  # fmt: skip
SHOWN = 6  # changes named in one message at most


def content_digest(path: str | os.PathLike[str], what: str, cache: Any = None) -> str:
    """The sha256 of an input file (cached, see :mod:`aligner.filehash`).

    Raises:
        InputError: the file cannot be read; the message names ``what`` and the path.
    """
    try:
        return file_digest(path, cache=cache)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def corpus_identity(corpus: Corpus, cache: Any = None) -> dict[str, Any]:
    """What decides a corpus's content: each file's content, how it is read, and where it
    sits inside a directory (a single file's own name and path are not part of it)."""
    files = []
    for file in corpus.files:
        name = file.path.relative_to(corpus.path).as_posix() if corpus.is_directory else ""
        try:
            digest = file_digest(file.path, cache=cache)
        except OSError as exc:
            raise CorpusError(f"{file.path}: cannot read it ({exc.strerror or exc})") from None
        files.append([name, file.layout, file.compression, digest])
    return {"files": files, "text_column": corpus.text_column}


def inputs_key(inputs: dict[str, Any]) -> str:
    """The sha256 of an inputs record (its canonical JSON)."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ",".join(value)
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 40 else text[:39] + "…"


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict) and data:
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat |= _flatten(value, f"{prefix}{key}.")
        return flat
    return {prefix[:-1]: data}


def _file_changes(label: str, root: str, old: list[Any], new: list[Any]) -> list[str]:
    """Per-file changes of a corpus (or dataset 1): one file, or the files of a directory."""
    if len(old) == len(new) == 1 and old[0][0] == new[0][0] == "":
        if old[0][1:3] != new[0][1:3]:
            return [f"{label} {root} is now read as {new[0][1]} (was {old[0][1]})"]
        return [f"{label} {root} changed (content differs)"]
    found = _entry_changes(old, new, f"{root}/", "content differs")
    return found or [f"{label} {root} changed"]


def _entry_changes(old: list[Any], new: list[Any], prefix: str, how: str) -> list[str]:
    """Files added, removed and changed between two lists of ``[name, ...]`` entries."""
    before = {entry[0]: entry for entry in old}
    after = {entry[0]: entry for entry in new}
    found = [f"{prefix}{n} added" for n in after if n not in before]
    found += [f"{prefix}{n} removed" for n in before if n not in after]
    found += [
        f"{prefix}{n} changed ({how})" for n in after if n in before and before[n] != after[n]
    ]
    return found


def _listed_changes(root: str, old: list[Any], new: list[Any], listed: list[bool]) -> list[str]:
    """Changes of a corpus Spark lists (``[uri, size, modified]`` per file, see
    :mod:`aligner.build_spark`): files added, removed or rewritten."""
    if not all(listed):
        return [f"corpus {root} changed (other files)"]
    found = _entry_changes(old, new, "", "size or modification time differs")
    return found or [f"corpus {root} changed"]


def _spec(data: Any) -> str:
    """A tokenizer (or pieces) record in a few words."""
    if not isinstance(data, dict):
        return "none"
    if "train" in data:
        train = data["train"]
        return (
            f"sentencepiece trained on the {train.get('train_on')} "
            f"({train.get('vocab_size')} {train.get('model_type')} pieces)"
        )
    words = [str(data.get("kind"))]
    words += ["lowercase"] if data.get("lowercase") else []
    words += [str(data["normalize"])] if data.get("normalize") else []
    if data.get("model_sha256"):
        words.append(f"model {str(data['model_sha256'])[:8]}")
    return " ".join(words)


def _spec_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The tokenizer and the pieces, each as one change."""
    found = []
    before, after = old.get("task") or {}, new.get("task") or {}
    for key, label in (("tokenizer", "tokenizer"), ("pieces", "subword pieces")):
        if before.get(key) != after.get(key):
            found.append(f"{label} {_spec(before.get(key))} → {_spec(after.get(key))}")
    return found


def _leaf_change(path: str, old: Any, new: Any) -> str:
    if path in OPTIONS:
        return f"option {OPTIONS[path]} {_show(old)} → {_show(new)}"
    if path.startswith("source.params."):
        name = path.removeprefix("source.params.")
        if name == "sg" and isinstance(new, bool):
            return f"option {'--sg' if new else '--cbow'} (was {'--sg' if old else '--cbow'})"
        if name in PARAM_OPTIONS:
            return f"option --{name.replace('_', '-')} {_show(old)} → {_show(new)}"
        return f"training parameter {name} {_show(old)} → {_show(new)}"
    if path == "aligner":
        return f"aligner version {_show(old)} → {_show(new)}"
    if path.startswith("metadata"):
        return "metadata changed"
    return f"{path.replace('.', ' ')} {_show(old)} → {_show(new)}"


def changes(old: dict[str, Any], new: dict[str, Any], names: dict[str, str]) -> list[str]:
    """What differs between two inputs records, one short phrase per change.

    Args:
        old: the inputs of the artifact on disk.
        new: the inputs of the build asked for.
        names: the paths the user gave (``corpus``, ``vocab``, ``data``,
            ``pretrained``), to name the files that changed.

    Returns:
        Phrases such as ``"corpus corpus.txt changed (content differs)"`` or
        ``"option --dim 50 → 100"``; at most a few, then how many more.
    """
    found: list[str] = []
    files = {
        "source.corpus.files": ("corpus", names.get("corpus", "")),
        "task.vocab.data.files": ("dataset", names.get("data", "")),
    }
    old_flat, new_flat = _flatten(old), _flatten(new)
    listed = [flat.get("source.corpus.engine") == "spark" for flat in (old_flat, new_flat)]
    kinds = old_flat.get("source.kind"), new_flat.get("source.kind")
    if kinds[0] != kinds[1]:
        found.append(f"vectors source {_show(kinds[0])} → {_show(kinds[1])}")
    found += _spec_changes(old, new)
    for path in dict.fromkeys([*new_flat, *old_flat]):
        before, after = old_flat.get(path), new_flat.get(path)
        if before == after or (kinds[0] != kinds[1] and path.startswith("source.")):
            continue
        if path.startswith(("task.tokenizer", "task.pieces")) or path == "source.corpus.engine":
            continue
        if path == "source.corpus.files" and any(listed):
            found += _listed_changes(names.get("corpus", ""), before or [], after or [], listed)
        elif path in files and isinstance(before, list) and isinstance(after, list):
            found += _file_changes(*files[path], before, after)
        elif path == "task.vocab.sha256":
            found.append(f"vocabulary {names.get('vocab', '')} changed (content differs)")
        elif path == "source.file.sha256":
            found.append(
                f"pretrained vectors {names.get('pretrained', '')} changed (content differs)"
            )
        elif path.startswith("metadata") and "metadata changed" in found:
            continue
        else:
            found.append(_leaf_change(path, before, after))
    found = list(dict.fromkeys(found))  # one option may be recorded twice (the seed)
    if len(found) > SHOWN:
        found = [*found[: SHOWN - 1], f"and {len(found) - SHOWN + 1} more changes"]
    return found


def _spec_identity(spec: TokenizerSpec | SentencePieceTraining | None) -> Any:
    if isinstance(spec, SentencePieceTraining):
        return {"train": spec.to_dict()}
    return None if spec is None else spec.to_dict()


def _task_identity(config: BuildConfig) -> dict[str, Any]:
    """What decides the tokenizer and the vocabulary, without computing them."""
    if config.vocab is not None:
        vocab: Any = {"sha256": content_digest(config.vocab, "vocabulary", config.cache)}
    else:
        assert config.data is not None
        with data_errors():
            data = Corpus(
                config.data, text_column=config.data_column, follow_links=config.follow_links
            )
            vocab = {"data": corpus_identity(data, config.cache)}
        vocab |= {"min_count": config.vocab_min_count, "max_size": config.vocab_max_size}
    return {
        "vocab": vocab,
        "tokenizer": _spec_identity(config.tokenizer),
        "pieces": _spec_identity(config.pieces),
    }


def build_inputs(config: BuildConfig, source: dict[str, Any], seed: int) -> dict[str, Any]:
    """Everything that decides a build's artifact, by content.

    Args:
        config: the build configuration.
        source: what decides the vectors: ``{"kind": "trained", "method",
            "corpus": corpus_identity(...), "params"}`` or the pretrained
            file's digest, format and reading options.
        seed: the build's seed.

    Raises:
        InputError: an input file cannot be read.
    """
    from aligner import __version__

    inputs = {
        "aligner": __version__,
        "format_version": FORMAT_VERSION,
        "source": source,
        "task": _task_identity(config),
        "fallbacks": list(config.fallbacks),
        "fill": {"init": config.init, "init_scale": config.init_scale, "seed": seed},
        "specials": {"pad": config.pad, "unk": config.unk},
        "dtype": config.dtype,
        "metadata": config.metadata,
    }
    if config.evaluate:
        inputs["evaluate"] = True
    return inputs


def _names(config: BuildConfig) -> dict[str, str]:
    """The inputs as the user gave them, for messages."""
    given = {"corpus": config.corpus, "vocab": config.vocab, "data": config.data,
             "pretrained": config.pretrained}  # fmt: skip
    return {name: str(value) for name, value in given.items() if value is not None}


def _recorded(out: Path) -> dict[str, Any] | None:
    try:
        return load_manifest(out) if (out / "manifest.json").is_file() else None
    except AlignerError:
        return None


def find_reusable(
    out: Path, key: str, inputs: dict[str, Any], config: BuildConfig
) -> tuple[Artifact, list[str]] | None:
    """The artifact at ``out`` and its stored warnings, when it was built from the same
    inputs; ``None`` when there is none, or ``config.force`` replaces it.

    Raises:
        ArtifactExistsError: without ``force``, an artifact built from other
            inputs (the message says which changed and how to proceed), or
            one of the same inputs that fails verification.
    """
    manifest = _recorded(out)
    if manifest is None:
        return None
    recorded = manifest.get("build") or {}
    if recorded.get("key") == key:
        try:
            art = open_artifact(out)
        except AlignerError as exc:
            if config.force:
                return None
            raise ArtifactExistsError(
                f"output directory {out} holds an artifact of the same inputs that fails "
                f"verification ({exc}); pass --force to rebuild it"
            ) from None
        if art.coverage is not None:
            return art, [str(w) for w in recorded.get("warnings") or []]
    if config.force:
        return None
    old = recorded.get("inputs")
    if isinstance(old, dict):
        why = ", ".join(changes(old, inputs, _names(config))) or "its inputs differ"
    else:
        version = manifest.get("aligner_version")
        why = f"it records no inputs to compare with (written by aligner {version})"
    raise ArtifactExistsError(
        f"output directory {out} holds an artifact built from other inputs: {why}; "
        "pass --force to replace it"
    )
