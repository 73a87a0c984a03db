"""Cursor-on-Target / TAK: each partner's released picture out to TAK clients, and a
partner's TAK events in as its reports (docs/decisions.md, decision 75)."""

from warnline.cot.decode import CotEvent, from_proto, from_xml, to_report
from warnline.cot.frames import Frame, PictureFrames
from warnline.cot.server import CotClient, CotServer
from warnline.cot.service import CotFeed, CotIntake, PictureSource
from warnline.cot.types import air_type, kind_and_identity

__all__ = [
    "CotClient",
    "CotEvent",
    "CotFeed",
    "CotIntake",
    "CotServer",
    "Frame",
    "PictureFrames",
    "PictureSource",
    "air_type",
    "from_proto",
    "from_xml",
    "kind_and_identity",
    "to_report",
]
