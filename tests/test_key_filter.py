"""The token filter of indexed reads: every line the vocabulary wants is passed on, few others."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aligner.align import FALLBACKS
from aligner.pretrained.key_filter import DIGIT, NON_ASCII, KeyFilter, token_hashes
from aligner.pretrained.row_index import Recorder, RowIndex
from aligner.pretrained.rows import Wanted
from aligner.vocab import Vocab


def _index(block: bytes) -> RowIndex:
    recorder = Recorder()
    recorder.add(block, 0, len(block))
    index = recorder.index(first_offset=0, first_line=0)
    assert index is not None
    return index


def _wanted_lines(wanted: Wanted, block: bytes) -> list[int]:
    out = []
    for i, line in enumerate(block.split(b"\n")[:-1]):
        space = line.find(b" ")
        if space < 0 or (space > 0 and wanted.wants(line[:space])):
            out.append(i)
    return out


TOKEN = st.text(st.characters(codec="utf-8", exclude_characters=" \n"), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    keys=st.lists(
        st.one_of(TOKEN, st.sampled_from(["1984", "X86", "Café", "THE", "#1", "ab1", "caf\udce9"])),
        max_size=50,
    ),
    vocab=st.lists(
        st.one_of(TOKEN, st.sampled_from(["2001", "x87", "cafe", "the", "#", "ab2", "caf\ufffd"])),
        max_size=20,
    ),
    fallbacks=st.sampled_from([FALLBACKS, ("exact", "lowercase"), ("exact",)]),
    extra=st.sampled_from([b"", b"\n", b"notoken\n", b" leading 1\n"]),
)
@example(keys=["the", "ab1"], vocab=["ab2"], fallbacks=FALLBACKS, extra=b"\n")  # a last digit
@example(keys=["caf\udce9"], vocab=["caf\ufffd"], fallbacks=FALLBACKS, extra=b"notoken\n")
def test_every_line_the_vocabulary_wants_is_passed_on(
    keys: list[str], vocab: list[str], fallbacks: tuple[str, ...], extra: bytes
) -> None:
    tokens = [v.strip() for v in vocab if v.strip()]
    wanted = Wanted(Vocab(list(dict.fromkeys(tokens + keys[:3]))), fallbacks)
    block = "".join(f"{k} 1 2\n" for k in keys).encode("utf-8", "surrogateescape") + extra
    rows = KeyFilter(wanted).candidates(_index(block)).tolist()
    assert set(_wanted_lines(wanted, block)) <= set(rows)


def test_few_lines_of_a_large_file_are_passed_on() -> None:
    rng = np.random.default_rng(0)
    keys = ["w" + "".join(rng.choice(list("abcdefghij"), 7)) for _ in range(20_000)]
    vocab = Vocab([*keys[::100], keys[5].upper(), "2001"])
    numbers = [str(n) for n in range(1000, 1100)]  # fold to the vocabulary's ####
    block = "".join(f"{k} 0.5 1\n" for k in [*keys, *numbers, "x1y"]).encode()
    rows = KeyFilter(Wanted(vocab)).candidates(_index(block))
    wanted = set(_wanted_lines(Wanted(vocab), block))
    assert wanted <= set(rows.tolist())
    assert len(wanted) >= 301  # 200 exact, the case variant's row, 100 numbers (and repeats)
    assert len(rows) < len(wanted) + 20  # a hash collision adds a line, not the file


def test_token_hashes_see_case_digits_and_non_ascii() -> None:
    keys = ["the", "THE", "Thé", "x86", ""]
    blob = np.frombuffer("".join(keys).encode(), dtype=np.uint8)
    offsets = np.cumsum([0, *(len(k.encode()) for k in keys)])
    raw, lower, flags = token_hashes(blob, offsets)
    assert raw[0] != raw[1] and lower[0] == lower[1] == raw[0]
    assert flags.tolist()[:4] == [0, 0, NON_ASCII, DIGIT]
    # the hashes are kept in indexes: they must not change between versions
    assert raw[:4].tolist() == token_hashes(blob, offsets)[0][:4].tolist()
    assert (raw.dtype, lower.dtype, flags.dtype) == (np.uint32, np.uint32, np.uint8)
