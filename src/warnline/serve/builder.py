"""The one builder: a node assembled from its configuration.

`warnline serve` and the exercise both come through here (the exercise writes a config
for its loopback peers and simulated partners, then builds and serves the node exactly
as a partner would), so nothing the exercise shows can be missing from a served node.
Every check that can refuse a configuration runs before the journal is opened.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey

from warnline.accounts import Accounts, check_cell_accounts
from warnline.agreement.load import load_agreement
from warnline.agreement.model import Agreement
from warnline.alerting.cap_sign import CapSigner
from warnline.api.server import serving
from warnline.audit import HeadSigner
from warnline.channels.sms import SmsChannel
from warnline.domain import Clock
from warnline.errors import ConfigError
from warnline.journal import SQLiteJournal
from warnline.node import Node, NodeSettings
from warnline.serve.asterix import Listeners, check_partners
from warnline.serve.asterix import probe as probe_asterix
from warnline.serve.asterix_out import check_out_partners
from warnline.serve.channels import build_channels, route_contacts
from warnline.serve.config import NodeConfig
from warnline.serve.cot import CotService
from warnline.serve.journal import check_shape, snapshot_store
from warnline.serve.keys import cap_signer, hub_signing_key, trusted_keys
from warnline.serve.listen import check_tls, probe_port
from warnline.serve.retention import build_retention


@dataclass(frozen=True, kw_only=True)
class Built:
    """A node ready to start, and what serving it needs."""

    config: NodeConfig
    agreement: Agreement  # with the config's routes for webhook and Apprise contacts
    node: Node
    journal: SQLiteJournal
    key: SigningKey  # the hub's Ed25519 key: answers, webhooks, tree heads
    cap: CapSigner  # CAP's XML signature
    trusted: dict[str, str]  # key id -> public key: heads the journal may carry
    asterix: Listeners  # the [[asterix]] listeners (serve/asterix.py)
    cot: CotService  # the [[cot]] listeners (none configured: nothing listens)

    @property
    def journal_path(self) -> Path:
        return self.config.data / "journal.db"

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Serve the node on the configured listeners (yields the API's base URL), with its
        ASTERIX and CoT listeners from when the node runs until before it stops."""
        cfg = self.config
        async with (
            serving(
                self.node,
                host=cfg.host,
                port=cfg.port,
                tls=cfg.tls,
                hub_key=self.key,
                cap_signer=self.cap,
                limits=cfg.limits,
            ) as base,
            self.asterix.running(),
            self.cot.serving(),  # stops before the node does
        ):
            yield base


def build(
    cfg: NodeConfig,
    config_path: Path,
    *,
    clock: Clock,
    settings: NodeSettings | None = None,
    announce: Callable[[str], None] | None = None,
) -> Built:
    """Check the configuration whole, then open the journal and assemble the node (its
    settings from the config unless given: the exercise runs faster than real time)."""
    agreement = load_agreement(cfg.agreement)
    for u in cfg.users:
        if u.partner not in agreement.partners:
            raise ConfigError(f"{config_path}: user {u.username}: unknown partner {u.partner}")
    try:
        check_cell_accounts(cfg.users, agreement.coordination_cell)
    except ConfigError as exc:
        raise ConfigError(f"{config_path}: {exc}") from None
    key = hub_signing_key(cfg.hub, agreement, config_path)
    cap = cap_signer(cfg.hub, agreement, config_path, clock.now())
    check_tls(cfg.tls, config_path)
    agreement = route_contacts(agreement, cfg.channels, config_path)
    trusted = trusted_keys(cfg.hub, key)
    check_shape(cfg.data / "journal.db", trusted, cfg.archive)
    probe_port(cfg.host, cfg.port, config_path)
    check_partners(cfg.asterix, agreement, config_path)
    probe_asterix(cfg.asterix, config_path)
    check_out_partners(cfg.asterix_out, set(agreement.partners), config_path)
    for i, c in enumerate(cfg.cot):
        if c.partner is not None and c.partner not in agreement.partners:
            raise ConfigError(f"{config_path}: cot[{i}].partner: unknown partner {c.partner}")
        probe_port(c.host, c.port, config_path, field=f"cot[{i}].port")
    channels = build_channels(cfg.channels, key, config_path)
    journal = SQLiteJournal(
        cfg.data / "journal.db",
        sealer=HeadSigner(key=key, clock=clock, signer=cfg.hub.key_id),
        archive=cfg.archive,
    )
    snapshots = snapshot_store(cfg.data, key)
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=clock,
        accounts=Accounts(cfg.users, scrape_token_sha256=cfg.metrics_token_sha256),
        settings=settings or NodeSettings(tick_s=cfg.tick_s, picture_process=cfg.picture_process),
        channels=channels,
        snapshots=snapshots,
        retention=build_retention(cfg.retention, journal, snapshots),
        announce=announce,
    )
    return Built(
        config=cfg, agreement=agreement, node=node, journal=journal, key=key, cap=cap,
        trusted=trusted, asterix=Listeners(cfg.asterix, node, cfg.tls, outs=cfg.asterix_out),
        cot=CotService(node, cfg.cot, cfg.tls),
    )  # fmt: skip


def bind_replies(node: Node) -> None:
    """On the running loop: an SMS channel binds now (not at the first alert) and its
    replies ("ACK <code>", "ACCEPT <code>", "DECLINE <code>") reach the node."""
    sms = node.outreach.channels.get("sms")
    if isinstance(sms, SmsChannel):
        sms.on_reply = node.outreach.on_sms_reply
        sms.start()
