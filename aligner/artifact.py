"""The artifact directory: write it atomically, open it memory-mapped and verified.

Layout (``format_version`` 1)::

    DIR/
      vectors.npy      float32 (or float16), little-endian, C order; numpy.load(mmap_mode=...) works
      vocab.txt        UTF-8, row i of the matrix = line i ("\\n" line ends)
      provenance.txt   the match kind of row i on line i (exact, lowercase, fill, ...)
      manifest.json    shape, dtype, sha256 of every file, tokenizer, specials,
                       source and training parameters, fill, coverage, versions
      tokenizer.model  the sentencepiece model, when the tokenizer has one

An artifact is written into a temporary directory beside ``DIR`` and renamed
into place, so a failed or interrupted write never leaves a partial artifact,
and an existing one is only ever replaced by a complete one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aligner.atomic import place_directory, sha256_file, umask
from aligner.errors import ArtifactCorruptError, ArtifactError, ArtifactExistsError, InputError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

if TYPE_CHECKING:
    import torch
    from numpy.typing import ArrayLike

    from aligner.align import Coverage
    from aligner.encode import Encoder
    from aligner.evaluate import Neighbors

__all__ = [
    "FORMAT_VERSION",
    "Artifact",
    "check_output",
    "open_artifact",
    "sha256_file",
    "write_artifact",
]

FORMAT_VERSION = 1
VECTORS, VOCAB, PROVENANCE, MANIFEST = "vectors.npy", "vocab.txt", "provenance.txt", "manifest.json"
TOKENIZER_MODEL = "tokenizer.model"
DTYPES: dict[str, np.dtype[Any]] = {"float32": np.dtype("<f4"), "float16": np.dtype("<f2")}


def _write_lines(path: Path, lines: Iterable[str], what: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for i, line in enumerate(lines):
            if "\n" in line:
                raise ArtifactError(f"{what} of row {i} contains a line break: {line!r}")
            fh.write(line)
            fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_lines(path: Path) -> list[str]:
    # bytes, not read_text(): universal newlines would turn a "\r" inside a token into a break
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ArtifactCorruptError(f"{path} is not valid UTF-8; rebuild the artifact") from None
    if not text.endswith("\n"):
        raise ArtifactCorruptError(f"{path} does not end with a line break: it was truncated")
    return text[:-1].split("\n")


def check_output(out: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check that an artifact may be written at ``out``, before any long work.

    Raises:
        ArtifactExistsError: ``out`` exists and ``force`` is false.
        ArtifactError: ``out`` is a file, or a non-empty directory that is
            not an aligner artifact (never replaced, even with ``force``).
    """
    out = Path(out)
    if not out.exists():
        return out
    if not out.is_dir():
        raise ArtifactError(f"output {out} exists and is not a directory; choose another --out")
    if not force:
        raise ArtifactExistsError(
            f"output directory {out} already exists; pass --force to replace it"
        )
    if any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ArtifactError(
            f"output directory {out} is not empty and holds no aligner artifact; "
            "refusing to replace it, choose another --out"
        )
    return out


