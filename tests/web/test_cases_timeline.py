"""The file's history is read when she opens it: the file page links it (a <details> a script
fills, a page of its own without one); whoever reads the file reads it, as she sees it there, and
every reading is in the access log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.extensions import db
from referral.models import AuditEvent
from tests.factories import login
from tests.web import test_cases_forms_on_demand
from tests.web.test_observatory_pages import english

#: The fixture of the forms' tests: a file referred to the police.
referred = test_cases_forms_on_demand.referred


def test_the_file_page_links_its_history_instead_of_reading_it(client, world, referred):
    english(client, world.cw_a)
    page = client.get(f"/cases/{referred.id}").get_data(as_text=True)
    assert f'data-form="/cases/{referred.id}/timeline"' in page and f'href="/cases/{referred.id}/timeline"' in page
    assert "File opened" not in page  # the first event of the history is not drawn


@pytest.mark.parametrize("who", ["cw_a", "officer_police"])
def test_the_history_opens_as_a_fragment_and_on_its_own_page_and_is_logged(client, world, referred, who):
    english(client, getattr(world, who))
    fragment = client.get(f"/cases/{referred.id}/timeline", query_string={"fragment": "1"})
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'class="timeline"' in html and "REF-" in html
    page = client.get(f"/cases/{referred.id}/timeline").get_data(as_text=True)
    assert "<html" in page and referred.case_number in page and f'href="/cases/{referred.id}"' in page
    reads = db.session.execute(select(AuditEvent).where(AuditEvent.action == "case.read",
                                                        AuditEvent.purpose == "history")).scalars().all()
    assert len(reads) == 2 and {e.actor_username for e in reads} == {getattr(world, who).username}
    assert all(e.case_id == referred.id for e in reads)


@pytest.mark.parametrize("who", ["cw_b", "officer_hospital", "auditor"])
def test_nobody_else_reads_it(client, world, referred, who):
    login(client, getattr(world, who))
    assert client.get(f"/cases/{referred.id}/timeline").status_code in (403, 404)
    assert client.get(f"/cases/{referred.id}/timeline?fragment=1").status_code in (403, 404)
    assert db.session.execute(select(AuditEvent).where(AuditEvent.purpose == "history")).first() is None


def test_the_printed_summary_keeps_the_history(client, world, referred):
    english(client, world.cw_a)
    assert "File opened" in client.get(f"/cases/{referred.id}/summary").get_data(as_text=True)
