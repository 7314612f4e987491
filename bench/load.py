"""A bounded loopback load test: simulated users over plain HTTP/1.1, one connection per request.

Only addresses on the loopback are accepted, every user stops at the deadline, and the whole test stops by
itself after `seconds`. The client is asyncio (no dependency); it opens a new connection per request,
as gunicorn's sync workers close each one after the response.

The generator shares the machine's cores with the server it measures, so every run also reports the CPU
time it took itself (and the server's process tree, on Linux): a capacity figure is only honest beside
the share of the machine the generator took from the server. A request costs the generator one timer
(asyncio.timeout around the whole exchange, not a task per step) and the event loop's socket calls (no
stream reader and writer).
"""

import asyncio
import contextlib
import os
import random
import re
import resource
import socket
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN_INPUT = re.compile(rb'<input type="hidden" name="(?!csrfmiddlewaretoken)([^"]+)" value="([^"]*)"')
LOOPBACK = re.compile(r"^127(\.\d{1,3}){3}$")


@dataclass
class Stats:
    latencies: dict = field(default_factory=lambda: defaultdict(list))  # page -> seconds
    errors: dict = field(default_factory=lambda: defaultdict(int))  # page -> count
    samples: list = field(default_factory=list)  # (page, status, location) of the first errors

    def add(self, page, seconds, ok, detail=None):
        if ok:
            self.latencies[page].append(seconds)
        else:
            self.errors[page] += 1
            if len(self.samples) < 10:
                self.samples.append((page, detail))

    def summary(self, seconds):
        every = [x for values in self.latencies.values() for x in values]
        pages = {}
        for page in sorted(set(self.latencies) | set(self.errors)):
            values = self.latencies.get(page, [])
            pages[page] = {
                "requests": len(values) + self.errors.get(page, 0),
                "p50_ms": _pct(values, 50),
                "p95_ms": _pct(values, 95),
                "errors": self.errors.get(page, 0),
            }
        errors = sum(self.errors.values())
        return {
            "seconds": seconds,
            "requests": len(every) + errors,
            "rps": round((len(every) + errors) / seconds, 1),
            "p50_ms": _pct(every, 50),
            "p95_ms": _pct(every, 95),
            "errors": errors,
            "error_samples": self.samples,
            "pages": pages,
        }


def _pct(values, q):
    if not values:
        return None
    if len(values) == 1:
        return round(values[0] * 1000, 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000, 1)


async def request(host, port, method, path, cookies=None, form=None, timeout=60):
    """(status, headers {lower name: [values]}, body) of one request on its own connection."""
    body = urlencode(form).encode() if form is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if form is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    request_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    loop = asyncio.get_running_loop()
    chunks = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, (host, port))
            await loop.sock_sendall(sock, request_bytes)
            while chunk := await loop.sock_recv(sock, 262144):  # the server closes after the response
                chunks.append(chunk)
    raw = b"".join(chunks)
    head, _sep, content = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = defaultdict(list)
    for line in header_lines:
        name, _sep, value = line.partition(":")
        headers[name.strip().lower()].append(value.strip())
    if "chunked" in ",".join(headers.get("transfer-encoding", [])):
        content = _unchunk(content)
    return int(status_line.split()[1]), headers, content


def _unchunk(data):
    out, pos = bytearray(), 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            return bytes(out)
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2


def _set_cookies(headers, cookies):
    for value in headers.get("set-cookie", []):
        name, _sep, rest = value.partition("=")
        cookies[name.strip()] = rest.split(";")[0]


class User:
    """A signed-in person: picks an action by weight, waits `think` seconds (a range) between actions."""

    def __init__(self, host, port, session, actions, think, rng):
        self.host, self.port, self.rng, self.think = host, port, rng, think
        self.cookies = {"sessionid": session["sessionid"]}
        self.session = session
        self.actions = actions  # [(weight, name, coroutine function(user) -> (ok, detail))]

    async def get(self, path):
        status, headers, body = await request(self.host, self.port, "GET", path, self.cookies)
        _set_cookies(headers, self.cookies)
        return status, headers, body

    async def post(self, path, form):
        status, headers, body = await request(self.host, self.port, "POST", path, self.cookies, form)
        _set_cookies(headers, self.cookies)
        return status, headers, body

    async def run(self, stats, deadline):
        weights = [a[0] for a in self.actions]
        if self.think:  # users arrive spread over one think time (as locust spawns them), not all at once
            await asyncio.sleep(self.rng.uniform(0, self.think[1]))
        while time.monotonic() < deadline:
            _weight, name, action = self.rng.choices(self.actions, weights=weights)[0]
            started = time.monotonic()
            try:
                ok, detail = await action(self)
            except (OSError, TimeoutError, ValueError, IndexError) as e:
                ok, detail = False, repr(e)
            if time.monotonic() <= deadline + 5:  # a request still running at the deadline counts too
                stats.add(name, time.monotonic() - started, ok, detail)
            if self.think:
                await asyncio.sleep(self.rng.uniform(*self.think))


