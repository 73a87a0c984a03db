"""`[hub]` of `warnline serve`: the CAP key and certificate are checked before the node
starts (one line naming the field and the reason), the rotation keys are checked for
shape, and a served CAP signer signs what its certificate verifies (issue 11)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import os
import signal
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from nacl.signing import SigningKey

from tests.alerting.test_cap import make_alert
from tests.factories import free_port, signed, wire_report
from tests.node.test_crash_recovery import start_node, wait_healthy
from tests.test_init import DEFAULT_AGREEMENT, printed
from warnline.agreement.load import load_agreement
from warnline.agreement.model import Agreement
from warnline.alerting.cap import encode_cap
from warnline.alerting.cap_sign import exercise_cap_signer, verify_cap
from warnline.api.signing import HEADER, verify_hub_signature
from warnline.cli import main
from warnline.errors import ConfigError, SignatureError
from warnline.pki import CertificateAuthority
from warnline.pki.certs import cert_pem, key_pem, same_key, self_signed_signing
from warnline.serve.config import load_config
from warnline.serve.keys import cap_signer, hub_signing_key, trusted_keys

USER = '[[users]]\nusername = "jor-watch"\npartner = "JOR"\nrole = "watch"\npassword_hash = "x"\n'
OLD = base64.b64encode(bytes(SigningKey(b"\x01" * 32).verify_key)).decode()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    ca = CertificateAuthority.init(tmp_path_factory.mktemp("ca"))
    ca.issue("jor-cap", partner="JOR", signing=True)
    ca.issue("jor-node", partner="JOR", server=True)
    return ca


def now() -> dt.datetime:
    """The time serve checks at: the test's, not the module's import (a long run of the
    suite would make certificates issued since look not yet valid)."""
    return dt.datetime.now(dt.UTC)


def config(tmp_path: Path, hub: str) -> Path:
    path = tmp_path / "node.toml"
    path.write_text(f"[node]\nport = 8800\n\n[hub]\n{hub}\n{USER}")
    return path


def real(agreement: Agreement) -> Agreement:
    return dataclasses.replace(agreement, exercise=False)


def refused(tmp_path: Path, hub: str, agreement: Agreement) -> str:
    path = config(tmp_path, hub)
    with pytest.raises(ConfigError) as caught:
        cap_signer(load_config(path).hub, agreement, path, now())
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: [hub] cap_")
    return message


def test_the_configured_cap_key_signs_what_its_certificate_verifies(
    tmp_path: Path, ca: CertificateAuthority, agreement: Agreement
) -> None:
    path = config(tmp_path, f'cap_key = "{ca.dir}/jor-cap.key"\ncap_cert = "{ca.dir}/jor-cap.crt"')
    signer = cap_signer(load_config(path).hub, real(agreement), path, now())
    signed = signer.sign(encode_cap(make_alert(), sender="hub@x"))
    verify_cap(signed, (ca.dir / "jor-cap.crt").read_bytes())
    with pytest.raises(SignatureError):
        verify_cap(signed, exercise_cap_signer().certificate_pem)
    cert = x509.load_pem_x509_certificate((ca.dir / "jor-cap.crt").read_bytes())
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    assert cert.issuer == ca.cert.subject


def test_an_exercise_without_cap_key_signs_with_the_exercise_key_and_no_other_hub_may(
    tmp_path: Path, agreement: Agreement
) -> None:
    path = config(tmp_path, "")
    signer = cap_signer(load_config(path).hub, agreement, path, now())
    assert same_key(signer.certificate, exercise_cap_signer().certificate)
    assert "cap_key: required outside an exercise" in refused(tmp_path, "", real(agreement))


def write_pem(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return name


def test_bad_cap_key_material_is_named_in_one_line(
    tmp_path: Path, ca: CertificateAuthority, agreement: Agreement
) -> None:
    live = real(agreement)
    good_key, good_cert = f'cap_key = "{ca.dir}/jor-cap.key"', f'cap_cert = "{ca.dir}/jor-cap.crt"'
    assert "cap_key: " in refused(tmp_path, f'cap_key = "nothing.key"\n{good_cert}', live)
    assert "No such file" in refused(tmp_path, f'cap_key = "nothing.key"\n{good_cert}', live)
    with pytest.raises(ConfigError, match="cap_cert: needed with cap_key"):
        load_config(config(tmp_path, good_key))
    ed = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    name = write_pem(tmp_path, "ed.key", ed.decode())
    message = refused(tmp_path, f'cap_key = "{name}"\n{good_cert}', live)
    assert "is an Ed25519 key; CAP's XML signature needs an ECDSA P-256 key" in message
    name = write_pem(tmp_path, "p384.key", key_pem(ec.generate_private_key(ec.SECP384R1())))
    assert "an EC key on secp384r1" in refused(tmp_path, f'cap_key = "{name}"\n{good_cert}', live)
    name = write_pem(tmp_path, "junk.key", "not a key\n")
    assert "is not a PEM private key" in refused(tmp_path, f'cap_key = "{name}"\n{good_cert}', live)
    # the node's TLS certificate is a real certificate, but of another key
    other = f'cap_cert = "{ca.dir}/jor-node.crt"'
    message = refused(tmp_path, f"{good_key}\n{other}", live)
    assert "cap_cert: " in message and "certifies another public key" in message
    name = write_pem(tmp_path, "junk.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n")
    message = refused(tmp_path, f'{good_key}\ncap_cert = "{name}"', live)
    assert "is not a PEM X.509 certificate" in message


def test_an_expired_cap_certificate_is_refused_naming_its_end(
    tmp_path: Path, agreement: Agreement
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "cap.key").write_text(key_pem(key))
    cert = self_signed_signing(key, name="jor-cap", partner="JOR")
    at = now()
    ended = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(cert.issuer)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(at - dt.timedelta(days=30))
        .not_valid_after(at - dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cap.crt").write_text(cert_pem(ended))
    message = refused(tmp_path, 'cap_key = "cap.key"\ncap_cert = "cap.crt"', real(agreement))
    assert f"expired on {ended.not_valid_after_utc:%Y-%m-%d}" in message
    (tmp_path / "cap.crt").write_text(cert_pem(cert))  # the same key, still valid: taken
    path = config(tmp_path, 'cap_key = "cap.key"\ncap_cert = "cap.crt"')
    assert cap_signer(load_config(path).hub, real(agreement), path, now()).certificate == cert


def test_serve_says_a_bad_cap_certificate_in_one_line_and_exits_2(
    tmp_path: Path, ca: CertificateAuthority, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, f'cap_key = "{ca.dir}/jor-cap.key"\ncap_cert = "{ca.dir}/jor-node.crt"')
    text = path.read_text().replace("port = 8800\n", 'port = 8800\ndata = "data"\n')
    path.write_text(text)
    assert main(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[hub] cap_cert:" in err and "Traceback" not in err
    assert not (tmp_path / "data" / "journal.db").exists()


@pytest.mark.parametrize(
    ("hub", "message"),
    [
        ('kee = "hub.key"', "unknown key hub.kee (did you mean 'key'?)"),
        ("cap_key = 5", "[hub] cap_key 5: must be a file name"),
        ('key_id = "HUB 2"', "[hub] key_id 'HUB 2': 1-32 letters"),
        ("previous_keys = 3", "[hub] previous_keys: must be a table"),
        ('previous_keys = { HUB = "abc" }', "previous_keys.HUB: must be a base64 Ed25519"),
        (f'previous_keys = {{ HUB = "{OLD}" }}', "key_id 'HUB' is also in previous_keys"),
    ],
)
def test_a_bad_hub_table_names_the_field(tmp_path: Path, hub: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config(tmp_path, hub))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_rotated_key_trusts_its_predecessor_and_refuses_it_as_current(tmp_path: Path) -> None:
    new = SigningKey.generate()
    (tmp_path / "hub-2.key").write_text(base64.b64encode(bytes(new)).decode() + "\n")
    new_public = base64.b64encode(bytes(new.verify_key)).decode()
    agreement = dataclasses.replace(real(load_agreement()), hub_public_key=new_public)
    hub = f'key = "hub-2.key"\nkey_id = "HUB-2"\nprevious_keys = {{ HUB = "{OLD}" }}'
    path = config(tmp_path, hub)
    cfg = load_config(path)
    key = hub_signing_key(cfg.hub, agreement, path)
    assert trusted_keys(cfg.hub, key) == {"HUB": OLD, "HUB-2": new_public}
    path = config(
        tmp_path, f'key = "hub-2.key"\nkey_id = "HUB-2"\nprevious_keys = {{ HUB = "{new_public}" }}'
    )
    with pytest.raises(ConfigError, match=r"previous_keys.HUB: is the current \[hub\] key"):
        hub_signing_key(load_config(path).hub, agreement, path)


@pytest.mark.slow
def test_after_rotation_answers_and_new_heads_use_the_new_key_and_old_heads_still_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    coalition = tmp_path / "coalition.toml"
    coalition.write_text(
        DEFAULT_AGREEMENT.read_text().replace("exercise = true", "exercise = false", 1)
    )
    node = tmp_path / "jor"
    init = ["init", str(node), "--partner", "JOR", "--port", str(port)]
    assert main([*init, "--agreement", str(coalition)]) == 0
    out = capsys.readouterr().out
    password = printed(out, "admin user jor-admin, password")
    old = printed(out, "hub public key")
    agreed = tomllib.loads(coalition.read_text())["coalition"]["hub_public_key"]
    coalition.write_text(coalition.read_text().replace(agreed, old, 1))
    cfg = node / "node.toml"

    first = serve_and_ask(cfg, base, tmp_path / "first.log", password)
    kept = tmp_path / "kept-head.json"
    kept.write_text(first["head"].text)
    assert json.loads(kept.read_text())["signer"] == "HUB"
    assert verify_hub_signature(first["me"].content, first["me"].headers[HEADER], old)

    # The operator rotates: a new key, which the coalition puts in a new agreement.
    assert main(["pki", "hub-key", str(node / "hub-2.key")]) == 0
    new = printed(capsys.readouterr().out, "hub key written")
    rotated = tmp_path / "coalition-2.toml"
    rotated.write_text(coalition.read_text().replace(old, new, 1))
    text = cfg.read_text().replace(str(coalition.resolve()), str(rotated.resolve()), 1)
    swapped = text.replace('key = "hub.key"', 'key = "hub-2.key"\nkey_id = "HUB-2"', 1)
    cfg.write_text(swapped)
    # Without the retired key the journal's last head cannot be checked: refused, with how.
    assert main(["serve", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "signer 'HUB' has no known public key" in err and "[hub] previous_keys" in err
    cfg.write_text(
        swapped.replace(
            'key_id = "HUB-2"', f'key_id = "HUB-2"\nprevious_keys = {{ HUB = "{old}" }}'
        )
    )

    second = serve_and_ask(cfg, base, tmp_path / "second.log", password)
    me = second["me"]
    assert verify_hub_signature(me.content, me.headers[HEADER], new)
    assert not verify_hub_signature(me.content, me.headers[HEADER], old)
    assert json.loads(second["head"].text)["signer"] == "HUB-2"
    assert "hub key HUB-2 signs answers and heads (retired: HUB)" in second["log"]
    db = node / "data" / "journal.db"
    both = tmp_path / "keys.json"
    both.write_text(json.dumps({"HUB": old, "HUB-2": new}))
    assert main(["audit", "verify", str(db), "--keys", str(both), "--head", str(kept)]) == 0
    only_new = tmp_path / "new.json"
    only_new.write_text(json.dumps({"HUB-2": new}))
    assert main(["audit", "verify", str(db), "--keys", str(only_new), "--head", str(kept)]) == 1
    assert main(["audit", "verify", str(db), "--keys", str(only_new)]) == 0


def serve_and_ask(cfg: Path, base: str, log: Path, password: str) -> dict[str, Any]:
    """Start the node, sign in, journal one report, read `me` and the head; stop it."""
    proc = start_node(cfg, log)
    try:
        wait_healthy(base, proc, log)
        with httpx.Client(base_url=base) as c:
            login = c.post("/api/v1/session", json={"username": "jor-admin", "password": password})
            auth = {"authorization": f"Bearer {login.json()['token']}"}
            now = dt.datetime.now(dt.UTC)
            body, headers = signed([wire_report(f"rot-{log.stem}", t=now)], at=now)
            assert c.post("/api/v1/reports", content=body, headers=headers).status_code == 202
            answers = {"me": c.get("/api/v1/me", headers=auth)}
            for _ in range(100):  # the report's commit replaces the seal
                answers["head"] = c.get("/api/v1/audit/head", headers=auth)
                if answers["head"].status_code == 200 and json.loads(answers["head"].text)["size"]:
                    break
                time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    return answers | {"log": log.read_text()}
