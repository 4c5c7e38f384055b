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


def manifest_lines(manifest: dict[str, Any], path: object = None) -> list[str]:
    """A readable report of an artifact manifest (``aligner info``).

    Sections of aligned ``key: value`` lines (vectors, vocabulary, tokenizer,
    source and its training parameters, rows by provenance, alignment and
    fill), then the coverage table, the evaluation, metadata and warnings.
    A section that is not what aligner writes (hand-edited, corrupt) is shown
    as one ``<section>: malformed in the manifest`` line instead of failing.

    Example:
        >>> manifest_lines({"format_version": 2, "aligner_version": "0.1.0"}, "emb")[:2]
        ['artifact:  emb', 'format:    2 (aligner 0.1.0)']
    """
    items: list[Item] = [] if path is None else [("artifact", str(path))]
    for name, render in _PARTS:
        try:
            items += render(manifest)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            items.append(("", f"{name}: malformed in the manifest (not shown)"))
    return [one_line(line) for line in _layout(items)]


def one_line(line: str) -> str:
    """``line`` with control characters escaped, so that it stays one line."""
    if _CONTROL.search(line) is None:
        return line
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], line)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# ``aligner info``: each renderer turns one manifest section into items, laid out by _layout.
#: ``(key, value)``: an aligned ``key: value`` line; ``("#", title)``: a section heading
#: (``""``: a blank line only); ``("", text)``: a line as it is
Item = tuple[str, str]


def _layout(items: list[Item]) -> list[str]:
    """Headings, then each run of ``key: value`` lines with the values aligned
    (indented under a heading); a blank line before each heading."""
    lines: list[str] = []
    for block in _blocks(items):
        titled = block[0][0] == "#"
        if titled:
            lines += [""] if lines else []
            lines += [block[0][1]] if block[0][1] else []
        pairs = [item for item in block[titled:] if item[0] != ""]
        width = max((len(key) for key, _ in pairs), default=0) + 1
        indent = "  " if titled and block[0][1] else ""
        for key, value in block[titled:]:
            lines.append(value if key == "" else f"{indent}{key + ':':<{width}}  {value}".rstrip())
    return lines


def _blocks(items: list[Item]) -> list[list[Item]]:
    """The items cut before each heading."""
    blocks: list[list[Item]] = [[]]
    for item in items:
        if item[0] == "#" and blocks[-1]:
            blocks.append([])
        blocks[-1].append(item)
    return [block for block in blocks if block]


