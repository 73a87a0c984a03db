"""`[channels.<name>]` of `warnline serve`: person channels from the config, secrets only
from files or the environment, and a served node that reaches a mail relay, a message
centre (whose "ACK" reply acknowledges) and a partner's system when a raid raises an alert
(issue 11)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import free_port
from tests.node.test_crash_recovery import Raid, start_node, wait_healthy
from warnline.accounts import Accounts
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.load import default_agreement
from warnline.channels.apprise_channel import AppriseChannel
from warnline.channels.email import EmailChannel
from warnline.channels.sms import SmsChannel
from warnline.channels.voice import VoiceChannel
from warnline.channels.webhook import SIGNATURE_HEADER, WebhookChannel, verify
from warnline.errors import ConfigError
from warnline.serve.channels import build_channels, describe, route_contacts
from warnline.serve.config import load_config
from warnline.sim.peers import SmtpSink
from warnline.sim.smsc import Smsc

HUB = exercise_signing_key("HUB")
HUB_PUBLIC = __import__("base64").b64encode(bytes(HUB.verify_key)).decode()
PASSWORD = "pw-for-the-served-node"
SMTP_SECRET = "smtp-secret-7f3a"
SMPP_SECRET = "smpp-secret-91c2"
SIP_SECRET = "sip-secret-04be"

ALL = """[node]
port = 8800

[channels.email]
host = "127.0.0.1"
port = 2525
starttls = true
username = "warnline-relay"
password_file = "secrets/smtp"
from = "alerts@hub.example"

[channels.sms]
host = "127.0.0.1"
port = 2776
system_id = "hub"
password_env = "TEST_SMPP_PASSWORD"
source = "WARNLINE"

[channels.voice]
host = "127.0.0.1"
port = 5070
username = "hub-line"
password_file = "secrets/sip"
sip_port = 5072
rtp_low = 11000
rtp_high = 11040

[channels.webhook]
urls = { ISR = "http://127.0.0.1:9/warnline?token=x" }
retries = 1

[channels.apprise]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "node.toml"
    path.write_text(text)
    return path


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "smtp").write_text(SMTP_SECRET + "\n")
    (tmp_path / "secrets" / "sip").write_text(SIP_SECRET)
    monkeypatch.setenv("TEST_SMPP_PASSWORD", SMPP_SECRET)
    return tmp_path


async def test_every_channel_is_built_from_its_table_and_no_secret_is_shown(
    secrets: Path,
) -> None:
    cfg = load_config(write(secrets, ALL))
    assert list(cfg.channels) == ["email", "sms", "voice", "webhook", "apprise"]
    channels = build_channels(cfg.channels, HUB, secrets / "node.toml")
    try:
        email, sms, voice = channels["email"], channels["sms"], channels["voice"]
        assert isinstance(email, EmailChannel)
        assert (email.host, email.port, email.starttls, email.username, email.sender) == (
            "127.0.0.1", 2525, True, "warnline-relay", "alerts@hub.example",
        )  # fmt: skip
        assert email._password == SMTP_SECRET  # the file's line, without its newline
        assert isinstance(sms, SmsChannel)
        assert (sms.port, sms.system_id, sms.password, sms.source) == (
            2776, "hub", SMPP_SECRET, "WARNLINE",
        )  # fmt: skip
        assert isinstance(voice, VoiceChannel)
        t = voice.trunk
        assert (t.port, t.username, t.password, t.sip_port, t.rtp_low, t.rtp_high) == (
            5070, "hub-line", SIP_SECRET, 5072, 11000, 11040,
        )  # fmt: skip
        webhook = channels["webhook"]
        assert isinstance(webhook, WebhookChannel)
        assert webhook.key is HUB and webhook.retries == 1
        assert isinstance(channels["apprise"], AppriseChannel)
    finally:
        for ch in channels.values():
            await ch.close()
    lines = "\n".join(describe(n, c) for n, c in cfg.channels.items()) + repr(cfg)
    for secret in (SMTP_SECRET, SMPP_SECRET, SIP_SECRET, "token=x"):
        assert secret not in lines
    assert "email: SMTP relay 127.0.0.1:2525, STARTTLS, login warnline-relay" in lines
    assert "sms: SMPP 127.0.0.1:2776 as hub" in lines
    assert "voice: SIP trunk 127.0.0.1:5070 as hub-line" in lines
    assert "webhook: signed with the hub key, to ISR http://127.0.0.1:9/warnline" in lines


