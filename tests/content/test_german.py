"""German tokens, stems and snippets: the same rules for index and query."""

from __future__ import annotations

import html
import re
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dms.content import german
from dms.content.german import STOP_WORDS, snippet, stem, stems, tokens


def test_tokens_lowercase_letters_and_digits() -> None:
    text = "Az. 022.31, B-12: Müller_Straße – ÄRGER!"
    assert tokens(text) == ["az", "022", "31", "b", "12", "müller", "straße", "ärger"]


def test_tokens_join_decomposed_umlauts_and_soft_hyphens() -> None:
    assert tokens("Mu\u0308ller Grund\u00adstück") == ["müller", "grundstück"]


@pytest.mark.parametrize(
    "group",
    [
        ["Häuser", "Haus", "Hauses", "Häusern"],
        ["Straße", "Strasse", "Straßen"],
        ["Bauantrag", "Bauanträge", "Bauanträgen"],
        ["Grundstück", "Grundstücke", "Grundstücks"],
        ["Gemeinde", "Gemeinden"],
        ["Müller", "Mueller"],
    ],
)
def test_inflections_share_a_stem(group: list[str]) -> None:
    assert len({stem(word.lower()) for word in group}) == 1


def test_stems_are_folded() -> None:
    for word in ["häuser", "größe", "übergabe", "öffentlich", "straße"]:
        assert not set(stem(word)) & set("äöüß")


def test_stems_drop_stop_words_but_keep_numbers() -> None:
    assert stems("Der Antrag und die Anträge für das Jahr 2024") == [
        "antrag",
        "antrag",
        "jahr",
        "2024",
    ]
    assert {"der", "die", "das", "und", "oder", "ein", "eine"} <= STOP_WORDS


def test_stemmer_is_per_thread() -> None:
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(german._stemmer()))
    thread.start()
    thread.join()
    assert german._stemmer() is german._stemmer()
    assert seen[0] is not german._stemmer()


# --- snippet --------------------------------------------------------------------------------

FILLER = "Lorem ipsum dolor sit amet. " * 40


def test_snippet_marks_words_with_any_inflection() -> None:
    text = FILLER + "Der Bauantrag für die Häuser in der Müllerstraße wurde genehmigt. " + FILLER
    result = snippet(text, set(stems("Bauanträge Haus")))
    assert "<mark>Bauantrag</mark>" in result
    assert "<mark>Häuser</mark>" in result
    assert result.startswith("…") and result.endswith("…")
    visible = re.sub(r"</?mark>", "", result)
    assert len(html.unescape(visible)) <= 240 + 2


def test_snippet_picks_densest_cluster() -> None:
    text = (
        "Widerspruch am Anfang. "
        + FILLER
        + "Widerspruch gegen den Bescheid, Widerspruch begründet. "
        + FILLER
    )
    result = snippet(text, set(stems("Widerspruch Bescheid")), width=120)
    assert result.count("<mark>") == 3
    assert "<mark>Bescheid</mark>" in result


def test_snippet_escapes_html_and_keeps_marks() -> None:
    text = '<script>alert("x")</script> Antrag & <b>Bescheid</b>'
    result = snippet(text, {stem("antrag")})
    assert result == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>Antrag</mark>"
        " &amp; &lt;b&gt;Bescheid&lt;/b&gt;"
    )


def test_snippet_without_match_shows_beginning() -> None:
    result = snippet(FILLER, {stem("bauantrag")}, width=50)
    assert result.startswith("Lorem ipsum")
    assert result.endswith("…")
    assert "<mark>" not in result
    assert snippet("", {"x"}) == ""
    assert snippet("Kurz.", set()) == "Kurz."


def test_snippet_collapses_whitespace_and_cuts_at_word_boundaries() -> None:
    text = "Anfang\n\n\fund   " + "Wort " * 100 + "Bescheid\tEnde " + "Wort " * 100
    result = snippet(text, {stem("bescheid")}, width=60)
    assert "\n" not in result and "\t" not in result and "  " not in result
    inner = result.strip("…").strip()
    assert all(word in {"Wort", "<mark>Bescheid</mark>", "Ende"} for word in inner.split(" "))


