"""CAP as released to each partner: single messages and the partner's Atom feed.

Every CAP message leaves the hub signed (alerting/cap_sign.py) when the hub has an
XML-signing key; a signed message is cached per (alert version, languages), since a
feed is polled over and over and a signature costs about a millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lxml import etree

from warnline.alerting.cap import cap_identifier, encode_cap
from warnline.alerting.cap_sign import CapSigner
from warnline.domain import Alert

if TYPE_CHECKING:
    from warnline.node import Node

ATOM = "http://www.w3.org/2005/Atom"
_CACHE_LIMIT = 20_000


class CapPublisher:
    """Encodes (and signs, given a signer) the CAP message of one alert version."""

    def __init__(self, *, sender: str, signer: CapSigner | None) -> None:
        self.sender = sender
        self.signer = signer
        self._cache: dict[tuple[str, tuple[str, ...], str, tuple[str, ...]], bytes] = {}

    def cap(self, alert: Alert, previous: Sequence[Alert], languages: Sequence[str]) -> bytes:
        # As released to one viewer: the same version reads differently to the cell.
        key = (alert.version_key, tuple(languages), alert.reason, alert.tracks)
        xml = self._cache.get(key)
        if xml is None:
            xml = encode_cap(alert, sender=self.sender, previous=previous, languages=languages)
            if self.signer is not None:
                xml = self.signer.sign(xml)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = xml
        return xml


def atom_feed(node: Node, partner: str, publisher: CapPublisher) -> bytes:
    """The latest version of each alert released to `partner`, newest first, each entry
    carrying the whole signed CAP message (verifiable once taken out of the feed)."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    etree.SubElement(root, f"{{{ATOM}}}id").text = f"urn:warnline:feed:{partner}"
    etree.SubElement(root, f"{{{ATOM}}}title").text = f"Warnline alerts released to {partner}"
    etree.SubElement(root, f"{{{ATOM}}}updated").text = node.now().isoformat(timespec="seconds")
    author = etree.SubElement(root, f"{{{ATOM}}}author")
    etree.SubElement(author, f"{{{ATOM}}}name").text = "Warnline coordination hub"
    langs = node.views.languages_of(partner)
    for versions in sorted(node.views.alert_history(), key=lambda v: v[-1].sent_at, reverse=True):
        latest = node.views.alert_for(partner, versions[-1])
        if latest is None:
            continue
        entry = etree.SubElement(root, f"{{{ATOM}}}entry")
        etree.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:warnline:{cap_identifier(latest)}"
        etree.SubElement(entry, f"{{{ATOM}}}title").text = latest.headline
        etree.SubElement(entry, f"{{{ATOM}}}updated").text = latest.sent_at.isoformat(
            timespec="seconds"
        )
        etree.SubElement(entry, f"{{{ATOM}}}category", term=latest.stage.value)
        content = etree.SubElement(entry, f"{{{ATOM}}}content", type="application/cap+xml")
        content.append(etree.fromstring(publisher.cap(latest, versions[:-1], langs)))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
