"""The one builder: a node assembled from its config, as `warnline serve` and the
exercise both build it (issue 11)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.factories import T0, free_port
from warnline.accounts import Accounts, Role, User
from warnline.agreement.load import default_agreement
from warnline.channels.email import EmailChannel
from warnline.channels.sms import SmsChannel
from warnline.channels.webhook import WebhookChannel
from warnline.domain import ManualClock
from warnline.errors import ConfigError
from warnline.node import NodeSettings
from warnline.picture.remote import PictureProcess
from warnline.serve.builder import build
from warnline.serve.config import load_config
from warnline.sim.served import write_node_config

USERS = [
    User(username="jor-watch", partner="JOR", role=Role.WATCH,
         password_hash=Accounts.hash_password("pw-jor")),
    User(username="usa-cell", partner="USA", role=Role.CELL,
         password_hash=Accounts.hash_password("pw-usa")),
]  # fmt: skip


def _config(tmp_path: Path, port: int) -> Path:
    agreement = default_agreement()
    webhook = {c: "http://127.0.0.1:9/w" for c, p in agreement.partners.items()
               if any("webhook" in k.addresses for k in p.contacts)}  # fmt: skip
    return write_node_config(
        tmp_path,
        host="127.0.0.1",
        port=port,
        agreement=None,
        tick_s=0.25,
        users=USERS,
        channels={
            "email": {"host": "127.0.0.1", "port": 2525},
            "sms": {"host": "127.0.0.1", "port": 2775, "password_file": "secrets/smpp"},
            "webhook": {"urls": webhook, "retries": 1},
        },
        secrets={"secrets/smpp": "s3cret-bind"},
    )


def test_a_written_config_builds_the_node_it_describes(tmp_path: Path) -> None:
    path = _config(tmp_path, free_port())
    built = build(load_config(path), path, clock=ManualClock(T0))
    try:
        node = built.node
        channels = node.outreach.channels
        assert isinstance(channels["email"], EmailChannel) and channels["email"].port == 2525
        assert isinstance(channels["sms"], SmsChannel)
        assert isinstance(channels["webhook"], WebhookChannel)
        assert sorted(u.username for u in node.accounts.users()) == ["jor-watch", "usa-cell"]
        assert node.settings.tick_s == 0.25  # from the config, unless the caller says
        assert not node.settings.picture_process  # in-process unless configured
        assert built.journal_path == tmp_path / "journal" / "journal.db"
        assert built.journal_path.exists() and node.followers.snapshots is not None
        routed = {c.addresses["webhook"] for c in built.agreement.partners["ISR"].contacts
                  if "webhook" in c.addresses}  # fmt: skip
        assert routed == {"http://127.0.0.1:9/w"}
        assert "s3cret-bind" not in path.read_text()
    finally:
        built.journal.close()


def test_the_exercise_passes_its_own_pace(tmp_path: Path) -> None:
    path = _config(tmp_path, free_port())
    built = build(load_config(path), path, clock=ManualClock(T0), settings=NodeSettings(speed=5))
    try:
        assert built.node.settings.speed == 5 and built.node.views.speed == 5
    finally:
        built.journal.close()


def test_a_busy_port_is_refused_before_the_journal_is_opened(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        path = _config(tmp_path, busy.getsockname()[1])
        with pytest.raises(ConfigError, match=r"node.port \d+ on 127.0.0.1: in use"):
            build(load_config(path), path, clock=ManualClock(T0))
    assert not (tmp_path / "journal" / "journal.db").exists()


def test_a_picture_in_its_own_process_is_configuration(tmp_path: Path) -> None:
    path = _config(tmp_path, free_port())
    path.write_text(path.read_text().replace("[node]\n", "[node]\npicture_process = true\n", 1))
    built = build(load_config(path), path, clock=ManualClock(T0))
    try:
        assert built.node.settings.picture_process
        assert isinstance(built.node.pipeline.picture, PictureProcess)
    finally:
        built.journal.close()
