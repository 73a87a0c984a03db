"""How far an alert's acknowledgement has come, as the console shows it: the partner's
rule (floor or each_role), the roles still to acknowledge, the step reached, and the
same answer as the escalator gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.dispatch.test_dispatcher import alert, issued
from tests.dispatch.test_escalation import ack, agreement, feed, make, role_of, tick
from tests.factories import T0
from warnline.agreement.model import AckMode
from warnline.dispatch.progress import ack_progress
from warnline.domain import Acknowledgement


def acks(*users: str, version: int = 1) -> list[Acknowledgement]:
    return [
        Acknowledgement(
            alert_id="A-JOR-amman", version=version, partner="JOR", user=u, channel="console", at=T0
        )
        for u in users
    ]


def test_floor_one_acknowledgement_meets_the_rule() -> None:
    jor = agreement().partners["JOR"]
    before = ack_progress(alert(), [], partner=jor, role_of=role_of)
    assert (before.rule, before.met, before.roles) == (AckMode.FLOOR, False, ("commander", "watch"))
    assert before.waiting_for == ("commander", "watch")
    after = ack_progress(alert(), acks("jor-watch"), partner=jor, role_of=role_of)
    assert after.met and after.waiting_for == () and after.acked_by == ("jor-watch",)


def test_each_role_needs_every_role_the_policy_names() -> None:
    jor = replace(agreement().partners["JOR"], ack_mode=AckMode.EACH_ROLE)
    watch = ack_progress(alert(), acks("jor-watch"), partner=jor, role_of=role_of)
    assert not watch.met and watch.waiting_for == ("commander",)
    assert watch.view()["acked_roles"] == ["watch"]
    both = ack_progress(alert(), acks("jor-watch", "JOR/commander/x"), partner=jor, role_of=role_of)
    assert both.met and both.waiting_for == ()


def test_another_partners_acknowledgement_does_not_count() -> None:
    jor = agreement().partners["JOR"]
    other = [replace(a, partner="ISR") for a in acks("isr-watch")]
    assert not ack_progress(alert(), other, partner=jor, role_of=role_of).met


def test_step_reached_and_next_step_follow_the_escalator() -> None:
    ag = agreement()
    ag = replace(
        ag, partners={**ag.partners, "JOR": replace(ag.partners["JOR"], ack_mode=AckMode.EACH_ROLE)}
    )
    e, j = make(ag)
    feed(e, j, [issued(alert())])
    feed(e, j, e.due(T0))  # step 1 of 3 fires at once
    p = ack_progress(
        alert(),
        [],
        partner=ag.partners["JOR"],
        role_of=role_of,
        escalation=e.escalations["A-JOR-amman"],
    )
    assert (p.step, p.steps, p.round) == (1, 3, 0)
    assert (p.next_roles, p.next_channels) == (("watch",), ("voice",))
    # The watch acknowledges: the next step that still calls someone is the commander's.
    feed(e, j, [ack("jor-watch")])
    p = ack_progress(
        alert(),
        acks("jor-watch"),
        partner=ag.partners["JOR"],
        role_of=role_of,
        escalation=e.escalations["A-JOR-amman"],
    )
    assert not p.met and p.waiting_for == ("commander",)
    assert (p.next_roles, p.next_channels) == (("commander",), ("voice", "email"))
    feed(e, j, [tick(T0 + timedelta(seconds=95))])
    feed(e, j, e.due(T0 + timedelta(seconds=95)))
    p = ack_progress(
        alert(),
        acks("jor-watch"),
        partner=ag.partners["JOR"],
        role_of=role_of,
        escalation=e.escalations["A-JOR-amman"],
    )
    assert (p.step, p.round) == (3, 0)  # every step of the first round has fired
    feed(e, j, [ack("JOR/commander/jor-duty-air-commander")])
    done = ack_progress(
        alert(),
        acks("jor-watch", "JOR/commander/jor-duty-air-commander"),
        partner=ag.partners["JOR"],
        role_of=role_of,
        escalation=e.escalations["A-JOR-amman"],
    )
    assert done.met and done.stopped == "acknowledged" and done.next_roles == ()
    assert done.met == e.escalations["A-JOR-amman"].acknowledged()