def _text(value: Any) -> str:
    """A manifest value for a person: yes/no, thousands separators, lists joined."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_text(v)}" for k, v in value.items()) or "none"
    return str(value)


def _label(key: str) -> str:
    return key.replace("_", " ")


def _file(section: dict[str, Any]) -> str:
    size = section.get("bytes")
    return f"{section['file']}" + (f" ({size:,} bytes)" if isinstance(size, int) else "")


def _head_items(manifest: dict[str, Any]) -> list[Item]:
    version = manifest["format_version"]
    made = manifest.get("aligner_version")
    items = [("format", f"{version}" + (f" (aligner {made})" if made else ""))]
    if manifest.get("created"):
        items.append(("created", str(manifest["created"])))
    return items


def _vectors_items(manifest: dict[str, Any]) -> list[Item]:
    vec = manifest["vectors"]
    rows, dim = vec["shape"]
    dtype = {"<f4": "float32", "<f2": "float16"}.get(vec["dtype"], vec["dtype"])
    layout = f"{vec['dtype']}, {vec['order']} order" if vec.get("order") else vec["dtype"]
    return [("#", "vectors"), ("shape", f"{rows:,} x {dim:,}"), ("dtype", f"{dtype} ({layout})"),
            ("file", _file(vec)), ("sha256", str(vec["sha256"]))]  # fmt: skip


def _special(token: Any, row: Any) -> str:
    return "none" if token is None else f"{token} (row {row})"


def _vocab_items(manifest: dict[str, Any]) -> list[Item]:
    voc = manifest["vocab"]
    items = [("#", "vocabulary"), ("rows", f"{voc['size']:,}"), ("file", _file(voc))]
    items += [
        ("pad", _special(voc["pad"], voc["pad_id"])),
        ("unk", _special(voc["unk"], voc["unk_id"])),
    ]
    return items


def _tokenizer_items(manifest: dict[str, Any]) -> list[Item]:
    spec = dict(manifest.get("tokenizer") or {})
    items: list[Item] = [("#", "tokenizer"), ("kind", str(spec.pop("kind")))]
    items += [("lowercase", _text(spec.pop("lowercase", False)))]
    items += [("normalize", _text(spec.pop("normalize", None)))]
    if "model_file" in spec:
        model = {"file": spec.pop("model_file"), "bytes": spec.pop("model_bytes", None)}
        items.append(("model", _file(model)))
    return items + [(_label(key), _text(value)) for key, value in spec.items()]


#: source keys shown elsewhere (params, read_stats) or not worth a line
_SOURCE_SHOWN = ("kind", "method", "corpus", "params", "read_stats", "tokenizer", "path")
_SOURCE_LABELS = {
    "vocab_file": "vocabulary",
    "data": "dataset 1",
    "trained_vocab_size": "trained words",
    "gensim_version": "gensim",
}


def _source_items(manifest: dict[str, Any]) -> list[Item]:
    src = manifest.get("source") or {}
    if not src:
        return []
    items: list[Item] = [("#", "source")]
    if src.get("kind") == "trained":
        items.append(("kind", f"trained, {src.get('method')}"))
        corpus = dict(src.get("corpus") or {})
        facts = [f"{_text(corpus.pop(k))} {k}" for k in ("files", "sentences", "tokens", "bytes")
                 if isinstance(corpus.get(k), int)]  # fmt: skip
        items.append(
            ("corpus", f"{corpus.pop('path', '?')}" + (f" ({', '.join(facts)})" if facts else ""))
        )
        items += [(f"corpus {_label(k)}", _text(v)) for k, v in corpus.items() if v is not None]
    else:
        items += [("kind", str(src.get("kind"))), ("file", str(src.get("path")))]
    items += [
        (_SOURCE_LABELS.get(k, _label(k)), _text(v))
        for k, v in src.items()
        if k not in _SOURCE_SHOWN and v is not None
    ]
    items += [("", line) for line in _indented(read_lines(src.get("read_stats")))]
    params = src.get("params")
    if params:
        items += [("#", "training parameters")]
        items += [(_label(key), _text(value)) for key, value in params.items()]
    return items


def _indented(lines: list[str]) -> list[str]:
    return [f"  {line}" for line in lines]


def _provenance_items(manifest: dict[str, Any]) -> list[Item]:
    kinds = (manifest.get("provenance") or {}).get("kinds")
    if not kinds:
        return []
    return [("#", "rows by provenance"), *((kind, f"{n:,}") for kind, n in kinds.items())]


def _alignment_heading(manifest: dict[str, Any]) -> list[Item]:
    shown = "alignment" in manifest or manifest.get("fill")
    return [("#", "alignment and fill")] if shown else []


def _alignment_items(manifest: dict[str, Any]) -> list[Item]:
    if "alignment" not in manifest:
        return []
    return [("fallbacks", " -> ".join(manifest["alignment"]["fallbacks"]))]


def _fill_items(manifest: dict[str, Any]) -> list[Item]:
    fill = dict(manifest.get("fill") or {})
    if not fill:
        return []
    items = [("fill", f"{fill.pop('method')}, seed {fill.pop('seed', 'none')}")]
    names = {"scale": "fill scale", "mean_norm": "fill mean norm", "std_mean": "fill spread"}
    return items + [(names.get(k, f"fill {_label(k)}"), _text(v)) for k, v in fill.items()]


def _coverage_items(manifest: dict[str, Any]) -> list[Item]:
    if "coverage" not in manifest:
        return []
    return [("#", ""), *(("", line) for line in coverage_lines(manifest["coverage"]))]


def _evaluation_items(manifest: dict[str, Any]) -> list[Item]:
    from aligner_cli.evaluate import manifest_lines as evaluation_lines

    lines = evaluation_lines(manifest.get("evaluation"))
    return [("#", ""), *(("", line) for line in lines)] if lines else []


def _metadata_items(manifest: dict[str, Any]) -> list[Item]:
    metadata = manifest.get("metadata") or {}
    return (
        [("#", "metadata"), *((str(k), _text(v)) for k, v in metadata.items())] if metadata else []
    )


def _build_items(manifest: dict[str, Any]) -> list[Item]:
    build = manifest.get("build") or {}
    warnings = [("", f"warning: {line}") for line in build.get("warnings") or []]
    return [("#", ""), *warnings] if warnings else []


_PARTS: list[tuple[str, Callable[[dict[str, Any]], list[Item]]]] = [
    ("format_version", _head_items),
    ("vectors", _vectors_items),
    ("vocab", _vocab_items),
    ("tokenizer", _tokenizer_items),
    ("source", _source_items),
    ("provenance", _provenance_items),
    ("alignment and fill", _alignment_heading),
    ("alignment", _alignment_items),
    ("fill", _fill_items),
    ("coverage", _coverage_items),
    ("evaluation", _evaluation_items),
    ("metadata", _metadata_items),
    ("build", _build_items),
]
