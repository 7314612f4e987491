"""bench/load.py, the load test's generator: one request on its own connection parsed back (status, headers,
a chunked body), the loopback only, and the CPU it and the server take counted."""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import load


async def _serve_once(response):
    """A one-shot HTTP server on the loopback that answers `response` and closes; (port, server)."""

    async def handle(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(response)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server.sockets[0].getsockname()[1], server


def test_a_request_reads_status_headers_and_a_chunked_body():
    response = (
        b"HTTP/1.1 200 OK\r\nSet-Cookie: sessionid=abc; Path=/\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )

    async def go():
        port, server = await _serve_once(response)
        async with server:
            return await load.request("127.0.0.1", port, "GET", "/", cookies={"a": "b"})

    # In a thread of its own: a browser test earlier on the same worker may leave its event loop running in
    # this one (Playwright's sync API), where asyncio.run() refuses to start another.
    with ThreadPoolExecutor(1) as pool:
        status, headers, body = pool.submit(asyncio.run, go()).result()
    assert status == 200 and body == b"hello world"
    cookies = {}
    load._set_cookies(headers, cookies)
    assert cookies == {"sessionid": "abc"}


def test_only_the_loopback_is_targeted():
    with pytest.raises(ValueError, match="loopback"):
        load.run("10.0.0.1", 80, [], 1)


def test_the_cpu_of_a_process_tree_is_counted():
    assert load.tree_cpu(os.getpid()) > 0
    assert load.tree_cpu(None) is None
