"""The file page draws its secondary forms only when she opens them: each is one click away on a
page of its own (JavaScript off) or as a fragment put in place; a refused form comes back drawn,
with what she typed; nobody else reaches them."""

from __future__ import annotations

import pytest

from referral.models.vocab import ServiceCategory
from tests.factories import consent_and_refer, csrf_token, login, make_case
from tests.web.test_observatory_pages import english


@pytest.fixture
def referred(world):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    return case


def test_the_file_page_links_its_secondary_forms_instead_of_drawing_them(client, world, referred):
    english(client, world.cw_a)
    page = client.get(f"/cases/{referred.id}").get_data(as_text=True)
    for name in ("consent", "goal", "task", "erasure", "close"):
        assert f'data-form="/cases/{referred.id}/forms/{name}"' in page
        assert f'href="/cases/{referred.id}/forms/{name}"' in page
    assert 'name="assignee_id"' not in page and 'name="goal"' not in page and 'name="agency_id"' not in page
    assert 'name="services_received"' not in page


def test_each_form_opens_on_its_own_page_and_as_a_fragment(client, world, referred):
    english(client, world.cw_a)
    for name, action, field in (("consent", "/consents", 'name="agency_id"'), ("goal", "/goals", 'name="goal"'),
                                ("task", "/tasks", 'name="assignee_id"'), ("erasure", "/erasure", 'name="confirm"'),
                                ("close", "/close", 'name="services_received"')):
        page = client.get(f"/cases/{referred.id}/forms/{name}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert f'action="/cases/{referred.id}{action}"' in html and field in html and "<html" in html
        assert referred.case_number in html  # she sees which file it is for
        fragment = client.get(f"/cases/{referred.id}/forms/{name}", query_string={"fragment": "1"})
        assert fragment.status_code == 200
        assert "<html" not in fragment.get_data(as_text=True) and field in fragment.get_data(as_text=True)


def test_a_refused_form_comes_back_drawn_with_what_she_typed(client, world, referred):
    english(client, world.cw_a)
    answer = client.post(f"/cases/{referred.id}/tasks", data={
        "kind": "call_back", "due_at": "not a date", "assignee_id": str(world.cw_a.id), "note": "Call after 6 pm",
        "csrf_token": csrf_token(client, f"/cases/{referred.id}")})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'name="assignee_id"' in html and "Call after 6 pm" in html


@pytest.mark.parametrize("who", ["cw_b", "officer_police"])
def test_nobody_else_reaches_them(client, world, referred, who):
    login(client, getattr(world, who))
    for name in ("consent", "goal", "task", "erasure", "close"):
        assert client.get(f"/cases/{referred.id}/forms/{name}").status_code in (403, 404)
    assert client.get(f"/cases/{referred.id}/forms/other").status_code == 404


def test_a_button_s_form_is_built_only_when_the_page_draws_it(app):
    from referral.web.forms import FormOnFirstUse
    from referral.web.forms.cases import ReopenForm

    built = []

    def build():
        built.append(1)
        return ReopenForm(formdata=None)

    with app.test_request_context():
        form = FormOnFirstUse(build)
        assert form.errors == {} and not built  # the error summary asks every form, and builds none
        assert 'name="csrf_token"' in form.hidden_tag() and 'name="comment"' in form.comment()
        assert len(built) == 1
        assert [f.name for f in form] == [f.name for f in ReopenForm(formdata=None)] and "comment" in form
        assert form["comment"] is form.comment and len(built) == 1


def test_a_closed_file_draws_its_reopen_form_and_not_the_close_form(client, world, referred):
    from referral.extensions import db
    from referral.models.vocab import CaseStatus

    referred.status = CaseStatus.CLOSED
    db.session.commit()
    english(client, world.cw_a)
    html = client.get(f"/cases/{referred.id}").get_data(as_text=True)
    assert f'action="/cases/{referred.id}/reopen"' in html and 'name="comment"' in html
    assert f'action="/cases/{referred.id}/close"' not in html and 'name="reason"' not in html


def test_a_refused_closure_comes_back_drawn_open_with_what_she_chose(client, world, referred):
    english(client, world.cw_a)
    answer = client.post(f"/cases/{referred.id}/close", data={
        "reason": "", "services_received": ["legal"], "comment": "She moved to Tangier",
        "csrf_token": csrf_token(client, f"/cases/{referred.id}")})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'name="reason"' in html and "She moved to Tangier" in html and 'checked id="services_received' in html
    assert 'aria-labelledby="h-close"' in html and "<details open" in html


def test_the_closure_form_of_a_file_closed_meanwhile_leads_back_to_the_file(client, world, referred):
    from referral.extensions import db
    from referral.models.vocab import CaseStatus

    referred.status = CaseStatus.CLOSED
    db.session.commit()
    english(client, world.cw_a)
    answer = client.get(f"/cases/{referred.id}/forms/close")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/cases/{referred.id}")
