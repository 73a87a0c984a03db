"""How far an alert's acknowledgement has come, for the people who must give it.

A console keeps the Acknowledge action until the partner's rule is met: under `floor` one
acknowledgement covers the watch floor, under `each_role` every role the escalation
policy names must acknowledge (a watch officer's click leaves the commander's button,
since the server goes on calling the commander). Read from the same facts the escalator
folds (the agreement, the acknowledgements, the duty role behind each), so the console
and the phones agree; the escalator itself, when it has the alert, adds the step reached
and an acknowledgement lapsed by a material change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from warnline.agreement.model import AckMode, Partner
from warnline.dispatch.escalation import Escalation, policy_for
from warnline.domain import Acknowledgement, Alert


@dataclass(frozen=True, kw_only=True)
class AckProgress:
    rule: AckMode
    roles: tuple[str, ...]  # the roles that must acknowledge (under `floor`: any of them)
    acked_roles: tuple[str, ...]
    acked_by: tuple[str, ...]  # users whose acknowledgement still counts
    met: bool
    step: int = 0  # escalation steps fired so far in this round (0: none yet)
    steps: int = 0
    round: int = 0  # the round those steps belong to (0: the first)
    stopped: str = ""  # "acknowledged", "cancelled", or "" while escalating
    next_roles: tuple[str, ...] = ()  # who the next step calls, if it is still to come
    next_channels: tuple[str, ...] = ()

    @property
    def waiting_for(self) -> tuple[str, ...]:
        if self.met:
            return ()
        if self.rule is AckMode.FLOOR:
            return self.roles
        return tuple(r for r in self.roles if r not in self.acked_roles)

    def view(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "roles": list(self.roles),
            "acked_roles": list(self.acked_roles),
            "acked_by": list(self.acked_by),
            "waiting_for": list(self.waiting_for),
            "met": self.met,
            "escalation": {
                "step": self.step,
                "steps": self.steps,
                "round": self.round,
                "stopped": self.stopped,
                "next_roles": list(self.next_roles),
                "next_channels": list(self.next_channels),
            },
        }


def ack_progress(
    alert: Alert,
    acks: Iterable[Acknowledgement],
    *,
    partner: Partner,
    role_of: Callable[[str], str | None],
    escalation: Escalation | None = None,
) -> AckProgress:
    """The acknowledgement rule of `alert`'s partner against the acknowledgements so far.

    Acknowledgements of a version before the escalation last restarted (a material change)
    no longer count, as in the escalator."""
    policy = escalation.policy if escalation is not None else None
    if policy is None:
        policy = policy_for(partner.escalation, alert.severity)
    roles = tuple(sorted({r for s in policy.steps for r in s.roles})) if policy else ("watch",)
    since = escalation.restart_version if escalation is not None else 0
    counted = [a for a in acks if a.partner == alert.partner and a.version >= since]
    acked_roles = sorted({r for a in counted if (r := role_of(a.user)) is not None})
    if partner.ack_mode is AckMode.EACH_ROLE:
        met = bool(counted) and set(roles) <= set(acked_roles)
    else:
        met = bool(counted)
    progress = AckProgress(
        rule=partner.ack_mode,
        roles=roles,
        acked_roles=tuple(acked_roles),
        acked_by=tuple(sorted({a.user for a in counted})),
        met=met,
        steps=0 if policy is None else len(policy.steps),
    )
    if escalation is None:
        return progress
    steps = escalation.policy.steps
    # The escalator holds the step to fire next; a finished round shows as its last step.
    fired, rnd = escalation.step, escalation.round
    if fired == 0 and rnd > 0:
        fired, rnd = len(steps), rnd - 1
    # The next step that still calls someone (under each_role, a role that has
    # acknowledged is not called again, so a step of only such roles calls nobody).
    waiting = set(progress.waiting_for)
    ahead = next(
        (st for st in steps[escalation.step :] if waiting & set(st.roles)),
        None,
    )
    if escalation.stopped or met:
        ahead = None
    return replace(
        progress,
        step=fired,
        round=rnd,
        stopped=escalation.stopped,
        next_roles=() if ahead is None else tuple(r for r in ahead.roles if r in waiting),
        next_channels=() if ahead is None else ahead.channels,
    )


__all__ = ["AckProgress", "ack_progress"]