def write_artifact(
    out: str | os.PathLike[str],
    matrix: np.ndarray,
    vocab: Vocab,
    provenance: Sequence[str],
    *,
    sections: dict[str, Any] | None = None,
    tokenizer: TokenizerSpec | None = None,
    force: bool = False,
    dtype: str = "float32",
) -> Path:
    """Write an artifact directory atomically.

    Args:
        out: the directory to create (or replace, with ``force``).
        matrix: ``(len(vocab), dim)`` float32 embedding matrix.
        vocab: the vocabulary, row i = token i.
        provenance: the match kind of every row.
        sections: further manifest sections (source, fill, coverage,
            metadata, ...), stored as given.
        tokenizer: the tokenizer spec, stored in the manifest; a
            sentencepiece model is written beside it as ``tokenizer.model``.
        force: replace an existing artifact at ``out``.
        dtype: storage type, ``"float32"`` or ``"float16"`` (half the size;
            layers still come out float32).

    Returns:
        The artifact path.

    Raises:
        ArtifactExistsError: ``out`` exists and ``force`` is false.
        ArtifactError: shapes disagree, a token cannot be stored, or values
            overflow float16.
    """
    out = check_output(out, force=force)
    if matrix.ndim != 2 or matrix.shape[0] != len(vocab) or len(provenance) != len(vocab):
        raise ArtifactError(
            f"matrix {matrix.shape}, vocabulary {len(vocab)} and provenance "
            f"{len(provenance)} rows disagree"
        )
    if dtype not in DTYPES:
        raise ArtifactError(f"unknown dtype {dtype!r}; choose one of: {', '.join(DTYPES)}")
    finite = np.isfinite(matrix).all()
    matrix = np.ascontiguousarray(matrix, dtype=DTYPES[dtype])
    if finite and not np.isfinite(matrix).all():
        raise ArtifactError(f"vector values exceed the {dtype} range; store them as float32")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes it private; a build dir is not
        with (tmp / VECTORS).open("wb") as fh:
            np.save(fh, matrix, allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        _write_lines(tmp / VOCAB, vocab.tokens, "token")
        _write_lines(tmp / PROVENANCE, provenance, "provenance")
        sections = dict(sections or {})
        if tokenizer is not None:
            sections["tokenizer"] = _write_tokenizer(tmp, tokenizer)
        manifest = _manifest(tmp, matrix, vocab, provenance, sections)
        with (tmp / MANIFEST).open("w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        place_directory(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write_tokenizer(tmp: Path, tokenizer: TokenizerSpec) -> dict[str, Any]:
    section = tokenizer.to_dict()
    if tokenizer.model is not None:
        with (tmp / TOKENIZER_MODEL).open("wb") as fh:
            fh.write(tokenizer.model)
            fh.flush()
            os.fsync(fh.fileno())
        section["model_file"] = TOKENIZER_MODEL
    return section


def _manifest(
    tmp: Path, matrix: np.ndarray, vocab: Vocab, provenance: Sequence[str], sections: dict[str, Any]
) -> dict[str, Any]:
    from aligner import __version__

    kinds: dict[str, int] = {}
    for kind in provenance:
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "format_version": FORMAT_VERSION,
        "aligner_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "vectors": {
            "file": VECTORS,
            "shape": list(matrix.shape),
            "dtype": matrix.dtype.str,
            "order": "C",
            "sha256": sha256_file(tmp / VECTORS),
        },
        "vocab": {
            "file": VOCAB,
            "size": len(vocab),
            "sha256": sha256_file(tmp / VOCAB),
            "pad": None if vocab.pad_id is None else vocab.tokens[vocab.pad_id],
            "unk": None if vocab.unk_id is None else vocab.tokens[vocab.unk_id],
            "pad_id": vocab.pad_id,
            "unk_id": vocab.unk_id,
        },
        "provenance": {"file": PROVENANCE, "sha256": sha256_file(tmp / PROVENANCE), "kinds": kinds},
        **sections,
    }


