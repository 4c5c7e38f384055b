"""The word2vec binary reader behind :func:`aligner.pretrained.formats.read_vectors`.

A text header ``N D``, then per row the UTF-8 token, a space and D
little-endian float32 (the C tool also ends each vector with a newline). Each
row's bytes are sliced as they come; only wanted rows are kept. The first
rows' tokens are checked (:meth:`~aligner.pretrained.sanity.Checks.check_row`),
so that a file whose rows are not ``D`` float32 wide is refused early.
"""

from __future__ import annotations

import numpy as np

from aligner.errors import VectorsFormatError
from aligner.pretrained.readers import Reader
from aligner.pretrained.rows import ReadResult
from aligner.pretrained.sanity import CHECKED_TOKENS, TOKEN_MAX

__all__ = ["BinaryReader"]


class BinaryReader(Reader):
    """word2vec binary: a text header, then ``token`` + space + D float32 per row."""

    def read_rows(self) -> ReadResult:
        buf = self.read_chunk()
        if not buf.strip():
            raise VectorsFormatError(f"vectors file {self.path} is empty")
        end = buf.find(b"\n")
        if end < 0:
            raise VectorsFormatError(f"{self.path}, line 1: no header line; is it a vectors file?")
        self.header(buf[:end].removeprefix(b"\xef\xbb\xbf").rstrip(b"\r"), 1)
        width, limit = 4 * self.dim, self.limit
        wants, keep, stats = self.wanted.wants, self.wanted.keep, self.stats
        pos = end + 1
        values: list[bytes] = []
        while True:
            sp = buf.find(b" ", pos)
            if sp < 0 or sp + 1 + width > len(buf):
                if sp - pos > TOKEN_MAX or (sp < 0 and len(buf) - pos > TOKEN_MAX):
                    self.misaligned(stats.rows_read + 1, buf[pos : pos + 20])  # bounds memory
                more = self.read_chunk()
                if not more:
                    break
                buf = buf[pos:] + more
                pos = 0
                continue
            key = buf[pos:sp]
            stats.rows_read += 1
            if key.startswith(b"\n"):  # the C tool ends each vector with a newline
                key = key.lstrip(b"\n")
            if stats.rows_read <= CHECKED_TOKENS:
                self.check_row(key, buf[sp + 1 : sp + 1 + width])
            if wants(key) and keep(key, stats):
                self.keys.append(self.decode_key(key))
                values.append(buf[sp + 1 : sp + 1 + width])
                if len(self.keys) == limit:
                    self.stopped = True
                    break
            pos = sp + 1 + width
        if not self.stopped and buf[pos:].strip(b"\n"):
            if not self.skip_bad_rows:
                raise VectorsFormatError(
                    f"{self.path}, row {self.stats.rows_read + 1}: the file ends inside a row "
                    f"(truncated, or rows of other than {self.dim} values); download it again, "
                    "or pass --skip-bad-rows"
                )
            self.stats.bad_rows += 1
        raw = b"".join(values)
        matrix = np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(-1, self.dim)
        return self.finish(matrix)
