"""channels stage: one adapter per medium."""

from warnline.channels.base import Channel
from warnline.channels.console import ConsoleChannel

__all__ = ["Channel", "ConsoleChannel"]
