"""The cell role belongs to the coordination cell's accounts only: refused when a node
is configured or assembled with such an account elsewhere, and not honoured at use."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.factories import T0
from warnline.accounts.users import MAY, Accounts, Action, Role, User, check_cell_accounts
from warnline.agreement.model import Agreement
from warnline.alerting.manual import ManualRules
from warnline.cli import main
from warnline.domain import ManualClock
from warnline.errors import AuthError, ConfigError, ForbiddenError
from warnline.journal import MemoryJournal
from warnline.node import Node

HASH = Accounts.hash_password("pw")
JOR_CELL = User(username="jor-cell", partner="JOR", role=Role.CELL, password_hash=HASH)
USA_CELL = User(username="usa-cell", partner="USA", role=Role.CELL, password_hash=HASH)


def test_cell_role_refused_for_another_partner(agreement: Agreement) -> None:
    check_cell_accounts([USA_CELL], agreement.coordination_cell)
    with pytest.raises(ConfigError, match="jor-cell: role 'cell' is for the coordination cell"):
        check_cell_accounts([USA_CELL, JOR_CELL], agreement.coordination_cell)
    with pytest.raises(ConfigError, match="jor-cell"):
        Node(agreement=agreement, journal=MemoryJournal(), clock=ManualClock(T0),
             accounts=Accounts([JOR_CELL]))  # fmt: skip


def test_serve_refuses_a_config_with_such_an_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "node.toml"
    config.write_text(
        '[node]\ndata = "var"\n\n[[users]]\nusername = "jor-cell"\npartner = "JOR"\n'
        f'role = "cell"\npassword_hash = "{HASH}"\n'
    )
    assert main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "jor-cell" in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "var").exists()  # refused before the journal was opened


async def test_cell_role_not_honoured_at_use(agreement: Agreement) -> None:
    node = Node(agreement=agreement, journal=MemoryJournal(), clock=ManualClock(T0),
                accounts=Accounts([USA_CELL]))  # fmt: skip
    node.commands.accounts = Accounts([USA_CELL, JOR_CELL])  # slipped past the start-up check
    assert node.commands.is_cell("usa-cell") and not node.commands.is_cell("jor-cell")
    with pytest.raises(ForbiddenError, match="only the coordination cell"):
        await node.commands.override_lead("jor-cell", "I00001", "JOR", "take over")


def test_what_each_role_may_change() -> None:
    """The table docs/api.md draws per endpoint, from the side of the actions."""
    assert {a: set(r) for a, r in MAY.items()} == {
        Action.ACKNOWLEDGE: {Role.WATCH, Role.COMMANDER},
        Action.RECEIPT: set(Role),
        Action.ANSWER_OFFER: {Role.COMMANDER},
        Action.OVERRIDE_LEAD: {Role.CELL},
        Action.DECLARE_READINESS: {Role.COMMANDER, Role.CELL},
        Action.TAKE_OVER: {Role.WATCH, Role.COMMANDER, Role.CELL},
        Action.MANUAL_REPORT: {Role.WATCH, Role.COMMANDER, Role.CELL},
        Action.DRAFT_ALERT: {Role.WATCH, Role.COMMANDER, Role.CELL},
        Action.APPROVE_ALERT: {Role.COMMANDER, Role.CELL},
    }


def test_the_manual_alert_fold_grants_what_the_role_table_does() -> None:
    """The fold re-checks a journaled draft or approval on replay with `ManualRules`;
    the API gates with `MAY`: the two must name the same roles."""
    rules = ManualRules()
    assert rules.draft_roles == {r.value for r in MAY[Action.DRAFT_ALERT]}
    assert rules.approve_roles == {r.value for r in MAY[Action.APPROVE_ALERT]}


async def test_sign_in_leaves_the_event_loop_free() -> None:
    """The argon2 verification runs beside the loop: other work goes on meanwhile (a
    burst of sign-in attempts must not stall the node's decisions)."""
    accounts = Accounts([USA_CELL])
    turns = 0
    done = asyncio.Event()

    async def spin() -> None:
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(0)

    spinner = asyncio.create_task(spin())
    session = await accounts.sign_in("usa-cell", "pw", T0, "127.0.0.1")
    done.set()
    await spinner
    assert session.user.username == "usa-cell"
    assert turns > 50  # a verification blocking the loop would leave it one or two
    with pytest.raises(AuthError):
        await accounts.sign_in("usa-cell", "wrong", T0, "127.0.0.1")
