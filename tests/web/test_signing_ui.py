"""The final signature in the browser's forms: the demo signer signs from the inbox with the
demo certificate that `dms init --demo` made, then checks the signatures on the document page
and finds the Prüfprotokoll beside it."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from fastapi.testclient import TestClient
from sqlalchemy import select

from dms.models import Document, SigningKey, User
from dms.services import documents, files, users
from dms.services.context import SYSTEM, App
from tests.conftest import ROOT
from tests.support.actors import as_user
from tests.web.conftest import DEMO_PASSWORD, login
from workflows import cosign, engine, tasks
from workflows.models import Task

pytestmark = pytest.mark.parametrize("seeded", ["sqlite"], indirect=True)


def _trust_demo_root(app: App) -> None:
    """`dms init` put the demo CA into $DMS_HOME/trust; the test's home is fresh, so take the
    root from the demo signer's PKCS#12 file."""
    with app.unit(SYSTEM) as ctx:
        key = ctx.db.scalar(select(SigningKey).join(User, User.id == SigningKey.owner_id)
                            .where(User.username == "hoffmann"))
        assert key is not None and key.blob_sha256 is not None
        with ctx.app.store.open(key.blob_sha256) as stream:
            data = stream.read()
    _key, _cert, chain = pkcs12.load_key_and_certificates(data, DEMO_PASSWORD.encode())
    trust = app.settings.home / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    (trust / "demo.pem").write_bytes(chain[0].public_bytes(Encoding.PEM))


def test_sign_from_the_inbox_and_check_on_the_document_page(web: TestClient,
                                                           seeded: App) -> None:
    app = seeded
    _trust_demo_root(app)
    with app.unit(SYSTEM) as ctx:
        engine.deploy(ctx, (ROOT / "config" / "processes" / "cosign.bpmn").read_bytes())
        office = users.office_by_code(ctx, "63")
        (file,) = files.list_files(ctx, office_id=office.id)
        (case, _n), *_ = files.list_cases(ctx, file.id)
        draft = documents.list_documents(ctx, case.id)[0][0].id
    with as_user(app, "mueller") as ctx:
        instance = cosign.start_cosigning(ctx, draft, ["weber"]).id
    with app.unit(SYSTEM) as ctx:
        cosign_task = ctx.db.scalar(select(Task.id).where(Task.instance_id == instance,
                                                          Task.status == "open"))
    with as_user(app, "weber") as ctx:
        tasks.complete(ctx, cosign_task, decision="approve")
    with app.unit(SYSTEM) as ctx:
        final = ctx.db.scalar(select(Task.id).where(Task.instance_id == instance,
                                                    Task.status == "open"))

    csrf = login(web, "hoffmann")
    page = web.get(f"/tasks/{final}")
    assert "Signieren (Schlusszeichnung)" in page.text
    assert "Hannah Hoffmann" in page.text  # the stamp preview
    assert "Erledigen" not in page.text  # no plain approval in the shipped configuration
    key_id = re.search(r'<option value="(\d+)">Demo-Zertifikat', page.text)
    assert key_id, page.text
    wrong = web.post(f"/tasks/{final}/sign", data={
        "csrf_token": csrf, "key_id": key_id.group(1), "secret": "falsch", "level": "B-B",
        "visible": "true", "f_disposition": "file"}, follow_redirects=False)
    assert wrong.status_code == 403 and "Passphrase" in wrong.text
    done = web.post(f"/tasks/{final}/sign", data={
        "csrf_token": csrf, "key_id": key_id.group(1), "secret": DEMO_PASSWORD,
        "level": "B-B", "visible": "true", "f_disposition": "file",
        "remark": "Gezeichnet."}, follow_redirects=False)
    assert done.status_code == 303 and "signed" in done.headers["location"]

    with app.unit(SYSTEM) as ctx:
        latest = documents.latest_version(ctx, draft)
        assert latest is not None and latest.number == 2 and latest.signature_of == 1
    checked = web.post(f"/documents/{draft}/signature-check", data={"csrf_token": csrf},
                       follow_redirects=True)
    assert checked.status_code == 200
    assert "Prüfprotokoll ansehen" in checked.text
    with app.unit(SYSTEM) as ctx:
        document = ctx.db.get(Document, draft)
        assert document is not None
        check = document.attributes["signature_check"]
    # intact and trusted; the demo CA runs no OCSP responder or CRL, which is only a warning
    assert check["verdict"] == "warning", check
    assert "Revocation status unknown" in check["summary_en"], check
