"""Follow-ups and appointments on a file (issue 20, part 2): planned by her association in its own
time zone, assigned to one of its caseworkers, listed on the home page for the day, reminded once
without any survivor data, the note encrypted; nobody else sees or touches them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, CaseTask, Notification, OutboxEmail
from referral.models.vocab import Role, ServiceCategory
from referral.services import tasks
from tests.factories import IDENTITY, consent_and_refer, csrf_token, login, make_case, make_user

NOTE = "Go with her to the court hearing; her sister will keep the children"
#: Where the tests of her zone run: Wednesday 17 June 2026, 10:30 in Casablanca (09:30 UTC), before
#: Morocco stayed on UTC+0 (tz 2026f, from 20 September 2026), so that local time is not UTC; every
#: tz database agrees on it.
ZONED_NOW = datetime(2026, 6, 17, 9, 30, tzinfo=UTC)


def _plan(client, case, **overrides):
    path = f"/cases/{case.id}"
    data = {"csrf_token": csrf_token(client, path), "kind": "accompany", "due_at": "16/06/2027 15:00",
            "assignee_id": "", "note": NOTE} | overrides
    return client.post(f"/cases/{case.id}/tasks", data=data)


def test_a_caseworker_plans_a_follow_up_in_her_zone_and_sees_it_today(client, world, clock):
    clock.move_to(ZONED_NOW)
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    response = _plan(client, case, assignee_id=str(world.cw_a.id), due_at="17/06/2026 15:00")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    task = db.session.execute(select(CaseTask)).scalar_one()
    assert task.due_at == datetime(2026, 6, 17, 14, 0, tzinfo=UTC)  # 15:00 in Casablanca (UTC+1)
    assert NOTE.encode() not in task.note_ct  # encrypted under the file's key
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert NOTE in page and "17/06/2026 15:00" in page
    home = client.get("/").get_data(as_text=True)
    assert case.case_number in home.split('id="p-tasks"', 1)[1].split("</section>", 1)[0]
    assert NOTE not in home and IDENTITY["full_name"] not in home.split('id="p-tasks"', 1)[1][:2000]


def test_today_is_the_day_in_the_agencys_zone(world, clock):
    clock.move_to(ZONED_NOW)
    case = make_case(world.cw_a)
    # 00:30 on Thursday in Casablanca is still Wednesday 23:30 in UTC.
    tasks.add_task(world.cw_a, case, kind="call_back", due_local=datetime(2026, 6, 18, 0, 30),
                   assignee_id=world.cw_a.id, note=None)
    db.session.commit()
    clock.move_to(datetime(2026, 6, 17, 22, 0, tzinfo=UTC))  # Wednesday 23:00 in Casablanca
    assert tasks.my_tasks_today(world.cw_a) == []  # due tomorrow there, though today in UTC
    clock.move_to(datetime(2026, 6, 17, 23, 10, tzinfo=UTC))  # Thursday 00:10 in Casablanca
    assert len(tasks.my_tasks_today(world.cw_a)) == 1


def test_the_reminder_goes_once_and_says_nothing_of_her(world, clock):
    clock.move_to(ZONED_NOW)
    case = make_case(world.cw_a)
    tasks.add_task(world.cw_a, case, kind="accompany", due_local=datetime(2026, 6, 17, 11, 0),
                   assignee_id=world.cw_a.id, note=NOTE)  # 10:00 UTC, within the hour
    tasks.add_task(world.cw_a, case, kind="call_back", due_local=datetime(2026, 6, 17, 18, 0),
                   assignee_id=world.cw_a.id, note=None)  # later today: not yet
    db.session.commit()
    assert tasks.send_reminders() == 1
    assert tasks.send_reminders() == 0  # a second run (or a second scheduler) sends nothing twice
    db.session.commit()
    told = db.session.execute(select(Notification).where(Notification.kind == "task.due")).scalars().all()
    assert len(told) == 1 and told[0].user_id == world.cw_a.id and told[0].params["at"] == "11:00"
    emails = db.session.execute(select(OutboxEmail)).scalars().all()
    for text in [str(n.params) for n in told] + [e.subject + e.body for e in emails]:
        assert NOTE not in text and IDENTITY["full_name"] not in text


def test_a_refused_plan_keeps_what_was_typed_and_writes_nothing(client, world):
    case = make_case(world.cw_a)
    other_association = make_user("cw.b9", world.assoc_b, Role.CASEWORKER)
    db.session.commit()
    login(client, world.cw_a)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    refused = _plan(client, case, assignee_id=str(other_association.id))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert NOTE in html and 'id="error-summary"' in html
    month_first = _plan(client, case, assignee_id=str(world.cw_a.id), due_at="06/31/2027 15:00")
    assert month_first.status_code == 422 and 'id="due_at-err"' in month_first.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CaseTask)) == 0
    new = db.session.execute(select(AuditEvent.action).where(AuditEvent.id > events)).scalars().all()
    assert "task.create" not in new


def test_done_is_recorded_with_who_and_when(client, world):
    case = make_case(world.cw_a)
    task = tasks.add_task(world.cw_a, case, kind="appointment", due_local=datetime(2027, 6, 16, 15, 0),
                          assignee_id=world.cw_a.id, note=None)
    db.session.commit()
    login(client, world.cw_a)
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.post(f"/cases/{case.id}/tasks/{task.id}/done", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    done = db.session.get(CaseTask, task.id)
    assert done.status == "done" and done.closed_by_id == world.cw_a.id
    again = client.post(f"/cases/{case.id}/tasks/{task.id}/cancelled", data={"csrf_token": token})
    assert again.status_code == 302 and db.session.get(CaseTask, task.id).status == "done"


@pytest.mark.parametrize("who", ["cw_b", "officer_police", "coordinator", "auditor", "admin"])
def test_no_one_outside_her_association_sees_or_plans(client, world, who):
    case = make_case(world.cw_a)
    consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    task = tasks.add_task(world.cw_a, case, kind="call_back", due_local=datetime(2027, 6, 16, 15, 0),
                          assignee_id=world.cw_a.id, note=NOTE)
    db.session.commit()
    login(client, getattr(world, who))
    page = client.get(f"/cases/{case.id}")
    assert NOTE not in page.get_data(as_text=True)  # the police see the file, never its follow-ups
    token = csrf_token(client, "/")
    planned = client.post(f"/cases/{case.id}/tasks", data={"csrf_token": token, "kind": "other",
                                                         "due_at": "16/06/2027 15:00", "assignee_id": ""})
    closed = client.post(f"/cases/{case.id}/tasks/{task.id}/done", data={"csrf_token": token})
    assert planned.status_code in (403, 404) and closed.status_code in (403, 404)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CaseTask)) == 1
    assert db.session.get(CaseTask, task.id).status == "open"
