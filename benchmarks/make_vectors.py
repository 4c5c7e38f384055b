"""Generate a realistic pretrained-vectors benchmark set, deterministically.

Writes into ``--out`` (default ``/tmp/aligner-bench``; keep big files out of the
repository):

* ``vectors.txt``: GloVe text format, no header, one ``token v1 ... vD`` line
  per row, single spaces, values printed like the published glove.6B files
  (5 significant digits, 6 on one row in ten, no trailing zeros, exponent form
  below 1e-4: ``0.418 0.24968 -0.41242 0.1217 -0.044457 -6.6023e-05``).
  Tokens are lowercase and unique, most frequent first: a head of real common
  words and punctuation, then made-up words whose length grows with the rank,
  numbers, hyphenated words, ids, abbreviations and web-ish tokens, and about
  3 % with non-ASCII letters (accented Latin, Cyrillic, Greek, CJK).
* ``vectors.bin``: the same rows in word2vec binary format: a ``rows dim``
  header line, then per row the UTF-8 token, a space, ``dim`` little-endian
  float32 and a newline (the original word2vec C tool's layout; gensim 4 writes
  no newline, which ``--no-binary-newline`` reproduces; both read the same).
  Its floats are exactly the float32 nearest to the decimal text of
  ``vectors.txt``, so a correct reader gets equal matrices from both files.
* ``vocab.tsv``: the task vocabulary, ``token<TAB>count`` with Zipf-like
  counts, most frequent first. About 76 % of its tokens are file keys as they
  are, 9 % are a file key only up to case (``Paris``/``NASA`` when the file
  has ``paris``/``nasa``), and 15 % are absent (typos, made-up names, codes):
  neither they nor their lowercase form is a file key.
* ``meta.json``: the parameters, the vocabulary composition, the expected
  number of vocabulary rows a reader finds (exact + up to case), file sizes
  and SHA-256 digests.

Every random choice comes from numpy generators seeded from ``--seed``; the
vectors of row ``i`` depend only on the seed and ``i``, so two runs give
byte-identical files. The first rows are read back with gensim as a check.

Usage:
    python benchmarks/make_vectors.py                      # 400,000 x 300, ~1.1 GB
    python benchmarks/make_vectors.py --out /tmp/aligner-bench-small \\
        --rows 20000 --dim 50 --vocab-size 5000            # a small set, seconds
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DEFAULT_OUT = "/tmp/aligner-bench"
DEFAULT_SEED = 20240611
CHUNK_ROWS = 4096  # fixed: row i's vectors depend only on (seed, i)
SPECIALS = ("<pad>", "<unk>")

TEXT_NAME = "vectors.txt"
BINARY_NAME = "vectors.bin"
VOCAB_NAME = "vocab.tsv"
META_NAME = "meta.json"

# Shares of the task vocabulary.
CASE_SHARE = 0.09
ABSENT_SHARE = 0.15

# The head of a real GloVe (6B) file, roughly in its order.
HEAD = (  # noqa: SIM905
    "the , . of to and in a \" 's for - that on is was said with he as it by at ( ) from his '' "
    "`` an be has are have but were not this who they had i which will their : or its one after "
    "new been also we would two more ' first about up when year there all -- out she other "
    "people n't her percent than over into last some government time you years if no world can "
    "three do ; president only state million could us most _ american against u.s. so them what "
    "him united during before may since many while where states because now city made like "
    "between did just national day country under such second then company group any through "
    "china four being down war back off south"
).split()

ONSETS = (
    "", "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
    "y", "z", "br", "cr", "dr", "fr", "gr", "pr", "tr", "bl", "cl", "fl", "gl", "pl", "sl", "sh",
    "ch", "th", "st", "sp", "sk", "sm", "sn", "qu", "wh", "str", "sc",
)  # fmt: skip
VOWELS = ("a", "e", "i", "o", "u", "a", "e", "i", "o", "y", "ai", "ea", "ee", "oo", "ou", "ie")
CODAS = (
    "", "", "", "", "n", "r", "s", "t", "l", "m", "d", "ng", "st", "nt", "rd", "ck", "sh", "th",
    "x", "ll", "ss", "rt", "nd",
)  # fmt: skip
SUFFIXES = (
    "", "", "", "", "", "", "s", "s", "ed", "ing", "er", "ly", "ion", "ness", "ment", "ers", "es",
    "al", "ity", "ism", "ist", "ous", "ive",
)  # fmt: skip
ACCENTED = "éèêëáàâäíìîïóòôöúùûüñçåøæœýÿ"
CYRILLIC = ("ка", "ро", "ни", "ль", "ст", "ва", "ми", "до", "ше", "ю", "ск", "ов", "ия", "ж", "ц")
GREEK = ("κα", "λο", "με", "τι", "πο", "ρα", "νε", "σο", "θε", "ξι")
CJK = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年"
TLDS = ("com", "org", "net", "de", "co.uk", "io", "gov", "edu")
# Made-up names of the vocabulary (never in the file): other sounds.
NAME_PARTS = (
    "dra", "vek", "zil", "tor", "quen", "mar", "bri", "vel", "zar", "vik", "lin", "dor", "gax",
    "thur", "yss", "oro", "kel", "ith", "rux", "wen", "phy", "xa", "ul", "ond",
)  # fmt: skip
BAD = set(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0")


class Draws:
    """Uniform random integers from a seeded numpy generator, one at a time."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.buf: list[int] = []
        self.pos = 0

    def next(self) -> int:
        if self.pos == len(self.buf):
            self.buf = self.rng.integers(0, 1 << 30, size=1 << 16).tolist()
            self.pos = 0
        self.pos += 1
        return self.buf[self.pos - 1]

    def below(self, n: int) -> int:
        return self.next() % n

    def pick(self, seq: Sequence[str]) -> str:
        return seq[self.next() % len(seq)]

    def chance(self, p: float) -> bool:
        return self.next() < p * (1 << 30)


