"""Builder for channel tests: one released, rendered message to one contact."""

from __future__ import annotations

from tests.dispatch.test_dispatcher import alert
from warnline.agreement.load import default_agreement
from warnline.channels.base import Outbound
from warnline.release import Release
from warnline.release.messages import person_message


def outbound(address: str, language: str = "ar", code: str = "123456") -> Outbound:
    a = alert()
    view = Release(default_agreement()).alert("JOR", a)
    assert view is not None
    return Outbound(
        address=address,
        recipient="JOR/watch/jor-air-operations-centre-watch",
        language=language,
        message=person_message(a, view, language=language, code=code),
        ack_code=code,
    )
