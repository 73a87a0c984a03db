"""The voice worker: a child process of the node that places its calls (`voice_calls`).

One JSON line a request on stdin, one a result on stdout: the first line configures the
trunks, then each line is a call and each answer names the call it ends. Calls run in
threads of their own, so one that rings for a while holds up no other. End of stdin means
the node is closing (or gone): the phones are stopped and the process ends. A terminal's
Ctrl-C is the node's to handle, not the worker's.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from dataclasses import asdict
from typing import Any, TextIO

from warnline.channels.voice_calls import Call, Calls, Trunk

STOP_WITHIN_S = 5.0  # phones given this long to unregister once stdin ends


def _answer(calls: Calls, request: dict[str, Any], out: TextIO, lock: threading.Lock) -> None:
    handover = calls.place(
        Call(
            number=request["number"],
            spoken=request["spoken"],
            language=request["language"],
            keys=tuple(request["keys"]),
        )
    )
    line = json.dumps({"id": request["id"], **asdict(handover)})
    with lock:
        out.write(line + "\n")
        out.flush()


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(1), "w")  # the protocol's own stream...
    os.dup2(2, 1)  # ...and whatever pyVoIP prints goes to stderr, never into it
    sys.stdout = sys.stderr
    first = sys.stdin.readline()
    if not first:  # closed before it was configured: the node stopped while we started
        return 0
    cfg = json.loads(first)
    calls = Calls(
        trunk=Trunk(**cfg["trunk"]),
        routes={n: Trunk(**t) for n, t in cfg["routes"].items()},
        local_ip=cfg["local_ip"],
        ring_s=cfg["ring_s"],
        listen_s=cfg["listen_s"],
    )
    lock = threading.Lock()
    out.write('{"ready": true}\n')
    out.flush()
    parent = os.getppid()
    for line in sys.stdin:
        request = json.loads(line)
        threading.Thread(target=_answer, args=(calls, request, out, lock), daemon=True).start()
    if os.getppid() != parent:  # the node is gone (stopped at once): no one waits for us
        os._exit(0)
    stopping = threading.Thread(target=calls.close, daemon=True)
    stopping.start()
    stopping.join(STOP_WITHIN_S)
    out.flush()
    os._exit(0)  # pyVoIP's own threads are not daemons: do not wait for them


if __name__ == "__main__":
    raise SystemExit(main())
