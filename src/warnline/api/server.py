"""Serving a node's API: inside a running event loop (the exercise, tests) or as the
process's main job (`warnline serve`), with mTLS when configured."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from nacl.signing import SigningKey

from warnline.alerting.cap_sign import CapSigner
from warnline.api.app import create_app
from warnline.api.limits import GuardedConfig, ServerLimits
from warnline.node import Node
from warnline.pki.tls import TlsSettings, apply_tls


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: the caller owns the process's
    signals (so a restart of the listener or a SIGTERM ends with the node stopped and
    the journal closed, not with a re-raised signal)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(
    node: Node,
    host: str,
    port: int,
    tls: TlsSettings | None,
    hub_key: SigningKey | None,
    limits: ServerLimits | None,
    cap_signer: CapSigner | None = None,
) -> uvicorn.Server:
    app = create_app(node, manage_node=False, hub_key=hub_key, cap_signer=cap_signer)
    config = GuardedConfig(
        app,
        limits=limits or ServerLimits(),
        host=host,
        port=port,
        log_level="warning",
        log_config=None,  # uvicorn logs through the root handlers and their rate limit
        lifespan="off",
    )
    app.state.connections = config.gate  # the stream aborts a stuck console through it
    if tls is not None:
        apply_tls(config, tls)
    return _Server(config)


@asynccontextmanager
async def serving(
    node: Node,
    *,
    host: str = "127.0.0.1",
    port: int = 8800,
    tls: TlsSettings | None = None,
    hub_key: SigningKey | None = None,
    cap_signer: CapSigner | None = None,
    limits: ServerLimits | None = None,
) -> AsyncIterator[str]:
    """Start `node`, serve its API on host:port (mTLS when `tls` is given), yield the
    base URL; stop both after."""
    server = _server(node, host, port, tls, hub_key, limits, cap_signer)
    await node.start()
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            if task.done():
                task.result()  # raises why it could not start
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError(f"could not listen on {host}:{port}")
        yield f"{'https' if tls else 'http'}://{host}:{port}"
    finally:
        server.should_exit = True
        await task
        await node.stop()


async def serve_until_stopped(
    node: Node,
    *,
    host: str,
    port: int,
    tls: TlsSettings | None = None,
    hub_key: SigningKey | None = None,
    cap_signer: CapSigner | None = None,
    limits: ServerLimits | None = None,
    stop: asyncio.Event | None = None,
    alongside: contextlib.AbstractAsyncContextManager[Any] | None = None,
) -> None:
    """The node as the process's main job until `stop` is set (by default: SIGTERM or
    SIGINT stop it cleanly).

    With mTLS and a CRL, a changed CRL file restarts the listener with a fresh TLS
    context (the node and its journal keep running; consoles reconnect by themselves),
    so a revocation takes effect within `crl_check_s`. Loading a new CRL into a live
    OpenSSL context does not reliably replace the old one, hence the fresh context.
    `alongside` (the node's other listeners) runs from when the node has started until
    before it stops."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    await node.start()
    try:
        async with alongside or contextlib.nullcontext():
            await _serve_until(node, host, port, tls, hub_key, limits, cap_signer, stop)
    finally:
        await node.stop()


async def _serve_until(
    node: Node,
    host: str,
    port: int,
    tls: TlsSettings | None,
    hub_key: SigningKey | None,
    limits: ServerLimits | None,
    cap_signer: CapSigner | None,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        server = _server(node, host, port, tls, hub_key, limits, cap_signer)
        watched = [asyncio.create_task(server.serve()), asyncio.create_task(stop.wait())]
        if tls is not None and tls.crl is not None:
            watched.append(asyncio.create_task(_changed(tls.crl, tls.crl_check_s)))
        await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await watched[0]  # the listener closes (and raises if it failed)
        for task in watched[1:]:
            task.cancel()


async def _changed(path: Path, every_s: float) -> None:
    """Return once the file at `path` has changed."""
    seen = path.stat().st_mtime_ns
    while True:
        await asyncio.sleep(every_s)
        try:
            if path.stat().st_mtime_ns != seen:
                return
        except FileNotFoundError:
            continue
