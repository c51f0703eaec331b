"""The exchange page through the test client and `flask analysis import-qdpx`: analysts download the project,
lead analysts import one after a page that says what it adds, bad files are refused in words, and every
import and export is in the audit log."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from app.analysis.models import Code, PendingUpload
from app.analysis.pending_uploads import keep_upload, kept_upload, take_upload
from app.analysis.qdpx_import import QdpxAlreadyImported, read_qdpx
from app.audit.models import AuditEvent
from app.clock import utcnow
from app.extensions import db
from tests.analysis.test_qdpx import coded_study  # noqa: F401 - the fixture is used by name
from tests.conftest import sign_in


def _accepted(study) -> set[tuple[int, str, int]]:
    rows = db.session.execute(
        select(Code.passage_id, Code.theme, Code.coder_id).where(Code.study_id == study.id, Code.status == "accepted")
    )
    return set(rows.all())


def _events(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_an_analyst_downloads_the_project_but_cannot_import(client, coded_study, make_user):  # noqa: F811
    study, _ana, _bea = coded_study
    sign_in(client, make_user("analyst").email)
    page = client.get(f"/analysis/{study.id}/exchange").get_data(as_text=True)
    assert "Download the project (.qdpx)" in page and "Lead analysts can import codes" in page
    # The coded passages as a spreadsheet are on offer here too, as the exchange section lists them.
    assert f'href="/analysis/{study.id}/passages/download.csv"' in page and "This study has no passages yet" not in page
    response = client.get(f"/analysis/{study.id}/exchange/project.qdpx")
    assert response.status_code == 200
    assert (
        "attachment" in response.headers["Content-Disposition"] and ".qdpx" in response.headers["Content-Disposition"]
    )
    assert "project.qde" in zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert _events("analysis.qdpx_exported") == 1
    assert client.post(f"/analysis/{study.id}/exchange/import", data={}).status_code == 403


def test_a_lead_imports_after_checking_what_the_file_adds(client, coded_study, make_user):  # noqa: F811
    study, _ana, _bea = coded_study
    lead = make_user("lead_analyst", name="Lea Lead")
    sign_in(client, lead.email)
    before = _accepted(study)
    check, token = _preview(client, study, _uncoded_project(client, study))
    assert "Ana Lyst: 1" in check and "Bea Lead: 2" in check
    assert _accepted(study) == set()  # nothing saved yet
    done = _confirm(client, study, check, token)
    assert "Codes imported" in done.get_data(as_text=True)
    assert _accepted(study) == before
    assert _events("analysis.qdpx_imported") == 1
    again = _confirm(client, study, check, token)
    assert "That import has expired or was already done" in again.get_data(as_text=True)
    assert _events("analysis.qdpx_imported") == 1


def _preview(client, study, data: bytes) -> tuple[str, str]:
    """Upload a project on the Exchange page: the check page, and the token its confirmation form carries."""
    page = client.get(f"/analysis/{study.id}/exchange").get_data(as_text=True)
    response = client.post(
        f"/analysis/{study.id}/exchange/import",
        data={"csrf_token": _token(page), "file": (io.BytesIO(data), "coded.qdpx")},
        content_type="multipart/form-data",
    )
    check = response.get_data(as_text=True)
    assert "Check what the import adds" in check
    return check, re.search(r'name="token" value="([^"]+)"', check).group(1)


def _confirm(client, study, check: str, token: str):
    return client.post(
        f"/analysis/{study.id}/exchange/import/confirm",
        data={"csrf_token": _token(check), "token": token},
        follow_redirects=True,
    )


def _uncoded_project(client, study) -> bytes:
    """The study as a project, its accepted codes then deleted here, so that importing it adds them back."""
    data = client.get(f"/analysis/{study.id}/exchange/project.qdpx").data
    db.session.execute(delete(Code).where(Code.study_id == study.id, Code.status == "accepted"))
    db.session.commit()
    return data


def test_any_node_takes_the_confirmation_nothing_is_kept_on_disk(app, client, coded_study, make_user, tmp_path):  # noqa: F811
    """The node that took the upload keeps nothing: the confirmation works on a node whose instance folder
    (and its job-files scratch folder) is another, empty one."""
    study, _ana, _bea = coded_study
    app.instance_path = str(tmp_path / "node-a")
    sign_in(client, make_user("lead_analyst").email)
    before = _accepted(study)
    data = _uncoded_project(client, study)

    check, token = _preview(client, study, data)

    assert not (tmp_path / "node-a" / "job-files").exists() or not any((tmp_path / "node-a" / "job-files").iterdir())
    assert db.session.scalar(select(PendingUpload.size)) == len(data)
    app.instance_path = str(tmp_path / "node-b")  # the load balancer sends the confirmation to another node
    done = _confirm(client, study, check, token)
    assert "Codes imported" in done.get_data(as_text=True)
    assert _accepted(study) == before
    assert db.session.scalar(select(func.count()).select_from(PendingUpload)) == 0  # confirming deletes it


def test_another_lead_cannot_confirm_someone_elses_import(app, client, coded_study, make_user):  # noqa: F811
    from app.analysis.exchange_routes import _signer

    study, _ana, _bea = coded_study
    owner, other = make_user("lead_analyst", name="Owen Owner"), make_user("lead_analyst", name="Ola Other")
    sign_in(client, owner.email)
    before = _accepted(study)
    check, token = _preview(client, study, _uncoded_project(client, study))
    key = db.session.scalar(select(PendingUpload.key))
    client.post("/sign-out")
    sign_in(client, other.email)
    page = client.get(f"/analysis/{study.id}/exchange").get_data(as_text=True)

    # The owner's own token, and a validly signed one naming the other lead with the owner's key: the
    # upload belongs to its owner, whatever the token says.
    stolen = _confirm(client, study, page, token)
    forged = _signer().dumps({"study": study.id, "user": other.id, "kept": key, "filename": "coded.qdpx"})
    reused = _confirm(client, study, page, forged)

    for response in (stolen, reused):
        assert response.status_code == 200
        assert "That import has expired or was already done: upload the file again." in response.get_data(as_text=True)
    assert _accepted(study) == set() and _events("analysis.qdpx_imported") == 0
    client.post("/sign-out")
    sign_in(client, owner.email)
    assert "Codes imported" in _confirm(client, study, check, token).get_data(as_text=True)
    assert _accepted(study) == before


def test_an_upload_not_confirmed_within_the_hour_is_refused_in_words(client, coded_study, make_user):  # noqa: F811
    study, _ana, _bea = coded_study
    sign_in(client, make_user("lead_analyst").email)
    check, token = _preview(client, study, _uncoded_project(client, study))
    # The token is still fresh; the upload itself was kept 61 minutes ago.
    db.session.execute(update(PendingUpload).values(created_at=utcnow() - timedelta(minutes=61)))
    db.session.commit()

    response = _confirm(client, study, check, token)

    assert response.status_code == 200
    assert "That import has expired or was already done: upload the file again." in response.get_data(as_text=True)
    assert _accepted(study) == set() and _events("analysis.qdpx_imported") == 0


def test_a_bad_file_is_refused_in_words_and_nothing_is_saved(client, coded_study, make_user):  # noqa: F811
    study, _ana, _bea = coded_study
    sign_in(client, make_user("lead_analyst").email)
    page = client.get(f"/analysis/{study.id}/exchange").get_data(as_text=True)
    response = client.post(
        f"/analysis/{study.id}/exchange/import",
        data={"csrf_token": _token(page), "file": (io.BytesIO(b"not a zip"), "bad.qdpx")},
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in text and "a .qdpx file is a zip and this is not" in text
    missing = client.post(f"/analysis/{study.id}/exchange/import", data={"csrf_token": _token(page)})
    assert "Select a REFI-QDA project file (.qdpx)" in missing.get_data(as_text=True)
    forged = client.post(
        f"/analysis/{study.id}/exchange/import/confirm",
        data={"csrf_token": _token(page), "token": "forged"},
        follow_redirects=True,
    )
    assert "That import has expired" in forged.get_data(as_text=True)
    assert _events("analysis.qdpx_imported") == 0


def test_members_facilitators_and_organisers_never_see_the_exchange(client, coded_study, make_user):  # noqa: F811
    study, _ana, _bea = coded_study
    for role in ("member", "facilitator", "organiser"):
        client.post("/sign-out")
        sign_in(client, make_user(role).email)
        assert client.get(f"/analysis/{study.id}/exchange/project.qdpx").status_code == 403


def test_the_command_line_imports_a_project(runner, coded_study, make_user, tmp_path):  # noqa: F811
    study, _ana, _bea = coded_study
    lead = make_user("lead_analyst", email="lead@example.org")
    from app.analysis.qdpx import write_qdpx

    path = tmp_path / "study.qdpx"
    write_qdpx(study, path)
    before = _accepted(study)
    db.session.execute(delete(Code).where(Code.study_id == study.id, Code.status == "accepted"))
    db.session.commit()
    dry = runner.invoke(args=["analysis", "import-qdpx", "--input", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "Would add 3 code(s)" in dry.output
    result = runner.invoke(args=["analysis", "import-qdpx", "--input", str(path), "--by", lead.email])
    assert result.exit_code == 0, result.output
    assert "Added 3 code(s)" in result.output
    assert _accepted(study) == before
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"nonsense")
    refused = runner.invoke(args=["analysis", "import-qdpx", "--input", str(bad), "--study", "no-such-study"])
    assert refused.exit_code != 0 and "No study is called 'no-such-study'" in refused.output
    refused = runner.invoke(args=["analysis", "import-qdpx", "--input", str(bad)])
    assert refused.exit_code != 0 and "cannot be imported" in refused.output


def test_a_large_study_is_prepared_in_the_background_with_progress(client, coded_study, make_user, monkeypatch):  # noqa: F811
    from app.analysis import exchange_routes
    from app.jobs.models import Job

    study, _ana, _bea = coded_study
    monkeypatch.setattr(exchange_routes, "LARGE_STUDY", 2)  # the fixture's five passages count as large
    sign_in(client, make_user("analyst").email)
    redirected = client.get(f"/analysis/{study.id}/exchange/project.qdpx", follow_redirects=True)
    page = redirected.get_data(as_text=True)
    assert "Prepare the project file" in page and "This study is large" in page
    started = client.post(f"/analysis/{study.id}/exchange/prepare", data={"csrf_token": _token(page)})
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    assert started.headers["Location"].endswith(f"/jobs/{job.id}")
    assert (job.status, job.done, job.total, job.result["codings"]) == ("done", 5, 5, 3)
    download = client.get(f"/jobs/{job.id}/download")
    assert "project.qde" in zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    download.close()
    assert _events("analysis.qdpx_exported") == 1


def test_an_empty_study_says_its_project_holds_only_the_codebook(client, make_study, make_user):
    study = make_study()
    sign_in(client, make_user("analyst").email)
    page = re.sub(r"\s+", " ", client.get(f"/analysis/{study.id}/exchange").get_data(as_text=True))
    assert "This study has no passages yet, so the project would hold only the codebook and the coders" in page


def test_an_import_that_fails_as_it_writes_keeps_the_upload_and_one_already_taken_writes_nothing(
    client,
    coded_study,  # noqa: F811
    make_user,
):
    """The upload is taken in the transaction that writes the codes: if writing fails, nothing is written and
    the upload is still there to confirm again; if another confirmation took it first, nothing is written."""
    study, _ana, _bea = coded_study
    lead = make_user("lead_analyst")
    sign_in(client, lead.email)
    before = _accepted(study)
    data = _uncoded_project(client, study)
    key = keep_upload(data, lead, study)

    def taken_then_the_write_fails() -> bool:
        assert take_upload(key, lead, study)
        raise OSError("the database went away")

    with pytest.raises(OSError):
        read_qdpx(study, data, lead, claim=taken_then_the_write_fails)
    db.session.rollback()
    assert _accepted(study) != before  # nothing was written...
    assert kept_upload(key, lead, study) == data  # ...and the upload is kept

    report = read_qdpx(study, data, lead, claim=lambda: take_upload(key, lead, study))
    assert report.written and _accepted(study) == before and kept_upload(key, lead, study) is None
    with pytest.raises(QdpxAlreadyImported):
        read_qdpx(study, data, lead, claim=lambda: take_upload(key, lead, study))
