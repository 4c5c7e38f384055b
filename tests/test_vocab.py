"""Vocab and read_vocab: row order, specials, counts, lookups and every file error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aligner.errors import InputError, VocabError
from aligner.vocab import DEFAULT_PAD, DEFAULT_UNK, Vocab, read_vocab, vocab_layout


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _vocab_error(path: Path, **kwargs: object) -> str:
    with pytest.raises(VocabError) as info:
        read_vocab(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert str(path) in message
    return message


# --- reading good files -------------------------------------------------------------------------


def test_plain_file_puts_specials_at_rows_0_and_1(tmp_path: Path) -> None:
    vocab = read_vocab(_write(tmp_path / "v.txt", "guitar\npiano\ndrums\n"))
    assert vocab.tokens == [DEFAULT_PAD, DEFAULT_UNK, "guitar", "piano", "drums"]
    assert (vocab.pad_id, vocab.unk_id) == (0, 1)
    assert vocab.specials == ("<pad>", "<unk>")
    assert vocab.counts is None
    assert len(vocab) == 5


def test_counted_file_keeps_counts_with_zero_for_specials(tmp_path: Path) -> None:
    vocab = read_vocab(_write(tmp_path / "v.txt", "the\t217\nGuitar\t5\nzero\t0\n"))
    assert vocab.tokens == ["<pad>", "<unk>", "the", "Guitar", "zero"]
    assert vocab.counts == [0, 0, 217, 5, 0]


def test_last_line_without_newline_is_read(tmp_path: Path) -> None:
    vocab = read_vocab(_write(tmp_path / "v.txt", "a\nb"))
    assert vocab.tokens[2:] == ["a", "b"]


def test_isinstance_of_input_error(tmp_path: Path) -> None:
    # The CLI catches InputError for user files; VocabError must stay inside it.
    with pytest.raises(InputError):
        read_vocab(tmp_path / "missing.txt")


def test_custom_specials(tmp_path: Path) -> None:
    vocab = read_vocab(_write(tmp_path / "v.txt", "a\nb\n"), pad="[PAD]", unk="[UNK]")
    assert vocab.tokens == ["[PAD]", "[UNK]", "a", "b"]
    assert vocab["zzz"] == 1
    assert "<pad>" not in vocab


def test_disabled_specials_make_unknown_lookups_raise(tmp_path: Path) -> None:
    vocab = read_vocab(_write(tmp_path / "v.txt", "a\nb\n"), pad=None, unk=None)
    assert vocab.tokens == ["a", "b"]
    assert vocab.specials == ()
    assert (vocab.pad_id, vocab.unk_id) == (None, None)
    assert vocab["b"] == 1
    with pytest.raises(KeyError):
        vocab["zzz"]
    with pytest.raises(KeyError):
        vocab.lookup(["a", "zzz"])
    assert vocab.lookup(["b", "a"]) == [1, 0]
    assert vocab.get("zzz") is None


def test_unk_only_sits_at_row_0(tmp_path: Path) -> None:
    vocab = read_vocab(_write(tmp_path / "v.txt", "a\n"), pad=None)
    assert vocab.tokens == ["<unk>", "a"]
    assert (vocab.pad_id, vocab.unk_id) == (None, 0)
    assert vocab["zzz"] == 0
    assert vocab.is_special(0) and not vocab.is_special(1)


def test_file_already_starting_with_specials_is_not_duplicated(tmp_path: Path) -> None:
    vocab = read_vocab(_write(tmp_path / "v.txt", "<pad>\n<unk>\nguitar\npiano\n"))
    assert vocab.tokens == ["<pad>", "<unk>", "guitar", "piano"]


def test_file_written_with_custom_specials_reads_back(tmp_path: Path) -> None:
    path = _write(tmp_path / "v.txt", "[PAD]\n[UNK]\nx\n")
    assert read_vocab(path, pad="[PAD]", unk="[UNK]").tokens == ["[PAD]", "[UNK]", "x"]


def test_line_numbers_after_leading_specials_count_the_special_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "v.txt", "<pad>\n<unk>\na\nb\na\n")
    message = _vocab_error(path)
    assert "line 5" in message and "first on line 3" in message


def test_crlf_line_ends(tmp_path: Path) -> None:
    plain = read_vocab(_write(tmp_path / "p.txt", "a\r\nb\r\n"))
    counted = read_vocab(_write(tmp_path / "c.txt", "a\t3\r\nb\t4\r\n"))
    assert plain.tokens == ["<pad>", "<unk>", "a", "b"]
    assert counted.tokens == plain.tokens and counted.counts == [0, 0, 3, 4]


def test_crlf_file_starting_with_specials(tmp_path: Path) -> None:
    vocab = read_vocab(_write(tmp_path / "v.txt", "<pad>\r\n<unk>\r\na\r\n"))
    assert vocab.tokens == ["<pad>", "<unk>", "a"]


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    vocab = read_vocab(_write(tmp_path / "v.txt", b"\xef\xbb\xbf<pad>\n<unk>\n\xc3\xa9t\xc3\xa9\n"))
    assert vocab.tokens == ["<pad>", "<unk>", "été"]
    vocab = read_vocab(_write(tmp_path / "w.txt", b"\xef\xbb\xbfthe\t4\n"))
    assert vocab.tokens[2] == "the" and vocab.counts == [0, 0, 4]


# --- lookups ------------------------------------------------------------------------------------


def test_lookup_get_contains_len() -> None:
    vocab = Vocab(["guitar", "piano"], counts=[5, 3])
    assert len(vocab) == 4
    assert vocab["piano"] == 3 and vocab["drums"] == 1
    assert vocab.lookup(["piano", "drums", "guitar", "<pad>"]) == [3, 1, 2, 0]
    assert vocab.get("guitar") == 2 and vocab.get("drums") is None
    assert "guitar" in vocab and "<unk>" in vocab and "drums" not in vocab
    assert "Guitar" not in vocab  # lookups are case-sensitive
    assert list(vocab) == vocab.tokens
    assert [vocab.is_special(r) for r in range(4)] == [True, True, False, False]


def test_vocab_equality_includes_counts() -> None:
    assert Vocab(["a"], counts=[1]) == Vocab(["a"], counts=[1])
    assert Vocab(["a"], counts=[1]) != Vocab(["a"], counts=[2])
    assert Vocab(["a"]) != Vocab(["a"], unk=None)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"tokens": ["a", "b", "a"]}, "rows 2 and 4"),
        ({"tokens": ["a", "<unk>"]}, "rows 1 and 3"),
        ({"tokens": ["a"], "pad": "X", "unk": "X"}, "must differ"),
        ({"tokens": ["a", "b"], "counts": [1]}, "1 counts given for 2 tokens"),
    ],
)
def test_vocab_constructor_errors(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(VocabError, match=needle):
        Vocab(**kwargs)  # type: ignore[arg-type]


# --- file errors --------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = _vocab_error(tmp_path / "nope.txt")
    assert "does not exist" in message


def test_directory_is_not_a_vocabulary(tmp_path: Path) -> None:
    message = _vocab_error(tmp_path)
    assert "cannot read" in message


@pytest.mark.parametrize("content", ["", "<pad>\n<unk>\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", content))
    assert "empty" in message and "one token per line" in message


@pytest.mark.parametrize(("content", "line"), [("a\n\nb\n", 2), ("a\nb\n  \n", 3), ("\n", 1)])
def test_blank_line_names_its_line(tmp_path: Path, content: str, line: int) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", content))
    assert f"line {line}:" in message and "blank line" in message and "remove" in message


def test_duplicate_names_both_lines(tmp_path: Path) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", "a\nb\nc\nb\n"))
    assert "line 4:" in message and "'b'" in message
    assert "first on line 2" in message and "keep one line" in message


def test_duplicate_in_counted_file(tmp_path: Path) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", "a\t1\nb\t2\na\t3\n"))
    assert "line 3:" in message and "first on line 1" in message


@pytest.mark.parametrize("special", ["<pad>", "<unk>"])
def test_special_token_in_the_middle(tmp_path: Path, special: str) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", f"a\nb\n{special}\nc\n"))
    assert "line 3:" in message and repr(special) in message
    assert "special token" in message and "--pad-token" in message


def test_specials_in_the_wrong_order_are_an_error(tmp_path: Path) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", "<unk>\n<pad>\na\n"))
    assert "line 1:" in message and "special token" in message


def test_custom_special_in_the_file_is_an_error(tmp_path: Path) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", "a\n[UNK]\n"), unk="[UNK]")
    assert "line 2:" in message and "'[UNK]'" in message


def test_default_special_is_an_ordinary_token_when_specials_are_changed(tmp_path: Path) -> None:
    vocab = read_vocab(_write(tmp_path / "v.txt", "a\n<pad>\n"), pad="[PAD]", unk="[UNK]")
    assert vocab.tokens == ["[PAD]", "[UNK]", "a", "<pad>"]


@pytest.mark.parametrize(
    ("content", "line"), [("a\t1\nb\nc\t3\n", 2), ("a\nb\nc\t3\n", 3), ("a\t1\nb\t2\nc\n", 3)]
)
def test_mixed_counted_and_uncounted_lines(tmp_path: Path, content: str, line: int) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", content))
    assert f"line {line}:" in message and "mixes lines" in message and "token<TAB>count" in message


@pytest.mark.parametrize("count", ["x", "-1", "1.5", "", "1e3", "3\t4"])
def test_bad_count(tmp_path: Path, count: str) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", f"a\t1\nb\t{count}\n"))
    assert "line 2:" in message and "non-negative integer" in message
    assert "expected 'token' or 'token<TAB>count'" in message


def test_empty_token_before_tab(tmp_path: Path) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", "a\t1\n\t5\n"))
    assert "line 2:" in message and "empty token" in message and "token<TAB>count" in message


@pytest.mark.parametrize(("data", "line"), [(b"\xff\nb\n", 1), (b"a\nb\nc\xffd\n", 3)])
def test_invalid_utf8_names_its_line(tmp_path: Path, data: bytes, line: int) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", data))
    assert f"line {line}:" in message and "UTF-8" in message and "re-encode" in message


def test_invalid_utf8_after_a_bom_names_its_line(tmp_path: Path) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", b"\xef\xbb\xbfab\nc\xff\n"))
    assert "line 2:" in message


# --- round trip ---------------------------------------------------------------------------------

_TOKEN = st.text(
    alphabet=st.characters(
        blacklist_categories=["Cs"], blacklist_characters=["\n", "\r", "\t", "\ufeff"]
    ),
    min_size=1,
    max_size=8,
).filter(lambda t: t.strip() != "" and t not in (DEFAULT_PAD, DEFAULT_UNK))


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tokens=st.lists(_TOKEN, min_size=1, max_size=12, unique=True),
    with_counts=st.booleans(),
    data=st.data(),
)
def test_written_tokens_and_counts_read_back_unchanged(
    tmp_path: Path, tokens: list[str], with_counts: bool, data: st.DataObject
) -> None:
    counts = data.draw(st.lists(st.integers(0, 10**9), min_size=len(tokens), max_size=len(tokens)))
    assume(with_counts or _plain(tokens))  # else every line reads as 'token count' or vectors
    lines = [f"{t}\t{c}" for t, c in zip(tokens, counts, strict=True)] if with_counts else tokens
    path = _write(tmp_path / "v.txt", "\n".join(lines) + "\n")
    vocab = read_vocab(path)
    assert vocab.tokens == ["<pad>", "<unk>", *tokens]
    assert vocab.counts == ([0, 0, *counts] if with_counts else None)
    assert [vocab[t] for t in tokens] == list(range(2, 2 + len(tokens)))
    # A file written as aligner writes it (specials first) reads back to the same vocabulary.
    again = read_vocab(_write(tmp_path / "w.txt", "\n".join(vocab.tokens) + "\n"))
    assert again.tokens == vocab.tokens


def _plain(tokens: list[str]) -> bool:
    try:
        return vocab_layout(tokens) == "token"
    except VocabError:
        return False


@pytest.mark.parametrize("count", [" 5", "1_000", "+3", "٣"])
def test_counts_must_be_plain_ascii_digits(tmp_path: Path, count: str) -> None:
    message = _vocab_error(_write(tmp_path / "v.txt", f"a\t1\nb\t{count}\n"))
    assert "line 2" in message and "count" in message


# --- special tokens -----------------------------------------------------------------------------

BAD_SPECIALS = [
    ("a b", "holds whitespace (' ', U+0020)"),
    ("\t", "holds whitespace ('\\t', U+0009)"),
    ("<p\nad>", "holds whitespace ('\\n', U+000A)"),
    ("x\x01", "holds a control character ('\\x01', U+0001)"),
    ("\ufeffpad", "holds an invisible format character ('\\ufeff', U+FEFF)"),
    ("", "is empty"),
]


@pytest.mark.parametrize(("token", "problem"), BAD_SPECIALS)
def test_special_tokens_that_a_file_cannot_hold_are_refused(token: str, problem: str) -> None:
    from aligner.vocab import check_specials

    for role, kwargs in (("pad", {"pad": token}), ("unk", {"unk": token})):
        with pytest.raises(VocabError) as info:
            Vocab(["guitar"], **kwargs)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"{role} token {token!r} {problem}, and a special token is one line of a vocabulary "
            "file and one key of a vectors file; choose one without whitespace or control "
            f"characters (e.g. '<{role}>'), or none (--{role}-token '', {role}=None)"
        )
        with pytest.raises(VocabError, match=f"^{role} token "):
            check_specials(**{"pad": None, "unk": None, **kwargs})  # type: ignore[arg-type]


def test_special_tokens_that_files_can_hold_are_kept(tmp_path: Path) -> None:
    vocab = Vocab(["guitar"], pad="[PAD]", unk="<unk>·é")
    assert vocab.tokens == ["[PAD]", "<unk>·é", "guitar"]
    path = _write(tmp_path / "v.txt", "guitar\n")
    with pytest.raises(VocabError, match=r"^pad token 'a b' holds whitespace"):
        read_vocab(path, pad="a b")


@pytest.mark.parametrize(("option", "token"), [("--pad-token", "a b"), ("--unk-token", "\t")])
def test_build_and_vocab_refuse_such_special_tokens_in_one_line(
    tmp_path: Path, option: str, token: str
) -> None:
    from click.testing import CliRunner

    from aligner_cli.main import cli

    data = _write(tmp_path / "data.txt", "we play the guitar\n" * 5)
    vectors = _write(tmp_path / "v.txt", "guitar 0.1 0.2\nplay 0.3 0.4\n")
    commands = {
        "build": ["build", "--pretrained", vectors, "--data", data, "--out", tmp_path / "art"],
        "vocab": ["vocab", "--data", data, "--out", tmp_path / "v.tsv"],
    }
    for args in commands.values():
        result = CliRunner().invoke(cli, [*map(str, args), option, token])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
        (line,) = result.output.splitlines()
        role = option[2:5]
        assert line.startswith(f"Error: {role} token {token!r} holds whitespace"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.txt", "v.txt"]