def page(path_of, name=None):
    """An action that GETs a page and expects 200."""

    async def action(user):
        status, headers, _body = await user.get(path_of(user))
        return status == 200, (status, headers.get("location"))

    return action


def form_post(form_path_of, textareas):
    """An action that opens a form, then posts it back changed; expects the redirect of a saved form.

    Timed as one action (GET + POST), the way a person experiences saving a form."""

    async def action(user):
        path = form_path_of(user)
        status, headers, body = await user.get(path)
        if status != 200:
            return False, ("form", status, headers.get("location"))
        token = CSRF_INPUT.search(body).group(1).decode()
        form = {"csrfmiddlewaretoken": token}
        form.update({k.decode(): v.decode() for k, v in HIDDEN_INPUT.findall(body)})
        form.update({name: value(user) for name, value in textareas.items()})
        status, headers, _body = await user.post(path, form)
        return status == 302, ("post", status, headers.get("location"))

    return action


async def _warm(users):
    """Each action once per session, unmeasured, two users at a time: the workers' first requests
    (imports, templates, connections) and each province's cold database pages are not what a user meets
    once the app has been running."""
    seen, todo = set(), []
    for user in users:
        if user.cookies["sessionid"] not in seen:
            seen.add(user.cookies["sessionid"])
            todo.append(user)

    async def walk(group):
        for user in group:
            for _weight, _name, action in user.actions:
                with contextlib.suppress(OSError, TimeoutError, ValueError, IndexError):
                    await action(user)

    await asyncio.gather(walk(todo[0::2]), walk(todo[1::2]))


def warm(host, port, users):
    if not LOOPBACK.match(host):
        raise ValueError(f"the load test only targets the loopback, not {host}")
    asyncio.run(_warm(users))


async def _run(users, seconds):
    stats = Stats()
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(u.run(stats, deadline) for u in users))
    return stats.summary(round(time.monotonic() - started, 2))


def run(host, port, users, seconds, server_pid=None):
    """The summary of `users` running for `seconds`, with the CPU seconds the generator (this process)
    and the server's process tree took meanwhile, and their shares of the machine (CPU / wall / cores)."""
    if not LOOPBACK.match(host):
        raise ValueError(f"the load test only targets the loopback, not {host}")
    if not 0 < seconds <= 600:
        raise ValueError("a load test lasts at most 10 minutes")
    own, server = _own_cpu(), tree_cpu(server_pid)
    summary = asyncio.run(_run(users, seconds))
    cores = os.cpu_count() or 1
    summary["generator_cpu_s"] = round(_own_cpu() - own, 2)
    summary["generator_share"] = round(summary["generator_cpu_s"] / summary["seconds"] / cores, 3)
    summary["generator_us_per_request"] = round(
        summary["generator_cpu_s"] * 1e6 / max(1, summary["requests"])
    )
    if server is not None:
        summary["server_cpu_s"] = round(tree_cpu(server_pid) - server, 2)
        summary["server_share"] = round(summary["server_cpu_s"] / summary["seconds"] / cores, 3)
        # what a request costs the server: the capacity of the machine's cores follows from it
        summary["server_ms_per_request"] = round(
            summary["server_cpu_s"] * 1000 / max(1, summary["requests"]), 1
        )
    return summary


def _own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(pid):
    """CPU seconds (user + system) of `pid` and its living descendants, from /proc; None elsewhere."""
    if pid is None or not os.path.exists(f"/proc/{pid}/stat"):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError):
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
    return total


def make_rng(seed):
    return random.Random(seed)  # noqa: S311 - a traffic mix, not a secret