def pseudo_word(d: Draws, syllables: int) -> str:
    parts = [d.pick(ONSETS) + d.pick(VOWELS) + d.pick(CODAS) for _ in range(syllables)]
    return "".join(parts) + d.pick(SUFFIXES)


def syllables_for(d: Draws, rank: int) -> int:
    # frequent words are short, the tail longer (glove.6B: 7-8 characters on average)
    mean = 0.1 + 0.2 * math.log10(rank + 10)
    return 1 + min(5, int(d.below(1000) / 1000 * 2 * mean))


def number_token(d: Draws) -> str:
    kind = d.below(6)
    if kind == 0:
        return str(1900 + d.below(125))
    if kind == 1:
        return str(d.below(10 ** (1 + d.below(7))))
    if kind == 2:
        return f"{d.below(100)}.{d.below(100)}"
    if kind == 3:
        return f"{1 + d.below(999)},{d.below(1000):03d}"
    if kind == 4:
        n = 1 + d.below(200)
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    return f"{d.below(10)}-{d.below(10)}"


def non_ascii_token(d: Draws, rank: int) -> str:
    kind = d.below(10)
    if kind < 6:  # an accented Latin letter inside a made-up word
        word = pseudo_word(d, syllables_for(d, rank))
        i = d.below(len(word))
        return word[:i] + d.pick(ACCENTED) + word[i + 1 :]
    if kind < 8:
        return "".join(d.pick(CYRILLIC) for _ in range(2 + d.below(3)))
    if kind < 9:
        return "".join(d.pick(GREEK) for _ in range(2 + d.below(3)))
    return "".join(d.pick(CJK) for _ in range(1 + d.below(3)))


