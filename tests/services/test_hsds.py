"""The service directory in Open Referral HSDS 3.0 (issue 19, part 3): exported and validated
against the published schemas, imported (with a dry run that changes nothing) into the same
directory, never with a shelter's address, and only by the directory's managers."""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.models import Agency, AuditEvent, Service
from referral.models.vocab import ServiceCategory
from referral.services import hsds
from referral.services.directory import find_services, open_now
from tests.factories import as_user, csrf_token, login

WEDNESDAY_1030_CASABLANCA = datetime(2027, 6, 16, 9, 30, tzinfo=UTC)


@pytest.fixture
def directory(world):
    world.assoc_a.address = "3 rue des Orangers, Casablanca"
    world.assoc_b.address = "Secret shelter street 9"  # ASSOC-B offers shelter
    world.assoc_a.email = "contact@assoc-a.example.org"
    world.service(world.assoc_b, ServiceCategory.LEGAL).languages = ["ar", "zgh"]
    world.police.step_free_access = True
    db.session.commit()
    return world


def _import(world, document, *, dry_run=False):
    with as_user(world.coordinator):
        report = hsds.import_directory(world.coordinator, document, dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    return report


def test_the_export_follows_hsds_3_and_never_carries_a_shelter_s_address(directory):
    staff = hsds.export_directory(staff=True)
    assert hsds.validate(staff) == []
    assert staff["total_items"] == len(find_services())
    text = json.dumps(staff, ensure_ascii=False)
    assert "3 rue des Orangers" in text and "Secret shelter street" not in text
    public = json.dumps(hsds.export_directory(staff=False), ensure_ascii=False)
    assert "3 rue des Orangers" not in public and "contact@assoc-a" not in public
    legal = next(s for s in staff["contents"] if s["organization"]["name"] == directory.assoc_b.name_fr
                 and s["attributes"][0]["value"] == "legal")
    assert [lang["code"] for lang in legal["languages"]] == ["ar", "zgh"]
    police = next(s for s in staff["contents"] if s["organization"]["name"] == directory.police.name_fr)
    assert police["service_at_locations"][0]["location"]["accessibility"][0]["details"] == "step_free_access"
    assert hsds.export_directory(staff=True) == staff  # the same directory, the same ids


def test_a_round_trip_gives_the_same_directory_and_a_dry_run_changes_nothing(directory):
    original = hsds.export_directory(staff=True)
    directory.police.opening_hours = {"0": [["10:00", "12:00"]]}
    directory.police.phone = "+212 500 000 000"
    directory.service(directory.assoc_b, ServiceCategory.LEGAL).languages = ["fr"]
    directory.service(directory.assoc_a, ServiceCategory.PSYCHOSOCIAL).name_en = "Renamed"
    db.session.commit()
    changed = hsds.export_directory(staff=True)

    report = _import(directory, copy.deepcopy(original), dry_run=True)
    assert report.changes == 3 and not report.created
    assert set(report.updated["agency POLICE"]) == {"opening_hours", "phone"}
    assert report.updated["service ASSOC-B/legal"] == ["languages"]
    assert report.updated["service ASSOC-A/psychosocial"] == ["name_en"]
    db.session.expire_all()
    assert hsds.export_directory(staff=True) == changed  # the dry run changed nothing

    _import(directory, copy.deepcopy(original))
    db.session.expire_all()
    assert hsds.export_directory(staff=True) == original
    events = db.session.execute(select(AuditEvent.action).where(AuditEvent.action.like("directory.%"))).scalars()
    assert {"directory.agency_update", "directory.service_update"} <= set(events)


def test_an_agency_new_to_this_install_is_created_with_its_calendar(directory):
    document = hsds.export_directory(staff=True)
    police = next(s for s in document["contents"] if s["organization"]["name"] == directory.police.name_fr)
    police = copy.deepcopy(police)
    police["organization"]["organization_identifiers"][0]["identifier"] = "POLICE-2"
    police["organization"]["id"] = police["id"] = "0b8a2f9e-6a43-4c61-8f0e-2d5b8f1c9a77"
    report = _import(directory, {"contents": [police]})
    assert report.created == ["agency POLICE-2", "service POLICE-2/police_protection"]
    twin = db.session.execute(select(Agency).where(Agency.code == "POLICE-2")).scalar_one()
    assert twin.opening_hours == directory.police.opening_hours and twin.step_free_access
    services = find_services()
    opened = open_now(services, WEDNESDAY_1030_CASABLANCA)
    assert (twin.id in opened) == (directory.police.id in opened)


@pytest.mark.parametrize(("breakage", "where"), [
    (lambda s: s.update(id="not-a-uuid"), "contents/0/id"),
    (lambda s: s.pop("name"), "contents/0"),
    (lambda s: s["service_areas"][0].update(name="ZZ-99", attributes=[]), "contents/0/service_areas"),
    (lambda s: s["attributes"].clear(), "contents/0"),
    (lambda s: s["organization"].update(organization_identifiers=[]), "contents/0/organization"),
])
def test_an_invalid_document_is_refused_whole_with_its_errors(directory, breakage, where):
    document = hsds.export_directory(staff=True)
    first = document["contents"][0]
    breakage(first)
    first["name" if "name" in first else "status"] = first.get("name", "active")
    before = hsds.export_directory(staff=True)
    with as_user(directory.coordinator), pytest.raises(hsds.HsdsInvalid) as refused:
        hsds.import_directory(directory.coordinator, document, dry_run=False)
    db.session.rollback()
    assert any(error.startswith(where) for error in refused.value.errors), refused.value.errors
    assert hsds.export_directory(staff=True) == before


def test_managers_check_then_import_through_the_page(client, directory):
    login(client, directory.coordinator)
    download = client.get("/directory/hsds/export.json")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    document = download.get_json()
    document["contents"][0]["description"] = "Changed in the file"
    body = json.dumps(document).encode()

    def post(apply):
        return client.post("/directory/hsds/import", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, "/directory/hsds"), "apply": apply,
            "document": (io.BytesIO(body), "directory.json")})

    checked = post("0")
    assert checked.status_code == 200
    assert ": description" in checked.get_data(as_text=True)  # the field that would change, named
    assert db.session.execute(select(Service).where(Service.description == "Changed in the file")).first() is None
    assert post("1").status_code == 200
    assert db.session.execute(select(Service).where(Service.description == "Changed in the file")).first()

    bad = client.post("/directory/hsds/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/directory/hsds"), "apply": "1",
        "document": (io.BytesIO(b'{"contents": [{"id": "x"}]}'), "bad.json")})
    assert bad.status_code == 422 and "contents/0" in bad.get_data(as_text=True)


