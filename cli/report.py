"""Plain-text renderings of library results (the library itself never prints)."""

from __future__ import annotations

from typing import Any


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


def coverage_lines(coverage: dict[str, Any]) -> list[str]:
    """A short coverage report from a manifest's ``coverage`` section."""
    types, found = coverage["types"], coverage["found_types"]
    head = f"coverage: {found}/{types} types ({_pct(found, types)})"
    by_tokens = coverage.get("tokens_by_kind")
    if by_tokens is not None and coverage.get("tokens"):
        tokens = coverage["tokens"]
        found_tokens = tokens - by_tokens.get("fill", 0)
        head += f", {found_tokens}/{tokens} tokens ({_pct(found_tokens, tokens)})"
    lines = [head, f"  {'kind':<10} {'types':>8}" + (f" {'tokens':>10}" if by_tokens else "")]
    for kind, n in coverage["types_by_kind"].items():
        row = f"  {kind:<10} {n:>8}"
        if by_tokens:
            row += f" {by_tokens.get(kind, 0):>10}"
        lines.append(row)
    missing = coverage.get("top_missing") or []
    if missing:
        shown = ", ".join(t if c is None else f"{t} ({c})" for t, c in missing[:10])
        lines.append(f"most frequent missing: {shown}")
    return lines


def manifest_lines(manifest: dict[str, Any]) -> list[str]:
    """A human summary of an artifact manifest."""
    vec, voc, src = manifest["vectors"], manifest["vocab"], manifest.get("source", {})
    rows, dim = vec["shape"]
    lines = [
        f"format_version: {manifest['format_version']} "
        f"(aligner {manifest.get('aligner_version')}, created {manifest.get('created')})",
        f"vectors: {rows} x {dim} {vec['dtype']}, sha256 {vec['sha256'][:16]}…",
        f"specials: pad={voc['pad']!r} (row {voc['pad_id']}), unk={voc['unk']!r} "
        f"(row {voc['unk_id']})",
        f"tokenizer: {manifest.get('tokenizer')}",
    ]
    if src:
        corpus = src.get("corpus", {})
        lines.append(
            f"source: {src.get('kind')} {src.get('method')} on {corpus.get('path')} "
            f"({corpus.get('tokens')} tokens), params {src.get('params')}"
        )
    fill = manifest.get("fill")
    if fill:
        lines.append(f"fill: {fill}")
    if "alignment" in manifest:
        lines.append(f"fallbacks: {' -> '.join(manifest['alignment']['fallbacks'])}")
    if "coverage" in manifest:
        lines.extend(coverage_lines(manifest["coverage"]))
    return lines
