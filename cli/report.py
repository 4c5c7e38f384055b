"""Plain-text renderings of library results (the library itself never prints)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


def _pct(part: int, whole: int | None) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


def coverage_lines(coverage: dict[str, Any]) -> list[str]:
    """A coverage report from a manifest's ``coverage`` section.

    A headline, then types and tokens per match kind, then coverage by
    frequency band (reports written before bands existed have none), then the
    most frequent missing tokens. Token columns appear only with counts.
    """
    types, found = coverage["types"], coverage["found_types"]
    head = f"coverage: {found}/{types} types ({_pct(found, types)})"
    by_tokens = coverage.get("tokens_by_kind")
    tokens = coverage.get("tokens") if by_tokens is not None else None
    if by_tokens is not None and tokens:
        found_tokens = tokens - by_tokens.get("fill", 0)
        head += f", {found_tokens}/{tokens} tokens ({_pct(found_tokens, tokens)})"
    lines = [head, *_kind_lines(coverage["types_by_kind"], types, by_tokens, tokens)]
    lines += _band_lines(coverage.get("bands") or [], with_tokens=by_tokens is not None)
    missing = coverage.get("top_missing") or []
    if missing:
        shown = ", ".join(t if c is None else f"{t} ({c})" for t, c in missing[:10])
        lines.append(f"most frequent missing: {shown}")
    return lines


def _kind_lines(
    by_types: dict[str, int], types: int, by_tokens: dict[str, int] | None, tokens: int | None
) -> list[str]:
    lines = [
        f"  {'kind':<10} {'types':>8} {'%':>7}"
        + (f" {'tokens':>10} {'%':>7}" if by_tokens is not None else "")
    ]
    for kind, n in by_types.items():
        row = f"  {kind:<10} {n:>8} {_pct(n, types):>7}"
        if by_tokens is not None:
            count = by_tokens.get(kind, 0)
            row += f" {count:>10} {_pct(count, tokens):>7}"
        lines.append(row)
    return lines


def _band_lines(bands: list[dict[str, Any]], *, with_tokens: bool) -> list[str]:
    shown = [b for b in bands if b.get("types")]
    if not shown:
        return []
    head = f"  {'band':<10} {'types':>8} {'found':>8} {'%':>7}"
    lines = [head + (f" {'tokens':>10} {'found':>10} {'%':>7}" if with_tokens else "")]
    for band in shown:
        row = f"  {band['name']:<10} {band['types']:>8} {band['found_types']:>8}"
        row += f" {_pct(band['found_types'], band['types']):>7}"
        if with_tokens and band.get("tokens") is not None:
            tokens, found = band["tokens"], band["found_tokens"]
            row += f" {tokens:>10} {found:>10} {_pct(found, tokens):>7}"
        lines.append(row)
    return lines


READ_QUIRKS = {
    "duplicates": "duplicate keys (first kept)",
    "spaced_tokens": "tokens containing spaces",
    "invalid_utf8": "tokens with invalid UTF-8 (replaced)",
    "nonfinite_rows": "rows with NaN/Inf (skipped)",
    "bad_rows": "malformed rows (skipped)",
}


def read_lines(stats: dict[str, Any] | None) -> list[str]:
    """What reading a pretrained file saw, when it saw anything unusual."""
    if not stats:
        return []
    lines = [f"read: {stats['rows_read']} rows, kept {stats['rows_kept']}"]
    if stats.get("subword_rows"):
        lines[0] += f", composed {stats['subword_rows']} from subwords"
    if stats.get("header_mismatch"):
        lines.append(f"  header says {stats['header_rows']} rows, file has {stats['rows_read']}")
    lines += [f"  {n} {what}" for key, what in READ_QUIRKS.items() if (n := stats.get(key))]
    lines += [f"  {flag}" for flag in ("bom", "crlf") if stats.get(flag)]
    return lines


def build_lines(path: object, manifest: dict[str, Any], reused: bool) -> list[str]:
    """The report printed by ``aligner build``."""
    rows, dim = manifest["vectors"]["shape"]
    dtype = {"<f4": "float32", "<f2": "float16"}.get(manifest["vectors"]["dtype"], "?")
    if reused:
        key = manifest.get("build", {}).get("key", "")[:12]
        head = f"reused {path}: {rows} x {dim} {dtype} (same inputs, build key {key})"
    else:
        head = f"wrote {path}: {rows} x {dim} {dtype}"
    source = manifest.get("source", {})
    lines = [head, *read_lines(source.get("read_stats"))]
    return lines + coverage_lines(manifest["coverage"])


def manifest_lines(manifest: dict[str, Any]) -> list[str]:
    """A human summary of an artifact manifest.

    A section that is not what aligner writes (hand-edited, corrupt) is shown
    as one ``<section>: malformed in the manifest`` line instead of failing.
    """
    parts: list[tuple[str, Callable[[dict[str, Any]], list[str]]]] = [
        ("format_version", _head_lines),
        ("source", _source_lines),
        ("fill", lambda m: [f"fill: {m['fill']}"] if m.get("fill") else []),
        ("alignment", _alignment_lines),
        ("coverage", lambda m: coverage_lines(m["coverage"]) if "coverage" in m else []),
        ("build", _warning_lines),
    ]
    lines: list[str] = []
    for name, render in parts:
        try:
            lines += [one_line(line) for line in render(manifest)]
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            lines.append(f"{name}: malformed in the manifest (not shown)")
    return lines


def one_line(line: str) -> str:
    """``line`` with control characters escaped, so that it stays one line."""
    if _CONTROL.search(line) is None:
        return line
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], line)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _head_lines(manifest: dict[str, Any]) -> list[str]:
    vec, voc = manifest["vectors"], manifest["vocab"]
    rows, dim = vec["shape"]
    return [
        f"format_version: {manifest['format_version']} "
        f"(aligner {manifest.get('aligner_version')}, created {manifest.get('created')})",
        f"vectors: {rows} x {dim} {vec['dtype']}, sha256 {vec['sha256'][:16]}…",
        f"specials: pad={voc['pad']!r} (row {voc['pad_id']}), unk={voc['unk']!r} "
        f"(row {voc['unk_id']})",
        f"tokenizer: {manifest.get('tokenizer')}",
    ]


def _source_lines(manifest: dict[str, Any]) -> list[str]:
    src = manifest.get("source") or {}
    lines = []
    if src.get("kind") == "trained":
        corpus = src.get("corpus") or {}
        lines.append(
            f"source: {src.get('kind')} {src.get('method')} on {corpus.get('path')} "
            f"({corpus.get('tokens')} tokens), params {src.get('params')}"
        )
    elif src:
        name = f"{src['name']} " if src.get("name") else ""
        lines.append(f"source: pretrained {name}{src.get('path')} ({src.get('format')})")
    return lines + read_lines(src.get("read_stats"))


def _alignment_lines(manifest: dict[str, Any]) -> list[str]:
    if "alignment" not in manifest:
        return []
    return [f"fallbacks: {' -> '.join(manifest['alignment']['fallbacks'])}"]


def _warning_lines(manifest: dict[str, Any]) -> list[str]:
    build = manifest.get("build") or {}
    return [f"warning: {line}" for line in build.get("warnings") or []]