def test_no_channels_leaves_the_node_without_person_channels(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[node]\nport = 8800\n")).channels == {}


@pytest.mark.parametrize("channel", ["email", "sms", "voice"])
def test_an_inline_password_is_refused_in_one_line(tmp_path: Path, channel: str) -> None:
    text = f'[channels.{channel}]\nhost = "127.0.0.1"\npassword = "hunter2"\n'
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    message = str(err.value)
    assert f"channels.{channel}.password: no secret inline" in message
    assert "password_file" in message and "password_env" in message
    assert "\n" not in message and "hunter2" not in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[channels.email]\nhots = "x"\n',
            "channels.email: unknown key hots (did you mean 'host'?)",
        ),
        (
            '[channels.mail]\nhost = "x"\n',
            "unknown channel [channels.mail] (did you mean 'email'?)",
        ),
        ('[channels.webhook]\nsecret = "x"\n', "webhooks are signed with the hub key"),
        ("[channels.sms]\nhost = 'x'\n", "channels.sms: needs password_file or password_env"),
        ("[channels.email]\nport = 25\n", "channels.email.host: missing"),
        ("[channels.email]\nhost = 'x'\nport = 0\n", "channels.email.port 0: must be a port"),
        ("[channels.email]\nhost = 'x'\nstarttls = 'yes'\n", "starttls 'yes': must be true"),
        ("[channels.email]\nhost = 'x'\nusername = 'u'\n", "username and a password go together"),
        ("[channels.webhook]\nurls = { JOR = 'nowhere' }\n", "channels.webhook.urls: must be"),
        (
            "[channels.sms]\nhost = 'x'\npassword_env = 'A'\npassword_file = 'b'\n",
            "password_file and password_env: give one",
        ),
        ("[channels]\nemail = 5\n", "[channels] must hold tables"),
        (
            "[channels.voice]\nhost = 'x'\nroutes = { '962790000001' = 'pbx' }\n",
            "channels.voice.routes.962790000001: no trunk 'pbx' in channels.voice.trunks",
        ),
        (
            "[channels.voice]\nhost = 'x'\ntrunks = { pbx = { host = 'y', sip_port = 5070 } }\n",
            "channels.voice.trunks.pbx.rtp_low: missing (each trunk has its own local ports)",
        ),
        (
            "[channels.voice]\nhost = 'x'\ntrunks = { pbx = { hots = 'y' } }\n",
            "channels.voice.trunks.pbx: unknown key hots (did you mean 'host'?)",
        ),
    ],
)
def test_a_bad_channel_table_is_refused_naming_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "[node]\nport = 8800\n" + text))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_missing_secret_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = '[channels.voice]\nhost = "127.0.0.1"\npassword_file = "secrets/sip"\n'
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert str(err.value) == (
        f"{tmp_path / 'node.toml'}: channels.voice.password_file: "
        f"{tmp_path / 'secrets' / 'sip'}: No such file or directory"
    )
    monkeypatch.delenv("NO_SUCH_SMPP_PASSWORD", raising=False)
    text = '[channels.sms]\nhost = "127.0.0.1"\npassword_env = "NO_SUCH_SMPP_PASSWORD"\n'
    with pytest.raises(ConfigError, match=r"\$NO_SUCH_SMPP_PASSWORD is not set or empty$"):
        load_config(write(tmp_path, text))


def test_numbers_behind_another_exchange_are_called_through_its_trunk(tmp_path: Path) -> None:
    text = (
        '[channels.voice]\nhost = "127.0.0.1"\nport = 5060\n'
        'trunks = { pbx = { host = "10.1.2.3", port = 5070, sip_port = 5072, '
        "rtp_low = 11000, rtp_high = 11040 } }\n"
        'routes = { "+962790000001" = "pbx" }\n'
    )
    cfg = load_config(write(tmp_path, "[node]\nport = 8800\n" + text))
    voice = build_channels(cfg.channels, HUB, tmp_path / "node.toml")["voice"]
    assert isinstance(voice, VoiceChannel)
    assert voice.trunk.host == "127.0.0.1" and voice.trunk.port == 5060
    routed = voice.routes["962790000001"]  # numbers are kept as digits, as SIP dials them
    assert (routed.host, routed.port, routed.sip_port) == ("10.1.2.3", 5070, 5072)
    assert "1 numbers through pbx 10.1.2.3:5070" in describe("voice", cfg.channels["voice"])


