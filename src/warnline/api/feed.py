"""A partner's CAP Atom feed: the latest version of each alert released to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from warnline.alerting.cap import cap_identifier, encode_cap

if TYPE_CHECKING:
    from warnline.node import Node

ATOM = "http://www.w3.org/2005/Atom"


def atom_feed(node: Node, partner: str, sender: str) -> bytes:
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    etree.SubElement(root, f"{{{ATOM}}}id").text = f"urn:warnline:feed:{partner}"
    etree.SubElement(root, f"{{{ATOM}}}title").text = f"Warnline alerts released to {partner}"
    etree.SubElement(root, f"{{{ATOM}}}updated").text = node.now().isoformat(timespec="seconds")
    author = etree.SubElement(root, f"{{{ATOM}}}author")
    etree.SubElement(author, f"{{{ATOM}}}name").text = "Warnline coordination hub"
    langs = node.agreement.partners[partner].languages
    for versions in sorted(
        node.pipeline.alerting.history.values(), key=lambda v: v[-1].sent_at, reverse=True
    ):
        latest = versions[-1]
        if not node.release.alert_visible(partner, latest):
            continue
        entry = etree.SubElement(root, f"{{{ATOM}}}entry")
        etree.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:warnline:{cap_identifier(latest)}"
        etree.SubElement(entry, f"{{{ATOM}}}title").text = latest.headline
        etree.SubElement(entry, f"{{{ATOM}}}updated").text = latest.sent_at.isoformat(
            timespec="seconds"
        )
        content = etree.SubElement(entry, f"{{{ATOM}}}content", type="application/cap+xml")
        cap = encode_cap(latest, sender=sender, previous=versions[:-1], languages=langs)
        content.append(etree.fromstring(cap))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
