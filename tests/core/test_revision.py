from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_datavc.core.errors import InvalidName, InvalidRevision
from jupyter_datavc.core.revision import RevSpec, check_tag, parse_rev


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("raw", RevSpec("raw", "latest", "")),
        ("raw@latest", RevSpec("raw", "latest", "")),
        ("raw@v3", RevSpec("raw", "version", "3")),
        ("raw@v3~2", RevSpec("raw", "version", "3", 2)),
        ("raw@latest~", RevSpec("raw", "latest", "", 1)),
        ("raw~1", RevSpec("raw", "latest", "", 1)),
        ("raw@baseline", RevSpec("raw", "tag", "baseline")),
        ("raw@baseline~1", RevSpec("raw", "tag", "baseline", 1)),
        ("raw@abcdef12", RevSpec("raw", "hash", "abcdef12")),
        ("my.data-set_2@v10", RevSpec("my.data-set_2", "version", "10")),
    ],
)
def test_grammar(text: str, expected: RevSpec) -> None:
    assert parse_rev(text) == expected


@pytest.mark.parametrize("text", ["", "@v1", "raw@", "raw@v0", "raw@v1@v2", "../x", "raw@v1~x", "raw@<b>", " @ "])
def test_malformed(text: str) -> None:
    with pytest.raises(InvalidRevision):
        parse_rev(text)


@pytest.mark.parametrize("tag", ["v3", "latest", "abcdef", "a b", "../x", ""])
def test_tags_that_would_read_as_revisions_are_refused(tag: str) -> None:
    with pytest.raises(InvalidName):
        check_tag(tag)


@given(st.text(max_size=60))
def test_parser_gives_a_spec_or_a_clear_error(text: str) -> None:
    try:
        spec = parse_rev(text)
    except InvalidRevision as err:
        assert str(err) and "\n" not in str(err)
    else:
        assert parse_rev(str(spec)) == spec