def test_urls_point_a_partners_contacts_elsewhere_and_only_known_partners(
    tmp_path: Path,
) -> None:
    agreement = default_agreement()
    path = write(tmp_path, '[channels.webhook]\nurls = { ISR = "http://127.0.0.1:9/w" }\n')
    routed = route_contacts(agreement, load_config(path).channels, path)
    isr = [c.addresses.get("webhook") for c in routed.partners["ISR"].contacts]
    assert "http://127.0.0.1:9/w" in isr and None in isr  # the commander has no webhook
    assert routed.partners["JOR"] == agreement.partners["JOR"]
    assert agreement.partners["ISR"].contacts[0].addresses["webhook"].startswith("https://isr")
    for urls, message in [
        ('{ XXX = "http://127.0.0.1:9/w" }', "unknown partner XXX"),
        ('{ JOR = "http://127.0.0.1:9/w" }', "JOR has no contact with a webhook address"),
    ]:
        path = write(tmp_path, f"[channels.webhook]\nurls = {urls}\n")
        with pytest.raises(ConfigError, match=message):
            route_contacts(agreement, load_config(path).channels, path)


# -- end to end: `warnline serve` reaching a mail relay and a partner system ----------------


class _Receiver(BaseHTTPRequestHandler):
    """A partner system: keeps every request whose hub signature verifies."""

    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        ok = verify(body, self.headers.get(SIGNATURE_HEADER, ""), HUB_PUBLIC, now=time.time())
        if ok:
            self.server.received.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(204 if ok else 401)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def partner_system() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/warnline", server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


FIRST_STEP = '{ after_s = 0, channels = ["console", "email", "sms", "webhook"], roles = ["watch"] }'
JOR_WATCH_PHONES = ("000962000001", "000962000003")  # day and night watch


