"""Search: German stemming, ranking, snippets, filters and permission filtering, both backends."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dms.search import SearchQuery
from dms.services import documents, fileplan, files
from dms.services.context import SYSTEM, App
from dms.services.search import search
from tests.support.actors import as_user


@pytest.fixture
def corpus(seeded: App, tmp_path: Path) -> dict[str, int]:
    texts = {
        "haeuser": (
            "Gutachten Häuser",
            "Die Häuser am Marktplatz wurden begutachtet.",
            "other",
            date(2026, 3, 1),
        ),
        "haus": (
            "Abrissantrag",
            "Das Haus in der Bahnhofstraße soll abgerissen werden.",
            "application",
            date(2026, 5, 1),
        ),
        "strasse": (
            "Sperrung",
            "Die Strasse bleibt wegen Bauarbeiten gesperrt.",
            "letter",
            date(2025, 12, 1),
        ),
        "script": (
            "Eingabe",
            "Text mit <script>alert(1)</script> und Häusern.",
            "letter",
            date(2026, 6, 1),
        ),
    }
    ids = {}
    with as_user(seeded, "mueller") as ctx:
        node = fileplan.node_by_code(ctx, "602")
        file = files.create_file(ctx, plan_node_id=node.id, title="Bauaufsicht Marktplatz")
        case = files.create_case(ctx, file_id=file.id, title="Kontrollen 2026")
        for key, (title, body, kind, when) in texts.items():
            path = tmp_path / f"{key}.txt"
            path.write_text(body, encoding="utf-8")
            ids[key] = documents.add_document(
                ctx,
                case_id=case.id,
                source=path,
                filename=path.name,
                title=title,
                doc_type=kind,
                document_date=when,
            ).document.id
    return ids


def _ids(app: App, user: str, query: SearchQuery) -> list[int]:
    with as_user(app, user) as ctx:
        return [h.document_id for h in search(ctx, query).hits]


def test_german_inflections_meet(seeded: App, corpus: dict[str, int]) -> None:
    found = set(_ids(seeded, "mueller", SearchQuery("Haus")))
    assert {corpus["haeuser"], corpus["haus"], corpus["script"]} <= found
    assert corpus["strasse"] not in found
    assert corpus["strasse"] in _ids(seeded, "mueller", SearchQuery("Straße"))


def test_title_match_ranks_first(seeded: App, corpus: dict[str, int]) -> None:
    assert _ids(seeded, "mueller", SearchQuery("Gutachten"))[0] == corpus["haeuser"]


def test_two_words_must_both_match(seeded: App, corpus: dict[str, int]) -> None:
    assert _ids(seeded, "mueller", SearchQuery("Haus Bahnhofstraße")) == [corpus["haus"]]


def test_snippet_highlights_and_escapes(seeded: App, corpus: dict[str, int]) -> None:
    with as_user(seeded, "mueller") as ctx:
        result = search(ctx, SearchQuery("Eingabe Häuser"))
    hit = next(h for h in result.hits if h.document_id == corpus["script"])
    assert "<mark>" in hit.snippet
    assert "<script>" not in hit.snippet  # escaped (SQLite) or dropped as a tag (PostgreSQL)


def test_filters(seeded: App, corpus: dict[str, int]) -> None:
    q = SearchQuery("Haus", doc_type="application")
    assert _ids(seeded, "mueller", q) == [corpus["haus"]]
    q = SearchQuery("gesperrt", date_from=date(2026, 1, 1))
    assert _ids(seeded, "mueller", q) == []
    q = SearchQuery("gesperrt", date_to=date(2025, 12, 31))
    assert _ids(seeded, "mueller", q) == [corpus["strasse"]]
    with seeded.unit(SYSTEM) as ctx:
        building = fileplan.node_by_code(ctx, "6").id
        social = fileplan.node_by_code(ctx, "4").id
    assert corpus["haus"] in _ids(seeded, "mueller", SearchQuery("Haus", plan_node_ids=(building,)))
    assert _ids(seeded, "mueller", SearchQuery("Haus", plan_node_ids=(social,))) == []


def test_no_hits_outside_visible_files(seeded: App, corpus: dict[str, int]) -> None:
    assert _ids(seeded, "weber", SearchQuery("Haus")) == []
    assert _ids(seeded, "post", SearchQuery("Haus")) == []
    assert corpus["haus"] in _ids(seeded, "admin", SearchQuery("Haus"))


def test_new_version_replaces_indexed_text(
    seeded: App, corpus: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "neu.txt"
    path.write_text("Das Gebäude wurde saniert.", encoding="utf-8")
    with as_user(seeded, "mueller") as ctx:
        documents.add_version(ctx, document_id=corpus["strasse"], source=path, filename="neu.txt")
    assert _ids(seeded, "mueller", SearchQuery("saniert")) == [corpus["strasse"]]
    assert _ids(seeded, "mueller", SearchQuery("gesperrt")) == []


def test_stopwords_only_and_operators_are_harmless(seeded: App, corpus: dict[str, int]) -> None:
    assert _ids(seeded, "mueller", SearchQuery("der die das")) == []
    for hostile in ['"', "AND OR NOT", "haus*", "-(", "title:haus", "NEAR(a b)", "'; drop"]:
        _ids(seeded, "mueller", SearchQuery(hostile))
