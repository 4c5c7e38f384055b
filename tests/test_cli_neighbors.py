"""``aligner neighbors`` through click's CliRunner: help, exit codes, text and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner_cli.main import cli

from .test_neighbors import twins_artifact


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["neighbors", *(str(a) for a in args)])
    return result.exit_code, result.output


@pytest.fixture
def art(tmp_path: Path) -> Path:
    return twins_artifact(tmp_path / "twins")


def test_help_documents_the_options_and_ends_with_an_example() -> None:
    code, output = run("--help")
    assert code == 0
    assert "--found-only" in output and "--no-fold-twins" in output and "--json" in output
    tail = output.rstrip().splitlines()
    assert tail[-2].strip() == "Example:" and tail[-1].strip().startswith("aligner neighbors ")


def test_twins_folded_and_filled_rows_marked(art: Path) -> None:
    code, output = run(art, "guitar", "-k", 3)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "query: guitar (also: Guitar)"
    assert lines[1].startswith("* zorblax ") and lines[1].endswith("0.9984")
    assert lines[2].startswith("  piano (also: Piano) ") and lines[2].endswith("0.9939")
    assert lines[3].startswith("  drums ")
    assert lines[4].startswith("* filled at random") and "--found-only" in lines[4]
    assert len(lines) == 5
    assert "Guitar  " not in output  # the query's twin is no neighbour


def test_found_only_leaves_filled_rows_and_the_legend_out(art: Path) -> None:
    code, output = run(art, "guitar", "-k", 3, "--found-only")
    assert code == 0
    lines = output.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["piano", "drums", "tambour"]
    assert "zorblax" not in output and "*" not in output


def test_no_fold_twins_lists_each_row(art: Path) -> None:
    code, output = run(art, "guitar", "-k", 3, "--no-fold-twins", "--found-only")
    assert code == 0
    assert [line.split()[0] for line in output.splitlines()[1:]] == ["Piano", "piano", "drums"]


def test_fallback_query_names_the_row_that_answered(art: Path) -> None:
    code, output = run(art, "GUITAR", "-k", 1)
    assert code == 0
    assert output.splitlines()[0] == "query: GUITAR -> guitar (lowercase; also: Guitar)"
    code, output = run(art, "cafe", "-k", 1)
    assert output.splitlines()[0] == "query: cafe -> Café (accents)"


def test_a_filled_query_is_flagged(art: Path) -> None:
    code, output = run(art, "ZORBLAX", "-k", 1)
    assert code == 0
    first, warning = output.splitlines()[:2]
    assert first == "query: ZORBLAX -> zorblax (lowercase)"
    assert warning.startswith("warning: 'zorblax' was filled at random")
    assert warning.endswith("its neighbours mean nothing")


def test_json_names_the_query_row_and_lists_token_cosine_kind_twins(art: Path) -> None:
    code, output = run(art, "Guitar", "-k", 2, "--json")
    assert code == 0
    data = json.loads(output)
    assert data == {
        "query": {"word": "Guitar", "token": "Guitar", "row": 3, "step": "exact",
                  "kind": "lowercase", "random": False, "twins": ["guitar"]},
        "neighbors": [
            {"token": "zorblax", "cosine": pytest.approx(0.998397, abs=1e-6), "kind": "fill",
             "twins": []},
            {"token": "piano", "cosine": pytest.approx(0.993884, abs=1e-6), "kind": "exact",
             "twins": ["Piano"]},
        ],
    }  # fmt: skip


def test_json_of_a_fallback_query_on_a_filled_row(art: Path) -> None:
    code, output = run(art, "ZORBLAX", "-k", 1, "--json")
    assert code == 0
    query = json.loads(output)["query"]
    assert (query["token"], query["step"], query["kind"], query["random"]) == (
        "zorblax", "lowercase", "fill", True,
    )  # fmt: skip


def test_exit_codes(art: Path, tmp_path: Path) -> None:
    code, output = run(art, "Zzz9")
    assert code == 1
    assert output.startswith("Error: 'Zzz9' is not in the vocabulary of")
    assert "up to lowercase, accents or digits" in output and "subword" in output
    code, output = run(art, "<pad>")
    assert code == 1 and "all zeros" in output
    code, output = run(art, "guitar", "-k", 0)
    assert code == 2 and "-k" in output
    code, output = run(tmp_path / "missing", "guitar")
    assert code == 2 and "does not exist" in output
    code, output = run(tmp_path, "guitar")
    assert code == 1 and "no manifest.json" in output
