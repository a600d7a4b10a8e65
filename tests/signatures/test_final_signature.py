"""The final signature (Schlusszeichnung) of the co-signing process, signed from the inbox with
the signer's own key: the signed version is the next version, the co-signatures stay valid,
the task completes, and without a signature the task refuses to complete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dms.errors import InvalidInput, KeyAccessDenied, PermissionDenied
from dms.services import audit, documents, files, signatures, users
from dms.services.context import SYSTEM, App
from dms.signatures.validation import validate_pdf
from tests.conftest import ROOT
from tests.signatures.pki import SigningPki
from tests.signatures.test_service import _config
from tests.support.actors import actor_of, as_user
from workflows import cosign, engine, jobs, signing_step, tasks
from workflows.models import Task

pytestmark = pytest.mark.parametrize("seeded", ["sqlite"], indirect=True)


@pytest.fixture
def app(seeded: App, pki: SigningPki, tmp_path: Path) -> Iterator[App]:
    seeded.settings.config_dir = _config(tmp_path, pki)
    with seeded.unit(SYSTEM) as ctx:
        engine.deploy(ctx, (ROOT / "config" / "processes" / "cosign.bpmn").read_bytes())
        users.create_user(ctx, username="becker", display_name="Bernd Becker", password=None,
                          roles=["clerk"], office_code="63", job_title="Amtsleitung")
    yield seeded


def _draft(app: App) -> int:
    with app.unit(SYSTEM) as ctx:
        office = users.office_by_code(ctx, "63")
        (file,) = files.list_files(ctx, office_id=office.id)
        (case, _n), *_ = files.list_cases(ctx, file.id)
        return documents.list_documents(ctx, case.id)[0][0].id


def _open_task(app: App, instance_id: int, element: str) -> int:
    with app.unit(SYSTEM) as ctx:
        return ctx.db.scalar(select(Task.id).where(
            Task.instance_id == instance_id, Task.element_id == element,
            Task.status == "open"))  # type: ignore[return-value]


def _cosigned(app: App, draft: int) -> int:
    with as_user(app, "mueller") as ctx:
        instance = cosign.start_cosigning(ctx, draft, ["weber"], "parallel").id
    task = _open_task(app, instance, "Task_CosignParallel")
    with as_user(app, "weber") as ctx:
        tasks.complete(ctx, task, decision="approve", remark="Einverstanden.")
    return instance


def test_sign_from_the_inbox_completes_the_round(app: App, pki: SigningPki) -> None:
    draft = _draft(app)
    instance = _cosigned(app, draft)
    final = _open_task(app, instance, "Task_FinalSignature")
    with as_user(app, "admin") as ctx:
        key = signatures.add_pkcs12_key(ctx, data=pki.alice.p12_path.read_bytes(),
                                        passphrase=pki.alice.passphrase, owner="becker").id

    # a plain approval is refused: this office signs electronically
    with pytest.raises(InvalidInput, match="Signatur"), as_user(app, "becker") as ctx:
        tasks.complete(ctx, final, decision="sign", variables={"disposition": "file"})
    # a wrong passphrase changes nothing, the task stays open
    with pytest.raises(KeyAccessDenied):
        signing_step.sign_task(app, actor_of(app, "becker"), final, key_id=key,
                               secret="falsch")
    assert _open_task(app, instance, "Task_FinalSignature") == final
    # someone without Zeichnungsbefugnis cannot sign, even with a key of their own
    with as_user(app, "admin") as ctx:
        own = signatures.add_pkcs12_key(ctx, data=pki.bob.p12_path.read_bytes(),
                                        passphrase=pki.bob.passphrase, owner="mueller").id
    with pytest.raises(PermissionDenied):
        signing_step.sign_task(app, actor_of(app, "mueller"), final, key_id=own,
                               secret=pki.bob.passphrase)

    result = signing_step.sign_task(app, actor_of(app, "becker"), final, key_id=key,
                                    secret=pki.alice.passphrase, remark="Gezeichnet.")
    assert result.version.signature_of == 1
    assert all(o.ok for o in jobs.run_due(app))
    with app.unit(SYSTEM) as ctx:
        variables = engine.instance_variables(ctx, instance)
        assert variables["signatureMethod"] == "pades"
        assert variables["signatureVersion"] == 2 and variables["signedVersion"] == 1
        assert "document.final_signature" in [
            e.action for e in audit.history(ctx, "document", draft, limit=1000)]
        opened = documents.open_version(ctx, draft)
        with opened.stream as stream:
            signed = stream.read()
    report = validate_pdf(signed, extra_anchors=[pki.root_path.read_bytes()])
    assert report.verdict == "valid", report.summary_de
