"""safe_filename: last path component, no hidden characters, bounded length, stable."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dms.content.names import MAX_NAME_CHARS, safe_filename
from dms.errors import InvalidInput


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("Bauantrag.pdf", "Bauantrag.pdf"),
        ("C:\\Users\\mueller\\Desktop\\Bescheid 2024.pdf", "Bescheid 2024.pdf"),
        ("../../etc/passwd", "passwd"),
        ("a/b\\c.txt", "c.txt"),
        ("  Antrag.pdf  ", "Antrag.pdf"),
        ("Ant\x00rag\r\n.pdf", "Antrag.pdf"),
        ("Rechnung\u202efdp.exe", "Rechnungfdp.exe"),  # bidi override hides the real extension
        ("Stra\u200bße.txt", "Straße.txt"),  # zero-width space
        ("Mu\u0308ller.txt", "Müller.txt"),  # decomposed umlaut from macOS
        (".htaccess", ".htaccess"),
        ("...pdf", "...pdf"),
    ],
)
def test_examples(given_name: str, expected: str) -> None:
    assert safe_filename(given_name) == expected


@pytest.mark.parametrize("bad", ["", "   ", ".", "..", "...", "a/..", "dir/", "\x00\x01", "\u200b"])
def test_nothing_usable_is_invalid_input(bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        safe_filename(bad)
    assert info.value.message.startswith("Ungültiger Dateiname:")
    assert "/ Invalid file name:" in info.value.message


def test_long_name_keeps_extension() -> None:
    result = safe_filename("Protokoll " * 50 + ".pdf")
    assert len(result) <= MAX_NAME_CHARS
    assert result.endswith(".pdf")
    assert result.startswith("Protokoll Protokoll")


def test_long_name_without_extension_is_cut() -> None:
    assert safe_filename("x" * 500) == "x" * MAX_NAME_CHARS


def test_long_dotted_name_does_not_mistake_text_for_extension() -> None:
    result = safe_filename("a" * 300 + ".Sitzung des Bauausschusses vom 3. Juni")
    assert len(result) == MAX_NAME_CHARS


def test_error_message_does_not_echo_huge_input() -> None:
    with pytest.raises(InvalidInput) as info:
        safe_filename("." * 10_000)
    assert len(info.value.message) < 400


# Text with the troublemakers mixed in: separators, controls, combining marks, whitespace.
names = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(["/", "\\", ".", " ", "\x00", "\u0301", "\u200d", "\u0958", "ä"]),
    ),
    max_size=400,
)


@given(names)
@example("\u0958" * 300 + ".pdf")  # expands under NFC
@example("e\u200d\u0301.txt")  # removal lets accent compose
@example(" \u0301")
def test_properties(name: str) -> None:
    try:
        result = safe_filename(name)
    except InvalidInput:
        return
    assert result
    assert result not in {".", ".."}
    assert set(result) != {"."}
    assert "/" not in result and "\\" not in result
    assert not any(unicodedata.category(ch).startswith("C") for ch in result)
    assert result == result.strip()
    assert unicodedata.is_normalized("NFC", result)
    assert len(result) <= MAX_NAME_CHARS
    assert safe_filename(result) == result