class Artifact:
    """An opened artifact: vocabulary, memory-mapped vectors, manifest.

    Use :func:`open_artifact` (``aligner.load``) to create one.

    Attributes:
        path: the artifact directory.
        manifest: the parsed ``manifest.json``.
        vocab: the :class:`~aligner.vocab.Vocab` (``art.vocab["word"]`` → row).
        vectors: ``(len(vocab), dim)`` copy-on-write memory map (float32, or
            float16 when built with ``dtype="float16"``): writes stay in
            memory and never reach the file.
        provenance: the match kind of every row.
        tokenizer: the tokenizer spec the artifact was built with.
    """

    def __init__(
        self,
        path: Path,
        manifest: dict[str, Any],
        vocab: Vocab,
        vectors: np.ndarray,
        provenance: list[str],
        tokenizer: TokenizerSpec,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.vocab = vocab
        self.vectors = vectors
        self.provenance = provenance
        self.tokenizer = tokenizer

    def __repr__(self) -> str:
        return f"Artifact({str(self.path)!r}, rows={len(self.vocab)}, dim={self.dim})"

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self.vectors.shape[1])

    @property
    def coverage(self) -> Coverage | None:
        """The coverage report stored at build time, if any."""
        from aligner.align import Coverage

        data = self.manifest.get("coverage")
        return None if data is None else Coverage.from_dict(data)

    def encode(self, texts: Iterable[str]) -> list[list[int]]:
        """Token ids of each text, with the tokenizer used at build time.

        Example:
            >>> art.encode(["we play guitar"])  # doctest: +SKIP
            [[17, 4, 52]]
        """
        from aligner.encode import encode

        return encode(texts, self.vocab, self.tokenizer)

    def encoder(self, **options: Any) -> Encoder:
        """A text → ids encoder for data pipelines, with the build's tokenizer.

        Args:
            options: see :class:`aligner.encode.Encoder` (``max_length``,
                ``pad``, ...).

        Example:
            >>> enc = aligner.load("build/demo").encoder(max_length=64)  # doctest: +SKIP
            >>> enc(["we play guitar"])  # doctest: +SKIP
            [[17, 4, 52]]
        """
        from aligner.encode import Encoder

        return Encoder(self.vocab, self.tokenizer, **options)

    def embedding(
        self,
        mode: str = "trainable",
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> torch.nn.Embedding:
        """A ready ``torch.nn.Embedding`` initialised with the vectors.

        Each call maps the vectors file anew (copy-on-write): layers made from
        one artifact share no memory with each other nor with :attr:`vectors`,
        training one never changes another, and nothing is written to disk.
        Pages are copied only as rows are updated.

        Args:
            mode: ``"trainable"``, ``"frozen"`` or ``"partial"`` (found rows
                fixed, filled rows trained); see :mod:`aligner.layers`.
            dtype: weight dtype, float32 by default (also for float16 storage).
            device: where to put the weights (CPU: shares the memory map).

        Example:
            >>> emb = aligner.load("build/demo").embedding("frozen")  # doctest: +SKIP
        """
        from aligner.layers import embedding_from_matrix

        section = self.manifest["vectors"]
        matrix = np.load(self.path / section["file"], mmap_mode="c", allow_pickle=False)
        if matrix.shape != self.vectors.shape or matrix.dtype != self.vectors.dtype:
            raise ArtifactCorruptError(f"{self.path / section['file']} changed since it was opened")
        return embedding_from_matrix(
            matrix,
            mode=mode,
            padding_idx=self.vocab.pad_id,
            provenance=self.provenance,
            dtype=dtype,
            device=device,
        )

    def __getitem__(self, word: str) -> np.ndarray:
        """The vector of ``word`` (float32 copy), through the fallback chain.

        Raises ``KeyError`` naming the artifact and the folds tried; see
        :func:`aligner.evaluate.lookup.word_vector`.
        """
        from aligner.evaluate import word_vector

        return word_vector(self, word)

    def __contains__(self, word: object) -> bool:
        """Whether ``art[word]`` finds a row."""
        from aligner.evaluate import find_row

        return isinstance(word, str) and find_row(self, word) is not None

    def similarity(self, a: str | ArrayLike, b: str | ArrayLike) -> float:
        """Cosine of two words or vectors; see :func:`aligner.evaluate.cosine_similarity`."""
        from aligner.evaluate import cosine_similarity

        return cosine_similarity(self, a, b)

    def most_similar(
        self,
        query: str | ArrayLike,
        k: int = 10,
        *,
        found_only: bool = False,
        fold_twins: bool = True,
    ) -> Neighbors:
        """The ``k`` rows nearest a word or vector; see :func:`aligner.evaluate.most_similar`.

        Example:
            >>> [n.label for n in art.most_similar("Guitar", k=2)]  # doctest: +SKIP
            ['piano (also: Piano)', 'drums']
        """
        from aligner.evaluate import most_similar

        return most_similar(self, query, k=k, found_only=found_only, fold_twins=fold_twins)

    def neighbors(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """``(token, cosine)`` of the ``k`` rows closest to ``word`` (see ``most_similar``)."""
        from aligner.evaluate import neighbors

        return neighbors(self, word, k=k)


def load_manifest(path: Path) -> dict[str, Any]:
    """The parsed manifest of an artifact directory (checked for format_version)."""
    manifest_path = path / MANIFEST
    if not path.is_dir():
        raise ArtifactError(f"artifact directory {path} does not exist")
    if not manifest_path.is_file():
        raise ArtifactError(f"{path} is not an aligner artifact: it has no {MANIFEST}")
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactCorruptError(
            f"{manifest_path} is not valid JSON ({exc}); rebuild it"
        ) from None
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ArtifactError(
            f"{manifest_path}: format_version {version!r} is not supported by this aligner "
            f"(reads up to {FORMAT_VERSION}); upgrade aligner"
        )
    return manifest


def _check_file(path: Path, expected: str, what: str) -> None:
    if not path.is_file():
        raise ArtifactCorruptError(f"{path} is missing; rebuild the artifact")
    if sha256_file(path) != expected:
        raise ArtifactCorruptError(
            f"{path}: sha256 differs from the manifest ({what} was modified or truncated); "
            "rebuild the artifact"
        )


def _open_vectors(path: Path, section: dict[str, Any], verify: bool) -> np.ndarray:
    file = path / section["file"]
    if verify:
        _check_file(file, section["sha256"], "the vectors file")
    try:
        vectors = np.load(file, mmap_mode="c", allow_pickle=False)
    except FileNotFoundError:
        raise ArtifactCorruptError(f"{file} is missing; rebuild the artifact") from None
    except ValueError as exc:
        raise ArtifactCorruptError(
            f"{file} cannot be mapped ({exc}); it was truncated or edited: rebuild the artifact"
        ) from None
    shape, dtype = tuple(section["shape"]), np.dtype(section["dtype"])
    if dtype not in DTYPES.values():
        raise ArtifactError(f"{file}: dtype {dtype.str} is not supported; upgrade aligner")
    if vectors.shape != shape or vectors.dtype != dtype or not vectors.flags.c_contiguous:
        raise ArtifactCorruptError(
            f"{file} holds {vectors.dtype.str} {vectors.shape}, the manifest says "
            f"{dtype.str} {shape}; rebuild the artifact"
        )
    return vectors


def open_artifact(path: str | os.PathLike[str], *, verify: bool = True) -> Artifact:
    """Open an artifact directory.

    Args:
        path: the directory written by ``aligner build``.
        verify: check the sha256 of the vectors file (reads it once). The
            small vocabulary and provenance files are always checked.

    Returns:
        An :class:`Artifact` with memory-mapped vectors.

    Raises:
        ArtifactError: not an artifact, or a newer format.
        ArtifactCorruptError: a file disagrees with the manifest.

    Example:
        >>> art = aligner.load("build/demo")  # doctest: +SKIP
        >>> art.vectors.shape  # doctest: +SKIP
        (1056, 50)
    """
    path = Path(path)
    manifest = load_manifest(path)
    try:
        vec_section, voc_section = manifest["vectors"], manifest["vocab"]
        prov_section = manifest["provenance"]
    except KeyError as exc:
        raise ArtifactCorruptError(f"{path / MANIFEST} lacks the {exc} section") from None
    vectors = _open_vectors(path, vec_section, verify)
    _check_file(path / voc_section["file"], voc_section["sha256"], "the vocabulary")
    _check_file(path / prov_section["file"], prov_section["sha256"], "the provenance")
    tokens = _read_lines(path / voc_section["file"])
    provenance = _read_lines(path / prov_section["file"])
    tokenizer = _open_tokenizer(path, manifest.get("tokenizer", {}))
    n_specials = sum(s is not None for s in (voc_section["pad"], voc_section["unk"]))
    vocab = Vocab(tokens[n_specials:], pad=voc_section["pad"], unk=voc_section["unk"])
    if vocab.tokens != tokens or len(tokens) != vectors.shape[0] or len(provenance) != len(tokens):
        raise ArtifactCorruptError(
            f"{path}: vocabulary ({len(tokens)}), provenance ({len(provenance)}) and vectors "
            f"({vectors.shape[0]}) rows disagree; rebuild the artifact"
        )
    return Artifact(path, manifest, vocab, vectors, provenance, tokenizer)


def _open_tokenizer(path: Path, section: dict[str, Any]) -> TokenizerSpec:
    section = dict(section)
    model_file = section.pop("model_file", None)
    model = None
    if model_file is not None:
        try:
            model = (path / model_file).read_bytes()
        except OSError:
            raise ArtifactCorruptError(
                f"{path / model_file} is missing; rebuild the artifact"
            ) from None
    try:
        return TokenizerSpec.from_dict(section, model=model)
    except InputError as exc:
        raise ArtifactCorruptError(f"{path}: {exc}") from None