@pytest.fixture
def smsc() -> Iterator[Smsc]:
    """The message centre on its own loop in a thread (the test drives a subprocess)."""
    centre = Smsc(phones=dict.fromkeys(JOR_WATCH_PHONES, "ack"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(centre.start(), loop).result(5)
    try:
        yield centre
    finally:
        asyncio.run_coroutine_threadsafe(centre.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def exercise_agreement(tmp_path: Path) -> Path:
    """The default coalition with JOR's watch officers on a webhook (a placeholder URL the
    node config points elsewhere) and e-mail, SMS and webhooks in the first step."""
    text = resources.files("warnline.agreement").joinpath("data/default.toml").read_text()
    edits = [
        (
            '{ after_s = 0, channels = ["console", "sms", "webhook", "apprise"], '
            'roles = ["watch"] }',
            FIRST_STEP,
        ),
        (
            '{ after_s = 0, channels = ["console"], roles = ["watch"] }',
            FIRST_STEP,
        ),
    ]
    for who in ("jor-watch", "jor-night"):
        old = f'email = "{who}@example.invalid"'
        edits.append((old, f'webhook = "https://jor-aoc.example.invalid/warnline", {old}'))
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "agreement.toml"
    path.write_text(text)
    return path


@pytest.mark.slow
def test_a_served_node_reaches_relay_message_centre_and_partner_system(
    tmp_path: Path,
    partner_system: tuple[str, list[dict[str, Any]]],
    smsc: Smsc,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, received = partner_system
    monkeypatch.setenv("TEST_SMPP_PASSWORD", SMPP_SECRET)  # the node inherits it
    smtp = SmtpSink()
    smtp_port = smtp.start()
    port = free_port()
    pw = Accounts.hash_password(PASSWORD)
    cfg = tmp_path / "node.toml"
    exercise_agreement(tmp_path)
    cfg.write_text(
        f'[node]\nport = {port}\ndata = "data"\ntick_s = 0.25\nagreement = "agreement.toml"\n\n'
        f'[channels.email]\nhost = "127.0.0.1"\nport = {smtp_port}\nfrom = "hub@hub.example"\n\n'
        f'[channels.webhook]\nurls = {{ JOR = "{url}" }}\nbackoff_s = 0.05\n\n'
        f'[channels.sms]\nhost = "127.0.0.1"\nport = {smsc.port}\n'
        'password_env = "TEST_SMPP_PASSWORD"\n\n'
        f'[[users]]\nusername = "jor-watch"\npartner = "JOR"\nrole = "watch"\n'
        f'password_hash = "{pw}"\n\n'
        f'[[users]]\nusername = "usa-cell"\npartner = "USA"\nrole = "cell"\n'
        f'password_hash = "{pw}"\n'
    )
    log = tmp_path / "node.log"
    proc = start_node(cfg, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, log)
        started = log.read_text()
        assert f"channel email: SMTP relay 127.0.0.1:{smtp_port}, from hub@hub.example" in started
        assert f"channel webhook: signed with the hub key, to JOR {url}" in started
        raid = Raid()
        with httpx.Client(base_url=base) as client:
            deadline = time.monotonic() + 40.0
            while not (smtp.messages and received and smsc.replies) and time.monotonic() < deadline:
                raid.send(client, base)
                time.sleep(0.1)  # the raid's report rate, not an ordering wait
            assert smtp.messages, f"no e-mail reached the relay: {log.read_text()[-2000:]}"
            assert received, f"no webhook reached the partner system: {log.read_text()[-2000:]}"
            assert smsc.replies, f"no SMS reached a phone: {log.read_text()[-2000:]}"
            login = client.post(
                "/api/v1/session", json={"username": "usa-cell", "password": PASSWORD}
            )
            cell = {"authorization": f"Bearer {login.json()['token']}"}
            health = {h["channel"]: h for h in client.get("/api/v1/channels", headers=cell).json()}
            login = client.post(
                "/api/v1/session", json={"username": "jor-watch", "password": PASSWORD}
            )
            jor = {"authorization": f"Bearer {login.json()['token']}"}
            deadline = time.monotonic() + 10.0
            acked_by: list[str] = []
            while not acked_by and time.monotonic() < deadline:  # the reply is journaled
                alerts = client.get("/api/v1/alerts", headers=jor).json()
                acked_by = [u for a in alerts for u in a["acknowledged_by"]]
                time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        smtp.stop()
    mail = smtp.messages[0]
    assert mail["From"] == "hub@hub.example"
    assert mail["To"] in ("jor-watch@example.invalid", "jor-night@example.invalid")
    assert mail["X-Warnline-Alert"]
    hook = received[0]
    assert hook["type"] == "alert" and hook["recipient"].startswith("JOR/watch/")
    assert hook["alert"]["partner"] == "JOR"
    # Both configured channels show in the cell's channel health, the webhook per route.
    assert {"email", "webhook", "sms"} <= set(health)
    assert health["email"]["status"] == "ok"
    route = [h for name, h in health.items() if name.startswith("webhook 127.0.0.1:")]
    assert route and route[0]["ok"] >= 1 and route[0]["status"] == "ok"
    assert proc.returncode == 0
    # The SMS went to the watch officer's phone; its "ACK <code>" reply acknowledged.
    assert {sm.destination for sm in smsc.submitted} <= set(JOR_WATCH_PHONES)
    assert any(u.startswith("JOR/watch/") for u in acked_by), acked_by
    assert f"channel sms: SMPP 127.0.0.1:{smsc.port} as warnline, source 7700" in log.read_text()
    # The SMPP password is in neither the log nor the journal.
    assert SMPP_SECRET not in log.read_text()
    for part in (tmp_path / "data").glob("journal.db*"):  # with its write-ahead log
        assert SMPP_SECRET.encode() not in part.read_bytes()


def test_a_node_without_webhooks_or_apprise_does_not_import_their_libraries() -> None:
    """httpx and Apprise are about a tenth of a served node's imports; the builder imports
    a channel's library only when the config names the channel."""
    code = (
        "import sys, warnline.serve.command, warnline.serve.builder, warnline.cli; "
        "print('httpx' in sys.modules, 'apprise' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
