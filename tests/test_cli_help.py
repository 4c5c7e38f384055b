"""--help a person can read: options in sections by stage, every option with help,
defaults shown one way, and what ``--help`` says agrees with the library's defaults."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from aligner.train import FastTextParams, GloveTrainingParams, Word2VecParams
from aligner.train.defaults import GLOVE_EPOCHS, WORD2VEC_EPOCHS, WORD2VEC_PASSES
from aligner_cli.help import SECTIONS, SectionedCommand, section, section_of
from aligner_cli.main import cli

BUILD_SECTIONS = [
    "Input",
    "Training",
    "Tokenizer",
    "Alignment and fill",
    "Engine",
    "Output",
    "Other",
]


def _help(*command: str) -> str:
    result = CliRunner().invoke(cli, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def _headings(text: str) -> list[str]:
    """The section headings of a help page: unindented lines ending with ':'."""
    return [line[:-1] for line in text.splitlines() if re.fullmatch(r"[A-Z][\w ]*:", line)]


def _options_by_section(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if re.fullmatch(r"[A-Z][\w ]*:", line):
            current = line[:-1]
            found[current] = []
        elif current and (match := re.match(r"  (-\w|--[\w-]+)", line)):
            found[current].append(match.group(1))
    return found


def _commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(cli)
    assert isinstance(cli, click.Group)
    return [(name, cli.get_command(ctx, name)) for name in cli.list_commands(ctx)]  # type: ignore[misc]


# The help machinery, on a command of its own


@click.command(cls=SectionedCommand)
@section("Output")
@click.option("--out", help="Where to write.")
@section("Training")
@click.option("--epochs", type=int, show_default="from the corpus size", help="Passes.")
@click.option("--a-very-long-option-name-indeed", help="Long.")
@section("Input")
@click.option("--corpus", help="Text to read.")
@click.option("--limit", type=int, default=3, help="Most lines.")
def toy(**_: object) -> None:
    """A toy command."""


def test_sections_follow_the_stage_order_whatever_the_declaration_order() -> None:
    text = CliRunner().invoke(toy, ["--help"]).output
    assert _headings(text) == ["Input", "Training", "Output", "Other"]
    assert _options_by_section(text) == {
        "Input": ["--corpus", "--limit"],
        "Training": ["--epochs", "--a-very-long-option-name-indeed"],
        "Output": ["--out"],
        "Other": ["--help"],
    }


def test_defaults_are_shown_one_way() -> None:
    text = CliRunner().invoke(toy, ["--help"]).output
    assert "[default: from the corpus size]" in text  # a text default, without click's (...)
    assert "[default: 3]" in text  # show_default is on for every option
    assert "(from the corpus size)" not in text


def test_help_text_starts_in_one_column_across_sections() -> None:
    text = CliRunner().invoke(toy, ["--help"]).output
    starts = {line.index(help_) for line in text.splitlines() for help_ in
              ("Where to write.", "Text to read.", "Most lines.", "Passes.")
              if help_ in line}  # fmt: skip
    assert len(starts) == 1


def test_other_titles_go_before_output() -> None:
    @click.command(cls=SectionedCommand)
    @section("Output")
    @click.option("--json", is_flag=True, help="JSON.")
    @section("Sets")
    @click.option("--set", help="A set.")
    @section("Input")
    @click.option("--format", help="A format.")
    def run(**_: object) -> None: ...

    assert _headings(CliRunner().invoke(run, ["--help"]).output) == [
        "Input", "Sets", "Output", "Other"
    ]  # fmt: skip
    assert section_of(run.params[0]) == "Output"


# The commands


def test_build_help_is_grouped_by_stage() -> None:
    text = _help("build")
    assert _headings(text) == BUILD_SECTIONS
    sections = _options_by_section(text)
    expected = {
        "Input": ["--corpus", "--pretrained", "--vocab", "--data", "--text-column",
                  "--data-text-column", "--cache-dir"],
        "Training": ["--method", "--dim", "--epochs", "--min-count", "--negative", "--x-max",
                     "--device"],
        "Tokenizer": ["--tokenizer", "--lowercase", "--sp-vocab-size", "--sp-train-on"],
        "Alignment and fill": ["--fallbacks", "--min-coverage", "--init", "--pad-token"],
        "Output": ["--out", "--dtype", "--force", "--json"],
        "Other": ["--seed", "-h"],
    }  # fmt: skip
    for title, options in expected.items():
        assert set(options) <= set(sections[title]), (title, sections[title])
    assert "--data-column" not in text  # the deprecated name is hidden


def test_ngram_options_are_adjacent_and_grouped_by_method() -> None:
    training = _options_by_section(_help("build"))["Training"]
    assert training.index("--max-n") == training.index("--min-n") + 1
    fasttext = [training.index(o) for o in ("--min-n", "--max-n", "--bucket")]
    glove = [training.index(o) for o in ("--x-max", "--alpha", "--memory-gb", "--device")]
    assert fasttext == list(range(fasttext[0], fasttext[0] + 3))
    assert max(fasttext) < min(glove)


@pytest.mark.parametrize("command", ["build", "train", "vocab", "eval", "compare"])
def test_long_commands_are_sectioned(command: str) -> None:
    headings = _headings(_help(command))
    assert headings[-1] == "Other" and "Options" not in headings
    known = [h for h in headings if h in SECTIONS]
    assert known == sorted(known, key=SECTIONS.index)


def test_train_help_names_only_what_train_takes() -> None:
    text = _help("train")
    assert "--pretrained" not in text
    # sentencepiece training is build's: train lists only an existing --sp-model
    assert "--sp-vocab-size" not in text and "--sp-model-type" not in text
    assert "--sp-model" in text


def test_vocab_help_does_not_offer_sentencepiece_training() -> None:
    text = _help("vocab")
    assert "--sp-vocab-size" not in text and "--sp-model " in text


@pytest.mark.parametrize(("name", "command"), _commands())
def test_every_option_has_a_line_of_help(name: str, command: click.Command) -> None:
    missing = [
        param.opts[0]
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()
    ]
    assert not missing, f"aligner {name}: {missing} have no help"


@pytest.mark.parametrize(("name", "command"), _commands())
def test_defaults_are_shown_one_way_in_every_command(name: str, command: click.Command) -> None:
    text = _help(name)
    first = _headings(text)[0]
    options = text[text.index(f"\n{first}:\n") :].split("Example:")[0]  # the option lines
    # click's "[default: X]" only: no hand-written "(default ...)" or "Default: ..."
    assert not re.search(r"\(default|Default:|default \d", options), options
    assert "[default: (" not in options


def test_corpus_size_defaults_say_so() -> None:
    options = {p.name: p for p in next(c for n, c in _commands() if n == "train").params}
    for name in ("epochs", "window"):
        assert "corpus size" in str(options[name].help)
        assert "from the corpus size" in str(options[name].show_default)


def _param(name: str) -> click.Option:
    build = next(c for n, c in _commands() if n == "build")
    option = next(p for p in build.params if p.name == name)
    assert isinstance(option, click.Option)
    return option


def _shown(name: str) -> str:
    option = _param(name)
    return str(option.show_default if isinstance(option.show_default, str) else option.default)


def test_the_defaults_shown_are_the_library_defaults() -> None:
    word2vec, fasttext, glove = Word2VecParams(), FastTextParams(), GloveTrainingParams()
    assert _shown("min_count") == str(word2vec.min_count) == str(glove.min_count)
    assert _shown("negative") == str(word2vec.negative)
    assert _shown("workers").split(";")[0] == str(word2vec.workers)  # build: reading too
    assert (_shown("min_n"), _shown("max_n")) == (str(fasttext.min_n), str(fasttext.max_n))
    assert _shown("bucket") == str(fasttext.bucket)
    assert _shown("dim").split()[0] == str(word2vec.dim) == str(glove.dim)
    assert _shown("x_max") == f"{glove.x_max:g}"
    assert _shown("alpha") == f"{glove.alpha:g}"
    assert _shown("learning_rate") == f"{glove.learning_rate:g}"
    assert _shown("memory_gb") == f"{glove.memory_gb:g}"
    assert _shown("device").split(":")[0] == glove.device
    assert (
        _shown("window")
        == f"{word2vec.window}; fasttext from the corpus size; glove {glove.window}"
    )
    assert _shown("epochs").endswith(f"glove {GLOVE_EPOCHS}")


def test_the_epochs_rule_in_the_help_is_the_library_rule() -> None:
    from aligner.train.defaults import word2vec_epochs

    text = " ".join(str(_param("epochs").help).split())
    low, high = WORD2VEC_EPOCHS
    assert f"about {WORD2VEC_PASSES // 1_000_000} M tokens read in all" in text
    assert f"within {low} to {high} epochs" in text
    assert f"({word2vec_epochs(1_000_000)} for 1 M tokens or fewer" in text
    assert word2vec_epochs(4_000_000) == low and word2vec_epochs(3_999_999) > low
    assert f"{low} from 4 M on" in text


def test_fasttext_window_rule_in_the_help_is_the_library_rule() -> None:
    from aligner.train import defaults

    below = getattr(defaults, "FASTTEXT_WIDE_WINDOW_BELOW", None)
    if below is None:
        pytest.skip("fastText's window does not depend on the corpus size in this version")
    text = " ".join(str(_param("window").help).split())
    wide = defaults.fasttext_window(below - 1)
    narrow = defaults.fasttext_window(below)
    assert f"{wide} below {below // 1_000_000} M tokens, else {narrow}" in text


def test_hidden_sentencepiece_training_in_train_is_still_explained(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c\n", encoding="utf-8")
    out = tmp_path / "v.txt"
    result = CliRunner().invoke(
        cli, ["train", "--corpus", str(corpus), "--out", str(out), "--tokenizer",
              "sentencepiece", "--sp-vocab-size", "30"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "aligner train takes an existing --sp-model" in result.output
    assert not out.exists()
