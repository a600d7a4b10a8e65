"""German UI of the mailroom (Poststelle): batches with their progress, the quarantine, the
upload form, one letter at a time for review (page thumbnails, OCR text with the evidence of
each extracted field marked, the proposed routing with reason and confidence, the correction
form, rotate / move / split / merge, "Senden"), and the sampled quality check.

Thin pages over :mod:`ingest.review`, which checks rights and writes the audit trail. Every
form works without JavaScript (POST, then redirect); ``/static/mailroom.js`` adds the keyboard
(j/k, Enter, o/v/a, r, s, m, [ and ]). Slow actions (rebuilding a letter, OCR, sending) run
after the request's own unit has ended: the unit only authenticates and checks the CSRF token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from dms.errors import Conflict, InvalidInput, NotFound
from dms.services.context import Actor
from dms.web import ui
from dms.web.auth import dms_app
from dms.web.transfer import spooled_upload
from dms.web.ui import _optional_date, page_unit, render
from ingest import review

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 5
NOTICES = {
    "sent": "Schriftstück versandt.",
    "sent-corrected": "Schriftstück mit geänderter Zuordnung versandt.",
    "rotated": "Seite gedreht und neu erkannt.",
    "moved": "Seite verschoben.",
    "split": "Schriftstück geteilt; der abgetrennte Teil hat eine eigene Eingangsnummer.",
    "merged": "Schriftstücke zusammengeführt.",
    "uploaded": "Scan übernommen und verarbeitet.",
    "queued": "Scan übernommen; er wird im Hintergrund verarbeitet.",
    "quarantined": "Der Scan konnte nicht verarbeitet werden und liegt in der Quarantäne.",
    "retried": "Stapel erneut verarbeitet.",
    "retry-queued": "Stapel wird im Hintergrund erneut verarbeitet.",
    "discarded": "Stapel verworfen; das Original bleibt gespeichert.",
    "quality": "Qualitätskontrolle gespeichert.",
    "done": "Alle Schriftstücke sind geprüft.",
}
DIRECTIONS = {"previous": "vorheriges", "next": "nächstes"}
SOURCES = {
    "hotfolder": "Scanordner",
    "upload": "Hochgeladen",
    "cli": "Kommandozeile",
    "email": "E-Mail",
}

ui.AUDIT_ACTIONS.update(
    {
        "intake.receive": "Scan übernommen",
        "intake.letter": "Schriftstück erkannt",
        "intake.send": "Aus dem Posteingang abgelegt",
        "intake.review.send": "Von der Poststelle versandt",
    }
)
ui.TEMPLATES.env.globals.update(
    MAILROOM_BATCH_STATUS=review.BATCH_STATUS,
    MAILROOM_LETTER_STATUS=review.LETTER_STATUS,
    MAILROOM_SOURCES=SOURCES,
)


def _pct(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{round(value * 100)} %"


def _ocr_pct(value: float | None) -> str:
    return "–" if value is None else f"{round(value)} %"


ui.TEMPLATES.env.filters.update(pct=_pct, ocr_pct=_ocr_pct)


def _redirect(url: str, notice: str | None = None) -> RedirectResponse:
    if notice:
        url += ("&" if "?" in url else "?") + urlencode({"notice": notice})
    return RedirectResponse(url, status_code=303)


def _mailroom_actor(request: Request, csrf_token: str | None = None) -> Actor:
    """Authenticate (and check CSRF for a POST) in a short unit; the slow work follows."""
    with page_unit(request, csrf_token) as ctx:
        review.require_mailroom(ctx.actor)
        return ctx.actor


def _int(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(f"{what}: keine gültige Zahl / not a number") from None


# --- overview -------------------------------------------------------------------------------


@router.get("/poststelle")
def overview(request: Request, notice: str = "") -> Response:
    with page_unit(request) as ctx:
        batches = review.list_batches(ctx, limit=30)
        quarantined = review.list_quarantine(ctx)
        queue = review.list_review(ctx, limit=50)
        counts = review.queue_counts(ctx)
        response = render(
            request,
            "mailroom_overview.html",
            active_page="mailroom",
            batches=batches,
            quarantined=quarantined,
            queue=queue,
            counts=counts,
            today=review._today(dms_app(request)).isoformat(),
            notice=NOTICES.get(notice),
            refresh=REFRESH_SECONDS if any(b.in_progress for b in batches) else None,
        )
    if response.status_code == 200 and any(b.in_progress for b in batches):
        response.headers["Refresh"] = str(REFRESH_SECONDS)  # live-ish progress without JS
    return response


@router.get("/poststelle/pruefen")
def first_to_review(request: Request) -> Response:
    with page_unit(request) as ctx:
        queue = review.list_review(ctx, limit=1)
    if not queue:
        return _redirect("/poststelle", "done")
    return _redirect(f"/poststelle/briefe/{queue[0].id}")


@router.post("/poststelle/upload")
def upload(
    request: Request,
    file: UploadFile | None = File(None),
    received_on: str = Form(""),
    device: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    actor = _mailroom_actor(request, csrf_token)
    received = _optional_date(received_on, "Eingangsdatum")
    with spooled_upload(file) as (source, filename):
        result = review.upload(
            dms_app(request),
            actor,
            source,
            filename,
            received_on=received,
            device=device.strip()[:100] or None,
        )
    if not result.processed_inline:
        notice = "queued"
    elif result.status == "quarantined":
        notice = "quarantined"
    else:
        notice = "uploaded"
    return _redirect(f"/poststelle/stapel/{result.batch_id}", notice)


# --- batches ------------------------------------------------------------------------------


@router.get("/poststelle/stapel/{batch_id}")
def batch_page(request: Request, batch_id: int, notice: str = "") -> Response:
    with page_unit(request) as ctx:
        batch = review.get_batch(ctx, batch_id)
        response = render(
            request,
            "mailroom_batch.html",
            active_page="mailroom",
            batch=batch,
            notice=NOTICES.get(notice),
        )
    if batch.in_progress:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@router.post("/poststelle/stapel/{batch_id}/wiederholen")
def retry(request: Request, batch_id: int, csrf_token: str = Form("")) -> Response:
    actor = _mailroom_actor(request, csrf_token)
    result = review.retry_batch(dms_app(request), actor, batch_id)
    notice = (
        "retry-queued"
        if not result.processed_inline
        else ("quarantined" if result.status == "quarantined" else "retried")
    )
    return _redirect(f"/poststelle/stapel/{batch_id}", notice)


@router.post("/poststelle/stapel/{batch_id}/verwerfen")
def discard(
    request: Request, batch_id: int, remark: str = Form(""), csrf_token: str = Form("")
) -> Response:
    with page_unit(request, csrf_token) as ctx:
        review.discard_batch(ctx, batch_id, remark)
    return _redirect("/poststelle", "discarded")


@router.get("/poststelle/stapel/{batch_id}/qualitaet")
def quality_page(request: Request, batch_id: int, notice: str = "") -> Response:
    with page_unit(request) as ctx:
        check = review.quality_check(ctx, batch_id)
        return render(
            request,
            "mailroom_quality.html",
            active_page="mailroom",
            check=check,
            notice=NOTICES.get(notice),
            error=None,
        )


@router.post("/poststelle/stapel/{batch_id}/qualitaet")
async def save_quality(request: Request, batch_id: int) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return _save_quality(request, batch_id, fields)


def _save_quality(request: Request, batch_id: int, fields: dict[str, str]) -> Response:
    marks: dict[int, tuple[bool, str]] = {}
    for key, value in fields.items():
        if key.startswith("ok-") and value in ("ja", "nein"):
            index = _int(key[3:], "Seite")
            marks[index] = (value == "ja", fields.get(f"remark-{index}", ""))
    with page_unit(request, fields.get("csrf_token", "")) as ctx:
        try:
            review.record_quality(ctx, batch_id, marks)
        except InvalidInput as exc:  # checked before anything is written
            check = review.quality_check(ctx, batch_id)
            return render(
                request,
                "mailroom_quality.html",
                status_code=422,
                active_page="mailroom",
                check=check,
                notice=None,
                error=exc.message.partition(" / ")[0],
                marks=marks,
            )
    return _redirect(f"/poststelle/stapel/{batch_id}/qualitaet", "quality")


# --- one letter ---------------------------------------------------------------------------


def _letter_page(
    request: Request,
    letter_id: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
    csrf_token: str | None = None,
) -> Response:
    """The review page; after a failed POST it is shown again (the POST's token passes)."""
    with page_unit(request, csrf_token) as ctx:
        view = review.letter_detail(ctx, letter_id)
        offices = review.list_offices(ctx)
        return render(
            request,
            "mailroom_letter.html",
            status_code=status_code,
            active_page="mailroom",
            view=view,
            offices=offices,
            notice=notice,
            error=error,
            form=form or {},
            directions=DIRECTIONS,
        )


@router.get("/poststelle/briefe/{letter_id}")
def letter_page(request: Request, letter_id: int, notice: str = "") -> Response:
    return _letter_page(request, letter_id, notice=NOTICES.get(notice))


def _after(request: Request, letter_id: int, action: Any, notice: str, csrf_token: str) -> Response:
    """Run a change; an input problem shows the letter again with the message."""
    try:
        action()
    except (InvalidInput, Conflict) as exc:
        return _letter_page(
            request,
            letter_id,
            error=exc.message.partition(" / ")[0],
            status_code=exc.http_status,
            csrf_token=csrf_token,
        )
    return _redirect(f"/poststelle/briefe/{letter_id}", notice)


@router.post("/poststelle/briefe/{letter_id}/senden")
def send(
    request: Request,
    letter_id: int,
    mode: str = Form("proposed"),
    office_code: str = Form(""),
    case_reference: str = Form(""),
    assignee: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    actor = _mailroom_actor(request, csrf_token)
    correction = None
    if mode == "corrected":
        correction = review.Correction(
            office_code.strip() or None, case_reference.strip() or None, assignee.strip() or None
        )
    form = {"office_code": office_code, "case_reference": case_reference, "assignee": assignee}
    with page_unit(request, csrf_token) as ctx:
        previous, following = review.review_neighbours(ctx, letter_id)
    try:
        result = review.send(dms_app(request), actor, letter_id, correction)
    except (InvalidInput, Conflict, NotFound) as exc:  # the letter itself was found above
        return _letter_page(
            request,
            letter_id,
            error=exc.message.partition(" / ")[0],
            form=form,
            status_code=exc.http_status,
            csrf_token=csrf_token,
        )
    notice = "sent-corrected" if result.corrected else "sent"
    target = following or previous
    if target is not None:
        return _redirect(f"/poststelle/briefe/{target}", notice)
    return _redirect("/poststelle", notice)


@router.post("/poststelle/briefe/{letter_id}/drehen")
def rotate(
    request: Request,
    letter_id: int,
    page: str = Form(""),
    degrees: str = Form("90"),
    csrf_token: str = Form(""),
) -> Response:
    actor = _mailroom_actor(request, csrf_token)
    app = dms_app(request)
    return _after(
        request,
        letter_id,
        lambda: review.rotate_page(
            app, actor, letter_id, _int(page, "Seite"), _int(degrees, "Grad")
        ),
        "rotated",
        csrf_token,
    )


@router.post("/poststelle/briefe/{letter_id}/verschieben")
def move(
    request: Request,
    letter_id: int,
    page: str = Form(""),
    direction: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    actor = _mailroom_actor(request, csrf_token)
    app = dms_app(request)
    return _after(
        request,
        letter_id,
        lambda: review.move_page(app, actor, letter_id, _int(page, "Seite"), direction),
        "moved",
        csrf_token,
    )


@router.post("/poststelle/briefe/{letter_id}/teilen")
def split(
    request: Request, letter_id: int, page: str = Form(""), csrf_token: str = Form("")
) -> Response:
    actor = _mailroom_actor(request, csrf_token)
    app = dms_app(request)
    return _after(
        request,
        letter_id,
        lambda: review.split_letter(app, actor, letter_id, _int(page, "Seite")),
        "split",
        csrf_token,
    )


@router.post("/poststelle/briefe/{letter_id}/zusammenfuehren")
def merge(request: Request, letter_id: int, csrf_token: str = Form("")) -> Response:
    actor = _mailroom_actor(request, csrf_token)
    app = dms_app(request)
    return _after(
        request,
        letter_id,
        lambda: review.merge_with_next(app, actor, letter_id),
        "merged",
        csrf_token,
    )


# --- page images and the PDF ----------------------------------------------------------------


@router.get("/poststelle/briefe/{letter_id}/seiten/{position}.png")
def page_image(request: Request, letter_id: int, position: int, gross: int = 0) -> Response:
    with page_unit(request) as ctx:
        sha256, _register = review.letter_pdf(ctx, letter_id)
    return _page_png(request, sha256, position, gross)


@router.get("/poststelle/briefe/{letter_id}/vorschau/{number}/seiten/{position}.png")
def preview_image(
    request: Request, letter_id: int, number: int, position: int, gross: int = 0
) -> Response:
    """A page of an e-mail's attachment or an e-invoice's readable view (review.PreviewPart)."""
    with page_unit(request) as ctx:
        part, _register = review.preview_pdf(ctx, letter_id, number)
    assert part.sha256 is not None
    return _page_png(request, part.sha256, position, gross)


def _page_png(request: Request, sha256: str, position: int, gross: int) -> Response:
    dpi = review.PREVIEW_DPI if gross else review.THUMBNAIL_DPI
    etag = f'"{sha256[:32]}-{position}-{dpi}"'
    headers = {
        # The address carries the PDF's hash (?v=...), so a changed letter is a new address.
        "Cache-Control": "private, max-age=86400",
        "ETag": etag,
    }
    if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    png = review.page_image(dms_app(request), sha256, position, dpi=dpi)
    if png is None:
        raise NotFound(f"Seite {position} gibt es nicht / no such page")
    return Response(png, media_type="image/png", headers=headers)


@router.get("/poststelle/briefe/{letter_id}/pdf")
def letter_pdf(request: Request, letter_id: int) -> Response:
    with page_unit(request) as ctx:
        sha256, register_number = review.letter_pdf(ctx, letter_id)
    return _pdf(request, sha256, f"{register_number}.pdf")


@router.get("/poststelle/briefe/{letter_id}/vorschau/{number}.pdf")
def preview_pdf(request: Request, letter_id: int, number: int) -> Response:
    with page_unit(request) as ctx:
        part, register_number = review.preview_pdf(ctx, letter_id, number)
    assert part.sha256 is not None
    return _pdf(request, part.sha256, f"{register_number}-vorschau-{number}.pdf")


def _pdf(request: Request, sha256: str, filename: str) -> Response:
    from fastapi.responses import StreamingResponse

    from dms.web.transfer import CHUNK, content_disposition

    app = dms_app(request)

    def chunks() -> Any:
        with app.store.open(sha256) as stream:
            while block := stream.read(CHUNK):
                yield block

    return StreamingResponse(
        chunks(),
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition("inline", filename),
            "Cache-Control": "private, no-store",
        },
    )
