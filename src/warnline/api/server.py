"""Serving a node's API: inside a running event loop (the exercise, tests) or as the
process's main job (`warnline serve`), with mTLS when configured."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from nacl.signing import SigningKey

from warnline.api.app import create_app
from warnline.node import Node
from warnline.pki.tls import TlsSettings, apply_tls


def _server(
    node: Node, host: str, port: int, tls: TlsSettings | None, hub_key: SigningKey | None
) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(node, manage_node=False, hub_key=hub_key),
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
    )
    if tls is not None:
        apply_tls(config, tls)
    return uvicorn.Server(config)


@asynccontextmanager
async def serving(
    node: Node,
    *,
    host: str = "127.0.0.1",
    port: int = 8800,
    tls: TlsSettings | None = None,
    hub_key: SigningKey | None = None,
) -> AsyncIterator[str]:
    """Start `node`, serve its API on host:port (mTLS when `tls` is given), yield the
    base URL; stop both after."""
    server = _server(node, host, port, tls, hub_key)
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
) -> None:
    """The node as the process's main job; SIGTERM or SIGINT stop it cleanly."""
    server = _server(node, host, port, tls, hub_key)
    await node.start()
    try:
        await server.serve()
    finally:
        await node.stop()
