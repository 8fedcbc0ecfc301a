"""The revision grammar: ``NAME[@REV][~k]``.

``REV`` is ``vN``, ``latest``, a tag, or a content-hash prefix of at least 6 hex digits; ``~k``
after any of them goes k versions back along the parent chain. ``NAME`` alone is ``NAME@latest``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidName, InvalidRevision

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")
_VERSION_RE = re.compile(r"v([0-9]{1,9})")
_HEX_RE = re.compile(r"[0-9a-f]{6,32}")
_BACK_RE = re.compile(r"(.*?)~([0-9]{0,6})$")


def check_name(name: str, what: str = "dataset name") -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise InvalidName(
            f"invalid {what} {name!r}: use letters, digits, '_', '.', '-' (first a letter or digit, at most 128)"
        )
    return name


def check_tag(tag: str) -> str:
    check_name(tag, "tag")
    if tag == "latest" or _VERSION_RE.fullmatch(tag) or _HEX_RE.fullmatch(tag):
        raise InvalidName(f"invalid tag {tag!r}: it reads as a version, 'latest' or a hash prefix")
    return tag


@dataclass(frozen=True)
class RevSpec:
    """A parsed ``NAME@REV~k``: which dataset, which base revision, how many steps back."""

    name: str
    kind: str  # "latest" | "version" | "tag" | "hash"
    value: str  # the version number as text, the tag, or the hash prefix ("" for latest)
    back: int = 0

    @property
    def rev(self) -> str:
        base = {"latest": "latest", "version": f"v{self.value}"}.get(self.kind, self.value)
        return base + (f"~{self.back}" if self.back else "")

    def __str__(self) -> str:
        return f"{self.name}@{self.rev}"


def parse_rev(text: str) -> RevSpec:
    """Parse ``NAME[@REV][~k]``; raise :class:`InvalidRevision` with the reason otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidRevision("empty revision: expected NAME or NAME@REV")
    text = text.strip()
    name, sep, rev = text.partition("@")
    if not sep:
        rev = "latest"
        m = _BACK_RE.fullmatch(name)
        if m:
            name, rev = m.group(1), "latest~" + m.group(2)
    if not NAME_RE.fullmatch(name):
        raise InvalidRevision(f"malformed revision {text!r}: {name!r} is not a dataset name")
    back = 0
    m = _BACK_RE.fullmatch(rev)
    if m:
        rev, digits = m.group(1), m.group(2)
        back = int(digits) if digits else 1
    if not rev:
        raise InvalidRevision(f"malformed revision {text!r}: nothing after '@'")
    if rev == "latest":
        return RevSpec(name, "latest", "", back)
    vm = _VERSION_RE.fullmatch(rev)
    if vm:
        if int(vm.group(1)) < 1:
            raise InvalidRevision(f"malformed revision {text!r}: versions start at v1")
        return RevSpec(name, "version", str(int(vm.group(1))), back)
    if _HEX_RE.fullmatch(rev):
        return RevSpec(name, "hash", rev, back)
    if NAME_RE.fullmatch(rev):
        return RevSpec(name, "tag", rev, back)
    raise InvalidRevision(
        f"malformed revision {text!r}: expected vN, latest, a tag or a hash prefix of 6+ hex digits, optionally ~k"
    )
