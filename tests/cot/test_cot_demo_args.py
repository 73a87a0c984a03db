"""`warnline demo --cot PARTNER`: an unknown partner is one line, exit 2."""

from __future__ import annotations

import pytest

from warnline.cli import main


def test_demo_refuses_an_unknown_cot_partner_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--cot", "XYZ", "--duration", "5", "--no-console"]) == 2
    err = capsys.readouterr().err
    assert "--cot XYZ: not a partner of the agreement" in err and "Traceback" not in err
