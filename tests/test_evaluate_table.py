"""The rows an evaluation searches: lookup up to case, and which rows are one word."""

from __future__ import annotations

import numpy as np

from aligner.evaluate import Table, make_table


def test_rows_equal_up_to_case_or_twins_are_one_word_through_any_chain() -> None:
    # case joins Paris, paris and PARIS; twins join páris and paris: all four are one word
    keys = ["Paris", "páris", "paris", "PARIS", "rome"]
    vectors = np.eye(5, dtype=np.float32)
    twins = np.array([0, 1, 1, 3, 4])
    table = Table(keys, vectors, twins=twins)
    assert table.canonical.tolist() == [0, 0, 0, 0, 4]
    assert Table(keys, vectors, case_insensitive=False, twins=twins).canonical.tolist() == [
        0, 1, 1, 3, 4,
    ]  # fmt: skip
    assert make_table(keys, vectors, limit=None).canonical.tolist() == [0, 1, 0, 0, 4]
    assert (table.row("PaRiS"), table.row("páris"), table.row("athens")) == (0, 1, None)
