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
from tests.support.deputies import end_vertretung


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
    end_vertretung(seeded)  # weber's demo Vertretung for mueller (office 63) is over
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


# --- bounded candidate sets: counts, permissions and titles when many documents match -------


@pytest.fixture
def small_pools(monkeypatch: pytest.MonkeyPatch) -> int:
    """Shrink the candidate pools so that a handful of documents exercises the paths that
    100,000 would: capped counts, widening for restricted users, the title tier."""
    from dms.search import postgres_fts, sqlite_fts

    for module in (sqlite_fts, postgres_fts):
        monkeypatch.setattr(module, "CANDIDATE_POOL", 5)
        monkeypatch.setattr(module, "TITLE_POOL", 3)
    monkeypatch.setattr(postgres_fts, "RANK_POOL", 3)
    return 5


def _add_texts(
    app: App, tmp_path: Path, case_id: int, texts: list[tuple[str, str]], actor: str | None = None
) -> list[int]:
    ids = []
    context = as_user(app, actor) if actor else app.unit(SYSTEM)
    with context as ctx:
        for number, (title, body) in enumerate(texts):
            path = tmp_path / f"doc-{case_id}-{number}.txt"
            path.write_text(body, encoding="utf-8")
            ids.append(
                documents.add_document(
                    ctx, case_id=case_id, source=path, filename=path.name, title=title
                ).document.id
            )
    return ids


def _case_in_office(app: App, office_code: str, plan_code: str, title: str) -> int:
    from dms.services import users

    with app.unit(SYSTEM) as ctx:
        node = fileplan.node_by_code(ctx, plan_code)
        office = users.office_by_code(ctx, office_code)
        file = files.create_file(ctx, plan_node_id=node.id, title=title, office_id=office.id)
        return files.create_case(ctx, file_id=file.id, title=f"{title}, Vorgang").id


def test_total_is_capped_beyond_the_pool(seeded: App, tmp_path: Path, small_pools: int) -> None:
    case = _case_in_office(seeded, "63", "602", "Bauaufsicht Nord")
    _add_texts(seeded, tmp_path, case, [(f"Vermerk {i}", "Die Baustelle ruht.") for i in range(8)])
    _add_texts(seeded, tmp_path, case, [("Notiz", "Kranaufsicht vor Ort.")] * 3)
    with seeded.unit(SYSTEM) as ctx:
        many = search(ctx, SearchQuery("Baustelle", limit=3))
        few = search(ctx, SearchQuery("Kranaufsicht"))
        page_two = search(ctx, SearchQuery("Baustelle", limit=3, offset=6))
    assert (many.total, many.total_exact) == (small_pools, False)  # "mehr als 5 Treffer"
    assert len(many.hits) == 3
    assert (few.total, few.total_exact) == (3, True)
    assert len(page_two.hits) == 2  # paging past the pool still reaches every match
    seen = {h.document_id for h in many.hits} | {h.document_id for h in page_two.hits}
    assert len(seen) == 5


def test_restricted_user_finds_own_documents_behind_many_invisible_ones(
    seeded: App, tmp_path: Path, small_pools: int
) -> None:
    end_vertretung(seeded)  # weber's demo Vertretung for mueller (office 63) is over
    own_case = _case_in_office(seeded, "63", "602", "Bauaufsicht Süd")
    own = _add_texts(
        seeded, tmp_path, own_case, [("Prüfbericht", "Die Fassade ist schadhaft.")] * 2, "mueller"
    )
    other_case = _case_in_office(seeded, "50", "410", "Grundsicherung")
    hidden = [("Bescheid", f"Fassade und Antrag Nummer {i}.") for i in range(40)]
    _add_texts(seeded, tmp_path, other_case, hidden)  # newer, so they come first
    result = _search(seeded, "mueller", SearchQuery("Fassade"))
    assert sorted(h.document_id for h in result.hits) == sorted(own)
    assert (result.total, result.total_exact) == (2, True)
    weber = _search(seeded, "weber", SearchQuery("Fassade", limit=3))
    assert not set(own) & {h.document_id for h in weber.hits}
    assert (weber.total, weber.total_exact) == (small_pools, False)
    admin = _search(seeded, "admin", SearchQuery("Fassade", limit=50))
    assert set(own) <= {h.document_id for h in admin.hits}


def test_older_title_match_ranks_before_newer_body_matches(
    seeded: App, tmp_path: Path, small_pools: int
) -> None:
    case = _case_in_office(seeded, "63", "602", "Bauaufsicht West")
    (titled,) = _add_texts(seeded, tmp_path, case, [("Abnahme Dachstuhl", "Siehe Anlage.")])
    _add_texts(seeded, tmp_path, case, [("Vermerk", "Der Dachstuhl wurde geprüft.")] * 10)
    assert _ids(seeded, "mueller", SearchQuery("Dachstuhl"))[0] == titled


def test_reindex_restores_missing_entries(
    seeded: App, corpus: dict[str, int], tmp_path: Path
) -> None:
    from dms.search import backend_for
    from dms.services.search import reindex, unindexed_ids

    with seeded.unit(SYSTEM) as ctx:
        backend_for(seeded.dialect).remove(ctx.db, corpus["haus"])
    assert corpus["haus"] not in _ids(seeded, "mueller", SearchQuery("Bahnhofstraße"))
    with seeded.unit(SYSTEM) as ctx:
        assert unindexed_ids(ctx) == [corpus["haus"]]
    assert reindex(seeded) == 1
    assert _ids(seeded, "mueller", SearchQuery("Bahnhofstraße")) == [corpus["haus"]]
    with seeded.unit(SYSTEM) as ctx:
        assert unindexed_ids(ctx) == []
    calls: list[tuple[int, int]] = []
    assert reindex(seeded, everything=True, batch=3, progress=lambda *a: calls.append(a)) >= 4
    assert calls[-1][0] == calls[-1][1]
    assert _ids(seeded, "mueller", SearchQuery("Gutachten"))[0] == corpus["haeuser"]


def test_postgres_planner_settings_are_restored(seeded: App, corpus: dict[str, int]) -> None:
    if seeded.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    from sqlalchemy import text

    names = ("enable_seqscan", "enable_indexscan", "jit", "enable_hashjoin")
    with as_user(seeded, "mueller") as ctx:
        before = [ctx.db.execute(text(f"SHOW {name}")).scalar() for name in names]
        search(ctx, SearchQuery("Haus"))
        after = [ctx.db.execute(text(f"SHOW {name}")).scalar() for name in names]
    assert after == before


def _search(app: App, user: str, query: SearchQuery):  # type: ignore[no-untyped-def]
    with as_user(app, user) as ctx:
        return search(ctx, query)
