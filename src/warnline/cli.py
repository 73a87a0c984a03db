"""The `warnline` command: demo, init, serve, user, audit verify, journal archive, pki,
bench."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from warnline.errors import AuditError, ConfigError, JournalError
from warnline.log_limits import install as install_log_limits
from warnline.stopping import StopSignals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="warnline", description="Federated early-warning exchange for aerial threats."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo", help="run the exercise on the embedded default and print a summary"
    )
    demo.add_argument(
        "--duration", type=float, default=600.0, help="scenario seconds of raid (default 600)"
    )
    demo.add_argument(
        "--speed", type=float, default=5.0, help="scenario seconds per wall second (default 5)"
    )
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--no-console", action="store_true", help="do not announce the web console")
    demo.add_argument("--export", type=Path, help="write summary.json, cap/, journal/, audit/ here")
    demo.add_argument("--port", type=int, default=8800)
    demo.add_argument("--scale", type=float, default=1.0, help="multiply the number of threats")
    demo.add_argument(
        "--cot",
        metavar="PARTNER",
        help="also stream PARTNER's released picture as Cursor-on-Target on 127.0.0.1:8087",
    )
    demo.add_argument("--cot-port", type=int, default=8087, help=argparse.SUPPRESS)

    serve = sub.add_parser("serve", help="run a node")
    serve.add_argument("--config", type=Path, required=True)
    serve.add_argument("--data", type=Path, help="data directory (overrides the config)")

    init = sub.add_parser("init", help="write a node directory: config, certificates, admin")
    init.add_argument("dir", type=Path)
    init.add_argument("--partner", required=True, help="partner code of the node's operator")
    init.add_argument("--host", default="127.0.0.1", help="listen address (off loopback: mTLS)")
    init.add_argument("--port", type=int, default=8800)
    init.add_argument("--agreement", type=Path, help="agreement TOML (default: the exercise)")
    init.add_argument(
        "--csr",
        action="store_true",
        help="no CA of its own: keys and signing requests for the coalition's CA",
    )

    user = sub.add_parser("user", help="accounts in a node config (applied at restart)")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    u_add = user_sub.add_parser("add", help="add an account")
    u_add.add_argument("name")
    u_add.add_argument("--partner", required=True)
    u_add.add_argument("--role", required=True, help="watch, commander, cell, observer, admin")
    u_remove = user_sub.add_parser("remove", help="remove an account")
    u_remove.add_argument("name")
    u_passwd = user_sub.add_parser("passwd", help="set a new password")
    u_passwd.add_argument("name")
    for p in (u_add, u_remove, u_passwd):
        p.add_argument("--config", type=Path, required=True)
    for p in (u_add, u_passwd):
        p.add_argument("--password-file", type=Path, help="one line; default: generate one")

    audit = sub.add_parser("audit", help="verifiable record")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="verify an exported audit record (a folder) or a node's journal.db"
    )
    verify.add_argument("path", type=Path)
    verify.add_argument("--keys", type=Path, help="JSON {signer: base64 key} obtained out of band")
    verify.add_argument(
        "--head", type=Path, help="a signed tree head kept earlier (GET /api/v1/audit/head)"
    )
    verify.add_argument(
        "--archive",
        type=Path,
        help="a journal's archived segments (default: archive/ beside journal.db)",
    )

    journal = sub.add_parser("journal", help="a node's journal")
    journal_sub = journal.add_subparsers(dest="journal_command", required=True)
    j_archive = journal_sub.add_parser(
        "archive", help="move the oldest entries into signed segments now ([retention])"
    )
    j_archive.add_argument("--config", type=Path, required=True)
    j_archive.add_argument("--data", type=Path, help="data directory (overrides the config)")

    pki = sub.add_parser("pki", help="the coalition CA for mTLS certificates")
    pki_sub = pki.add_subparsers(dest="pki_command", required=True)
    p_init = pki_sub.add_parser("init", help="create a CA in DIR")
    p_init.add_argument("dir", type=Path)
    p_issue = pki_sub.add_parser("issue", help="issue a key and certificate")
    p_issue.add_argument("dir", type=Path)
    p_issue.add_argument("name")
    p_issue.add_argument("--partner", required=True, help="partner code the certificate belongs to")
    p_issue.add_argument("--server", action="store_true", help="a node's server certificate")
    p_issue.add_argument("--signing", action="store_true", help="a CAP-signing certificate")
    p_issue.add_argument("--host", action="append", help="server name or address (repeatable)")
    p_issue.add_argument("--days", type=int, default=365)
    p_revoke = pki_sub.add_parser("revoke", help="revoke a certificate and rewrite the CRL")
    p_revoke.add_argument("dir", type=Path)
    p_revoke.add_argument("name")
    p_list = pki_sub.add_parser("list", help="issued and revoked certificates")
    p_list.add_argument("dir", type=Path)
    p_sign = pki_sub.add_parser("sign", help="issue a certificate for a node's signing request")
    p_sign.add_argument("dir", type=Path, help="the CA's directory")
    p_sign.add_argument("csr", type=Path)
    p_sign.add_argument("--server", action="store_true", help="a node's server certificate")
    p_sign.add_argument("--signing", action="store_true", help="a CAP-signing certificate")
    p_sign.add_argument("--days", type=int, default=365)
    p_install = pki_sub.add_parser(
        "install", help="install a certificate the coalition CA issued for this node"
    )
    p_install.add_argument("dir", type=Path, help="the node directory (holding node.toml)")
    p_install.add_argument("cert", type=Path)
    p_install.add_argument("--ca", type=Path, help="the coalition CA's certificate")
    p_key = pki_sub.add_parser("hub-key", help="write a new hub signing key (Ed25519) to FILE")
    p_key.add_argument("file", type=Path)

    bench = sub.add_parser("bench", help="run benchmarks and print figures")
    bench.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    bench.add_argument("--json", type=Path, help="also write the figures here")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_log_limits()  # one line per kind of fault per interval: no log floods
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "serve":
            from warnline.serve.command import serve_node

            return serve_node(args.config, args.data)
        if args.command == "init":
            return _init(args)
        if args.command == "user":
            return _user(args)
        if args.command == "audit":
            return _audit_verify(args.path, args.keys, args.head, args.archive)
        if args.command == "journal":
            from warnline.serve.retention import archive_now

            print(f"warnline journal archive: {archive_now(args.config, args.data).describe()}")
            return 0
        if args.command == "pki":
            return _pki(args)
        if args.command == "bench":
            from warnline.bench import run_benchmarks

            return run_benchmarks(args.names, args.json)
    except ConfigError as exc:
        print(f"warnline: {exc}", file=sys.stderr)
        return 2
    except JournalError as exc:
        print(f"warnline {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    """The exercise until its end or a stop signal: SIGINT/SIGTERM end the raid where it
    is, stop the node and every peer process, print the summary so far and exit 128 +
    the signal; another signal during that clean-up kills the peers and exits at once."""
    signals = StopSignals(on_again=_stop_at_once).install()
    from warnline.exercise import ExerciseOptions, run_exercise

    if args.duration <= 0 or args.speed <= 0:
        print("warnline demo: --duration and --speed must be positive", file=sys.stderr)
        return 2
    opts = ExerciseOptions(
        duration_s=args.duration,
        speed=args.speed,
        seed=args.seed,
        console=not args.no_console,
        export=args.export,
        port=args.port,
        scale=args.scale,
        cot=None if args.cot is None else args.cot.upper(),
        cot_port=args.cot_port,
    )

    async def exercise() -> dict[str, Any]:
        async with signals.bound() as stop:
            waiting = asyncio.create_task(_announce_stop(stop, signals))
            try:
                return await run_exercise(opts, stop=stop)
            finally:
                waiting.cancel()

    summary = asyncio.run(exercise())
    sys.stdout.flush()
    ok = summary["lost"] == 0 and summary["duplicates"] == 0 and summary["unassigned"] == 0
    return signals.exit_code(0 if ok else 1)


async def _announce_stop(stop: asyncio.Event, signals: StopSignals) -> None:
    """One line on stderr when a stop begins, so a slow clean-up is not mistaken for a hang."""
    await stop.wait()
    print(
        f"warnline demo: {signals.name}: stopping (the summary so far follows; "
        "again to stop at once)",
        file=sys.stderr,
        flush=True,
    )


def _stop_at_once(signum: int) -> None:
    """A second stop signal: end the peer processes now and leave without the summary
    (the journal is SQLite: what was committed stays intact)."""
    from warnline.channels.voice import kill_workers
    from warnline.sim.phones import kill_all

    kill_all()
    kill_workers()
    print(f"warnline demo: {signal.Signals(signum).name} again: stopped at once", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(128 + signum)


def _init(args: argparse.Namespace) -> int:
    from warnline.provision import init_node

    r = init_node(
        args.dir,
        partner=args.partner,
        host=args.host,
        port=args.port,
        agreement=args.agreement,
        csr=args.csr,
    )
    print(f"node written: {r.config} (start it: warnline serve --config {r.config})")
    if r.admin_cert is not None:
        print(f"certificates: server {r.server_cert}, admin client {r.admin_cert}")
    print(f"CAP signing certificate: {r.cap_cert}")
    for request in r.requests:
        print(f"signing request for the coalition CA: {request}")
    if r.requests:
        print(
            f"install what the CA issues: warnline pki install {args.dir} CERT --ca CA_CERT "
            "(serve needs the server certificate first)"
        )
    if r.tls and not r.requests:
        print("off loopback: [tls] written; clients need a certificate of this CA")
    if r.hub_public_key is not None:
        same = r.hub_public_key == r.agreement_hub_key
        print(
            f"hub public key: {r.hub_public_key}"
            + ("" if same else " (it must be the agreement's hub_public_key before serve starts)")
        )
    print(f"admin user {r.admin}, password (shown once, stored nowhere): {r.admin_password}")
    return 0


def _user(args: argparse.Namespace) -> int:
    from warnline.provision import add_user, remove_user, set_password
    from warnline.provision.files import read_password

    given = getattr(args, "password_file", None)
    password = read_password(given) if given else None
    if args.user_command == "add":
        change = add_user(
            args.config, args.name, partner=args.partner, role=args.role, password=password
        )
    elif args.user_command == "remove":
        change = remove_user(args.config, args.name)
    else:
        change = set_password(args.config, args.name, password=password)
    print(change.summary)
    if change.generated_password is not None:
        print(f"password for {args.name} (shown once, stored nowhere): {change.generated_password}")
    return 0


def _pki(args: argparse.Namespace) -> int:
    from warnline.pki import CertificateAuthority

    if args.pki_command == "init":
        CertificateAuthority.init(args.dir)
        print(f"CA created in {args.dir} (keep ca.key offline)")
    elif args.pki_command == "issue":
        ca = CertificateAuthority(args.dir)
        hosts = tuple(args.host or ("127.0.0.1", "localhost"))
        c = ca.issue(
            args.name,
            partner=args.partner,
            server=args.server,
            signing=args.signing,
            hosts=hosts,
            days=args.days,
        )
        print(f"issued {c.name} for {c.partner}: {c.cert_path(args.dir)}, serial {c.serial:x}")
    elif args.pki_command == "revoke":
        c = CertificateAuthority(args.dir).revoke(args.name)
        print(f"revoked {c.name} (serial {c.serial:x}); CRL rewritten: {args.dir / 'crl.pem'}")
    elif args.pki_command == "sign":
        from warnline.errors import KeyMaterialError
        from warnline.pki.certs import read_request

        try:
            request = read_request(args.csr)
        except KeyMaterialError as exc:
            raise ConfigError(str(exc)) from None
        ca = CertificateAuthority(args.dir)
        c = ca.sign_request(request, server=args.server, signing=args.signing, days=args.days)
        print(f"issued {c.name} for {c.partner}: {c.cert_path(args.dir)}, serial {c.serial:x}")
    elif args.pki_command == "install":
        from warnline.provision.install import install_certificate

        done = install_certificate(args.dir, args.cert, args.ca)
        print(
            f"installed {done.cert} (issued by {done.issuer}, valid to {done.not_after:%Y-%m-%d})"
            + (f" and the CA certificate {done.ca}" if done.ca else "")
            + "; restart the node to use it"
        )
    elif args.pki_command == "hub-key":
        from warnline.provision.node_dir import write_hub_key

        print(f"hub key written: {args.file}; public key: {write_hub_key(args.file)}")
    else:
        for c in CertificateAuthority(args.dir).issued():
            state = f"revoked {c.revoked_at}" if c.revoked_at else f"valid to {c.not_after}"
            kind = "server" if c.server else "signing" if c.signing else "client"
            print(f"{c.name:20s} {c.partner} {kind} {state}")
    return 0


def _audit_verify(
    path: Path, keys: Path | None, head: Path | None, archive: Path | None = None
) -> int:
    """An exported record (a directory) or a node's SQLite journal (a file).

    Every outcome is one line: 0 intact, 1 not intact (naming the entry or the head),
    2 when the --keys file itself cannot be used."""
    from warnline.agreement.exercise_keys import HUB_CODE, exercise_verify_key_b64
    from warnline.audit import parse_head, verify_journal, verify_record

    try:
        public_keys = _trusted_keys(keys) if keys else None
    except ValueError as exc:
        print(f"warnline audit verify: --keys {keys}: {exc}", file=sys.stderr)
        return 2
    try:
        saved = parse_head(_read_head(head)) if head else None
        if path.is_dir() or (not path.exists() and path.suffix != ".db"):
            record = verify_record(path, public_keys=public_keys, head=saved)
            what = f"{record.entries} entries, {record.checkpoints} signed checkpoints"
            end = record.head_hash
        else:
            # Without --keys a journal is checked against the default (exercise) hub key.
            trusted = public_keys or {HUB_CODE: exercise_verify_key_b64(HUB_CODE)}
            journal = verify_journal(path, public_keys=trusted, head=saved, archive=archive)
            sealed = journal.sealed
            what = f"{journal.entries} entries" + (
                f", signed head at {sealed.timestamp}" if sealed else ""
            )
            end = journal.head_hash
    except AuditError as exc:
        print(f"audit record NOT intact: {exc}", file=sys.stderr)
        return 1
    kept = f", extends the saved head of {saved.size} entries" if saved else ""
    print(f"audit record intact: {what}{kept}, head {end}")
    return 0


def _trusted_keys(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_bytes())
    except OSError as exc:
        raise ValueError(f"cannot be read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError):
        raise ValueError("is not JSON") from None
    if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
        raise ValueError('must be a JSON object {"SIGNER": "<base64 key>"}')
    return loaded


def _read_head(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AuditError(0, f"the saved head {path} cannot be read: {exc.strerror}") from None


if __name__ == "__main__":
    raise SystemExit(main())
