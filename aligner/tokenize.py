"""The one tokenizer spec.

A :class:`TokenizerSpec` is saved in every artifact's manifest and reused by
corpus reading, vocabulary building and encoding, so that text is split the
same way at build time and at training time.

Example:
    >>> spec = TokenizerSpec(lowercase=True)
    >>> spec("Play the Guitar")
    ['play', 'the', 'guitar']
    >>> TokenizerSpec.from_dict(spec.to_dict()) == spec
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from aligner.errors import InputError

__all__ = ["TokenizerSpec"]

KINDS = ("whitespace",)


@dataclass(frozen=True)
class TokenizerSpec:
    """How text becomes tokens.

    Attributes:
        kind: the splitting rule; ``"whitespace"`` splits on runs of Unicode
            whitespace (``str.split()``).
        lowercase: lowercase every token after splitting.
    """

    kind: str = "whitespace"
    lowercase: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(
                f"unknown tokenizer kind {self.kind!r}; choose one of: {', '.join(KINDS)}"
            )

    def __call__(self, text: str) -> list[str]:
        """Split one text into tokens."""
        if self.lowercase:
            text = text.lower()
        return text.split()

    @property
    def is_identity_on_spaced_text(self) -> bool:
        """True when tokens of space-separated text pass through unchanged."""
        return self.kind == "whitespace" and not self.lowercase

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, stored in the artifact manifest."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenizerSpec:
        """Rebuild a spec saved with :meth:`to_dict`.

        Raises:
            InputError: the dict names an unknown kind or field.
        """
        known = {"kind", "lowercase"}
        unknown = set(data) - known
        if unknown:
            raise InputError(
                f"tokenizer spec has unknown fields {sorted(unknown)}; "
                "the artifact may come from a newer aligner: upgrade aligner"
            )
        return cls(**data)