def test_snippet_ignores_matches_beyond_scan_limit() -> None:
    text = "x " * 150_000 + "Bescheid"
    assert "<mark>" not in snippet(text, {stem("bescheid")})


class _CountingStemmer:
    """Stands in for the PyStemmer instance and records what it is asked to stem."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.words: list[str] = []

    def stemWords(self, words: list[str]) -> list[str]:  # noqa: N802 - PyStemmer's name
        self.words.extend(words)
        return self.real.stemWords(words)  # type: ignore[attr-defined]


@pytest.fixture
def counting_stemmer(monkeypatch: pytest.MonkeyPatch) -> _CountingStemmer:
    counting = _CountingStemmer(german._stemmer())
    monkeypatch.setattr(german, "_stemmer", lambda: counting)
    monkeypatch.setattr(german, "_cache", {})
    return counting


def test_snippet_stems_each_distinct_word_once(counting_stemmer: _CountingStemmer) -> None:
    wanted = {german.Stemmer.Stemmer("german").stemWord("bescheid")}
    text = "Antrag Bescheid Widerspruch Gemeinde " * 50_000  # 1.8 MB
    snippet(text, wanted)
    assert len(counting_stemmer.words) == len(set(counting_stemmer.words)) == 4
    snippet(text, wanted)
    stems(text)
    assert len(counting_stemmer.words) == 4  # known words come from the cache


def test_stem_cache_starts_over_when_full(
    counting_stemmer: _CountingStemmer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(german, "STEM_CACHE_SIZE", 3)
    assert stems("Antrag Bescheid") == ["antrag", "bescheid"]
    assert stems("Gemeinde Widerspruch Antrag") == ["gemeind", "widerspruch", "antrag"]
    assert len(german._cache) <= 3
    assert stems("Antrag Bescheid Gemeinde") == ["antrag", "bescheid", "gemeind"]


words_and_marks = st.lists(
    st.one_of(
        st.text(max_size=6),
        st.sampled_from(
            [
                "Haus",
                "Häuser",
                "ha\u0308user",
                "_",
                " ",
                "\u0308",
                "\u00ad",
                "Der",
                "ẞ",
                "Straße",
                "İ",
                "Mueller",
                "Müller",
                "1",
                "-",
            ]
        ),
    ),
    max_size=30,
).map("".join)


@given(words_and_marks)
def test_stems_match_the_word_by_word_definition(text: str) -> None:
    expected = [stem(token) for token in tokens(text) if token not in STOP_WORDS]
    assert stems(text) == expected


def test_snippet_marks_whole_words_only() -> None:
    text = "Hausbau, Haus_Nr, Grund\u00adstück; Vorderhaus und ha\u0308user."
    result = snippet(text, set(stems("Haus Grundstück")))
    assert result == (
        "Hausbau, <mark>Haus</mark>_Nr, <mark>Grund\u00adstück</mark>; Vorderhaus und"
        " <mark>ha\u0308user</mark>."
    )


def test_snippet_is_fast_on_huge_text() -> None:
    words = [f"wort{i}" for i in range(20_000)]
    text = " ".join(words * 10)[:2_000_000] + " Bescheid"
    start = time.perf_counter()
    snippet(text, {stem("bescheid"), stem("wort17")})
    assert time.perf_counter() - start < 2.0


query_stems = st.sets(st.sampled_from(["antrag", "haus", "bescheid", "a", "x", "1"]), max_size=3)
snippet_text = st.lists(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(["<", ">", "&", '"', " ", "\n", "Antrag", "Häuser", "<mark>", "a1"]),
    ),
    max_size=60,
).map("".join)


@given(snippet_text, query_stems, st.integers(min_value=-5, max_value=400))
def test_snippet_never_raises_and_never_leaks_markup(
    text: str, wanted: set[str], width: int
) -> None:
    result = snippet(text, wanted, width=width)
    assert "<" not in result.replace("<mark>", "").replace("</mark>", "")
    assert ">" not in result.replace("<mark>", "").replace("</mark>", "")
    assert result.count("<mark>") == result.count("</mark>")