@pytest.mark.parametrize("who", ["cw_a", "officer_police", "auditor"])
def test_only_the_directory_s_managers_export_or_import(client, directory, who):
    login(client, getattr(directory, who))
    assert client.get("/directory/hsds/export.json").status_code == 403
    token = csrf_token(client, "/")
    assert client.post("/directory/hsds/import", data={"csrf_token": token, "apply": "1"}).status_code == 403


def test_anyone_reads_the_public_directory_in_hsds_without_an_address(client, directory):
    response = client.get("/api/v1/hsds/services")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    text = response.get_data(as_text=True)
    assert "3 rue des Orangers" not in text and "Secret shelter" not in text and "@" not in text
    assert hsds.validate(response.get_json()) == []
    assert "/api/v1/hsds/services" in client.get("/api/openapi.json").get_data(as_text=True)


def test_the_command_line_exports_and_imports(app, directory, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "directory.json"
    result = runner.invoke(args=["directory", "export-hsds", "--output", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    document["contents"][0]["description"] = "From the command line"
    out.write_text(json.dumps(document))
    dry = runner.invoke(args=["directory", "import-hsds", str(out), "--as", directory.coordinator.username,
                              "--dry-run"])
    assert dry.exit_code == 0 and "would change 1" in dry.output, dry.output
    assert db.session.execute(select(Service).where(Service.description == "From the command line")).first() is None
    refused = runner.invoke(args=["directory", "import-hsds", str(out), "--as", directory.cw_a.username])
    assert refused.exit_code != 0 and "may not manage" in refused.output
    done = runner.invoke(args=["directory", "import-hsds", str(out), "--as", directory.coordinator.username])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    assert db.session.execute(select(Service).where(Service.description == "From the command line")).first()


def test_an_empty_install_imports_the_same_directory(directory, tmp_path):
    """Export here, import into a new install with no agency and no region, export there: the same."""
    from flask_migrate import upgrade

    from referral import create_app
    from referral.models.vocab import Role
    from referral.services import admin

    exported = hsds.export_directory(staff=True)
    other = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}",
                                "SERVER_NAME": "other.test", "AUDIT_CHECKPOINT_DIR": str(tmp_path)})
    with other.app_context():
        upgrade()
        network = admin.network_agency()
        coordinator, _password = admin.new_user(username="coord.new", display_name="Coordination",
                                                agency=network, roles={Role.COORDINATOR})
        db.session.commit()
        with as_user(coordinator):
            report = hsds.import_directory(coordinator, copy.deepcopy(exported), dry_run=False)
            db.session.commit()
        assert {label.split()[0] for label in report.created} == {"region", "agency", "service"}
        again = hsds.export_directory(staff=True)
        db.session.remove()
        db.engine.dispose()
    assert again == exported