def file_token(d: Draws, rank: int) -> str:
    """One candidate key for the row of this frequency rank (lowercase, no spaces)."""
    u = d.below(1000)
    if u < 820:
        return pseudo_word(d, syllables_for(d, rank))
    if u < 870:
        return number_token(d)
    if u < 910:
        return pseudo_word(d, 1 + d.below(2)) + "-" + pseudo_word(d, 1 + d.below(3))
    if u < 940:  # ids: b52, x86, mp3, a4b2, id_1234
        letters = "".join(d.pick("abcdefghijklmnopqrstuvwxyz") for _ in range(1 + d.below(3)))
        tail = "".join(d.pick("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(d.below(3)))
        return (letters + str(d.below(10 ** (1 + d.below(4)))) + tail).replace("__", "_")
    if u < 955:  # abbreviations: a.m., u.s.a.
        return "".join(d.pick("abcdefghijklmnoprstuvw") + "." for _ in range(1 + d.below(3)))
    if u < 970:  # web-ish
        word = pseudo_word(d, 1 + d.below(3))
        kind = d.below(3)
        if kind == 0:
            return f"www.{word}.{d.pick(TLDS)}"
        if kind == 1:
            return f"{word}.{d.pick(TLDS)}"
        return f"@{word}"
    if u < 1000 - 2:
        return non_ascii_token(d, rank)
    return d.pick(("o'", "d'", "l'", "mc")) + pseudo_word(d, 1 + d.below(2))


def make_tokens(rows: int, seed: int) -> list[str]:
    """``rows`` unique lowercase keys, most frequent first."""
    d = Draws(np.random.default_rng([seed, 1]))
    tokens: list[str] = []
    seen: set[str] = set()
    for word in HEAD:
        if len(tokens) < rows and word not in seen:
            seen.add(word)
            tokens.append(word)
    while len(tokens) < rows:
        token = file_token(d, len(tokens))
        if token in seen or token in SPECIALS or BAD & set(token) or token.lower() != token:
            continue
        seen.add(token)
        tokens.append(token)
    return tokens


def quantize(values: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """Round to ``digits`` significant digits; each result is the double nearest its decimal.

    The mantissa is an exact integer and the scale an exact power of ten, so
    one correctly rounded division (or product) gives the nearest double.
    """
    mag = np.floor(np.log10(np.abs(values)))
    k = (digits[:, None] - 1 - mag).astype(np.int64)
    pos = np.maximum(k, 0).astype(np.float64)
    neg = np.maximum(-k, 0).astype(np.float64)
    mantissa = np.rint(values * 10.0**pos / 10.0**neg)
    return mantissa / 10.0**pos * 10.0**neg


def chunk_vectors(seed: int, chunk: int, n: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``chunk * CHUNK_ROWS ...``: quantized float64 values and their digit counts."""
    rng = np.random.default_rng([seed, 2, chunk])
    scale = rng.uniform(0.2, 0.7, size=n)
    digits = np.where(rng.random(n) < 0.1, 6, 5)
    values = rng.standard_normal((n, dim)) * scale[:, None]
    values[values == 0.0] = 1e-3
    return quantize(values, digits), digits


def write_vectors(
    out: Path, tokens: list[str], dim: int, seed: int, binary_newline: bool
) -> dict[str, str]:
    """Write the text and binary files in one pass; return their SHA-256 digests."""
    rows = len(tokens)
    text_tmp, bin_tmp = out / (TEXT_NAME + ".tmp"), out / (BINARY_NAME + ".tmp")
    text_sha, bin_sha = hashlib.sha256(), hashlib.sha256()
    end = b"\n" if binary_newline else b""
    started = time.perf_counter()
    with open(text_tmp, "wb") as text_out, open(bin_tmp, "wb") as bin_out:
        header = f"{rows} {dim}\n".encode()
        bin_out.write(header)
        bin_sha.update(header)
        for chunk, start in enumerate(range(0, rows, CHUNK_ROWS)):
            n = min(CHUNK_ROWS, rows - start)
            values, digits = chunk_vectors(seed, chunk, n, dim)
            keys = tokens[start : start + n]
            fmts = [f"%.{p}g".__mod__ for p in digits.tolist()]
            lines = [
                f"{key} {' '.join(map(fmt, row))}\n"
                for key, fmt, row in zip(keys, fmts, values.tolist(), strict=True)
            ]
            text = "".join(lines).encode("utf-8")
            text_out.write(text)
            text_sha.update(text)
            f32 = values.astype("<f4")
            blob = b"".join(
                key.encode("utf-8") + b" " + f32[i].tobytes() + end for i, key in enumerate(keys)
            )
            bin_out.write(blob)
            bin_sha.update(blob)
            if chunk % 20 == 0 and rows > 50_000:
                done = start + n
                print(
                    f"  {done:,}/{rows:,} rows, {time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                )
    os.replace(text_tmp, out / TEXT_NAME)
    os.replace(bin_tmp, out / BINARY_NAME)
    return {TEXT_NAME: text_sha.hexdigest(), BINARY_NAME: bin_sha.hexdigest()}


def typo(d: Draws, word: str) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    i = d.below(len(word) + 1)
    kind = d.below(4)
    if kind == 0 or len(word) < 3:
        return word[:i] + d.pick(letters) + word[i:]
    i = min(i, len(word) - 2)
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + d.pick(letters) + word[i + 1 :]


def absent_token(d: Draws, tokens: list[str]) -> str:
    u = d.below(100)
    if u < 35:  # a typo of a mid-frequency word, kept in its case or capitalized
        word = typo(d, tokens[d.below(min(len(tokens), 50_000))])
        return word.capitalize() if d.chance(0.15) else word
    if u < 65:  # a made-up name
        return "".join(d.pick(NAME_PARTS) for _ in range(2 + d.below(2))).capitalize()
    if u < 85:
        return "".join(d.pick(NAME_PARTS) for _ in range(2 + d.below(3)))
    if u < 93:  # product codes and mixed forms
        return pseudo_word(d, 1 + d.below(2)) + str(d.below(100)) + d.pick(("", "x", "pro", "s"))
    return "#" + pseudo_word(d, 1 + d.below(2)) + pseudo_word(d, 1 + d.below(2))


def zipf_ranks(rng: np.random.Generator, rows: int, size: int, eligible: np.ndarray) -> np.ndarray:
    """``size`` distinct file rows among ``eligible``, frequent rows much more likely."""
    size = min(size, len(eligible))
    weights = 1.0 / (eligible + 200.0) ** 0.9
    return rng.choice(eligible, size=size, replace=False, p=weights / weights.sum())


def make_vocab(tokens: list[str], vocab_size: int, seed: int) -> tuple[list[tuple[str, int]], dict]:
    """The task vocabulary (token, count), most frequent first, and its composition."""
    rows = len(tokens)
    rng = np.random.default_rng([seed, 3])
    d = Draws(np.random.default_rng([seed, 4]))
    n_case = round(vocab_size * CASE_SHARE)
    n_absent = round(vocab_size * ABSENT_SHARE)
    n_exact = min(vocab_size - n_case - n_absent, rows)
    keyset = set(tokens)
    entries: list[tuple[str, float]] = []  # (token, frequency rank it behaves like)
    used: set[str] = set(SPECIALS)

    for r in zipf_ranks(rng, rows, n_exact, np.arange(rows)).tolist():
        used.add(tokens[r])
        entries.append((tokens[r], float(r)))

    def case_form(rank: int) -> str | None:
        key = tokens[rank]
        if not key.isascii() or not any(c.isalpha() for c in key):
            return None
        acronym = rank >= 2000 and len(key) <= 4 and d.chance(0.3)  # NASA, not AND
        form = key.upper() if acronym else key.capitalize()
        if form == key or form.lower() != key or form in keyset or form in used:
            return None
        return form

    eligible = np.array([r for r in range(rows) if case_form(r) is not None], dtype=np.int64)
    n_case_done = 0
    for r in zipf_ranks(rng, rows, 2 * n_case, eligible).tolist():
        form = case_form(r)
        if form is None:
            continue
        used.add(form)
        entries.append((form, r * (1.0 + 3.0 * d.below(1000) / 1000)))
        n_case_done += 1
        if n_case_done == n_case:
            break

    n_absent = vocab_size - len(entries)
    absent = 0
    while absent < n_absent:
        token = absent_token(d, tokens)
        if token in used or token in keyset or token.lower() in keyset or BAD & set(token):
            continue
        used.add(token)
        entries.append((token, math.exp(rng.uniform(math.log(300), math.log(4 * rows)))))
        absent += 1

    noise = rng.lognormal(0.0, 0.6, size=len(entries))
    order = np.argsort(np.array([rank for _, rank in entries]) * noise, kind="stable")
    scale = 2.0 * vocab_size
    vocab = [
        (entries[j][0], max(1, round(scale / (i + 2.7)))) for i, j in enumerate(order.tolist())
    ]
    composition = {
        "vocab_size": len(vocab),
        "vocab_exact": n_exact,
        "vocab_case": n_case_done,
        "vocab_absent": absent,
        "expected_found": n_exact + n_case_done,
    }
    return vocab, composition


def check_with_gensim(out: Path, tokens: list[str], dim: int, seed: int) -> int:
    """Read the first rows of both files with gensim; compare with the generated float32."""
    from gensim.models import KeyedVectors

    n = min(len(tokens), 2 * CHUNK_ROWS)
    expected = np.concatenate(
        [
            chunk_vectors(seed, c, min(CHUNK_ROWS, n - c * CHUNK_ROWS), dim)[0]
            for c in range((n + CHUNK_ROWS - 1) // CHUNK_ROWS)
        ]
    ).astype(np.float32)
    binary = KeyedVectors.load_word2vec_format(out / BINARY_NAME, binary=True, limit=n)
    text = KeyedVectors.load_word2vec_format(out / TEXT_NAME, binary=False, no_header=True, limit=n)
    for name, kv in (("binary", binary), ("text", text)):
        if kv.index_to_key != tokens[:n]:
            raise SystemExit(f"gensim check failed: {name} keys differ from the generated ones")
        if not np.array_equal(kv.vectors, expected):
            diff = float(np.abs(kv.vectors - expected).max())
            raise SystemExit(f"gensim check failed: {name} vectors differ (max |diff| {diff:g})")
    if len(tokens) <= 50_000:  # small sets: the whole binary file, incl. its last row
        whole = KeyedVectors.load_word2vec_format(out / BINARY_NAME, binary=True)
        if whole.index_to_key != tokens:
            raise SystemExit("gensim check failed: binary keys differ from the generated ones")
    return n


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--rows", type=int, default=400_000, help="vectors rows (400000)")
    parser.add_argument("--dim", type=int, default=300, help="vector dimension (300)")
    parser.add_argument("--vocab-size", type=int, default=50_000, help="task tokens (50000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--no-binary-newline",
        dest="binary_newline",
        action="store_false",
        help="no newline after each binary vector (as gensim 4 writes it)",
    )
    parser.add_argument("--no-check", dest="check", action="store_false", help="skip gensim check")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.dim < 1 or args.vocab_size < 1:
        parser.error("--rows, --dim and --vocab-size must be positive")
    out = Path(args.out)
    repo = Path(__file__).resolve().parent.parent
    if out.resolve().is_relative_to(repo):
        parser.error(f"--out {out} is inside the repository; use a folder such as {DEFAULT_OUT}")
    out.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    tokens = make_tokens(args.rows, args.seed)
    vocab, composition = make_vocab(tokens, args.vocab_size, args.seed)
    with open(out / VOCAB_NAME, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(f"{token}\t{count}\n" for token, count in vocab)
    print(f"vocabulary: {composition}", file=sys.stderr)
    digests = write_vectors(out, tokens, args.dim, args.seed, args.binary_newline)
    digests[VOCAB_NAME] = hashlib.sha256((out / VOCAB_NAME).read_bytes()).hexdigest()
    checked = check_with_gensim(out, tokens, args.dim, args.seed) if args.check else 0

    meta = {
        "generator": "benchmarks/make_vectors.py",
        "seed": args.seed,
        "rows": args.rows,
        "dim": args.dim,
        "binary_newline": args.binary_newline,
        **composition,
        "non_ascii_keys": sum(not t.isascii() for t in tokens),
        "files": {
            name: {"bytes": (out / name).stat().st_size, "sha256": digests[name]}
            for name in (TEXT_NAME, BINARY_NAME, VOCAB_NAME)
        },
        "gensim_checked_rows": checked,
    }
    (out / META_NAME).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    for name, info in meta["files"].items():
        print(f"{out / name}: {info['bytes']:,} bytes", file=sys.stderr)
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
