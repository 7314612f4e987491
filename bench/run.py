"""`make bench`: build the 1x and 100x datasets on PostgreSQL, measure every page of every role, every list's
first, middle and last page, the exports, the import and a loopback load test against the targets of
issue 19, and write bench/results.md with a verdict per target (bench/report.py).

    .venv/bin/python bench/run.py                 # 1x and 100x (make bench)
    .venv/bin/python bench/run.py --quick         # 1x only, short load test: bench/results-quick.md
    .venv/bin/python bench/run.py --scales 1 10 100
    .venv/bin/python bench/run.py --scales 1 --profile   # pyinstrument profiles: bench/data/profiles/
    .venv/bin/python bench/run.py --scales 1 10 --build-only

Databases: BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/ikm_bench, with
`_<scale>x` appended to the database name (ikm_bench_1x, ikm_bench_10x, ikm_bench_100x). A database is
built once: a marker table (bench_dataset) records what it holds, and the next run reuses it. Only a
database that has the marker table (or no table at all) is ever dropped and rebuilt.

Dataset at scale N: every province x 40N activities x 25 participations for the measured year (2025),
2021-2024 at min(N, 10) to spare disk, plus the real cases of 2020 (`seed_demo --scale N --copy`: bulk
rows and their history rows by PostgreSQL COPY). Everything runs against bench.settings (production
settings, a bench-only URLconf with the bare page, plain http on the loopback). The measurements only
read the datasets, apart from the sessions they sign in with and the import's rolled-back transaction.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script (bench/run.py): the project's packages, bench included
    sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.md"
RESULTS_QUICK = ROOT / "bench" / "results-quick.md"  # a QUICK run never overwrites the full run's report
PYTHON = sys.executable
MEASURED_YEAR = 2025
OTHER_YEARS = [2021, 2022, 2023, 2024]
OTHER_YEARS_MAX_SCALE = 10
DATASET_VERSION = 1  # raise when the generator or the schema of the data changes: rebuilds the datasets
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ikm_bench"
SECRET = "bench-only-secret-key-not-for-production-0123456789abcdef"  # noqa: S105 - a throw-away bench key
IMPORT_ROWS = 50_000
IMPORT_PROVINCE = "51"
THINK = (1.0, 5.0)  # seconds a simulated user waits between two actions (reading, typing)
REPEATS = {1: 7, 10: 5, 100: 3}  # timed runs per page after one warm-up: every page and role in minutes
QUICK_REPEATS = 3
SLOW_PAGE_S = 2  # a page whose warm-up takes longer is timed once more only (the walk stays in minutes)
PROFILE_REQUESTS = 5  # requests per profiled page (and as many timed unprofiled before)

# --- Databases ----------------------------------------------------------------------------------------------


def base_url():
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_URL


def db_url(scale):
    parts = urlsplit(base_url())
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"bench: PostgreSQL only, not {parts.scheme} (set BENCH_DATABASE_URL)")
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{scale}x"))


def db_name(url):
    return urlsplit(url).path.lstrip("/")


def connect(url, autocommit=True):
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(
        dbname=db_name(url),
        user=parts.username or "postgres",
        password=parts.password,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    conn.autocommit = autocommit
    return conn


def admin_url(url):
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def spec(scale):
    plan = [[OTHER_YEARS, min(scale, OTHER_YEARS_MAX_SCALE)], [[MEASURED_YEAR], scale]]
    return json.dumps({"version": DATASET_VERSION, "plan": plan})


def dataset_state(url, scale):
    """'ready' (built to this spec), 'missing' (no database), 'stale' (ours, other spec) or 'foreign'."""
    import psycopg2

    try:
        conn = connect(url)
    except psycopg2.OperationalError as e:
        if "does not exist" in str(e):
            return "missing"
        raise
    with conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_dataset') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("SELECT spec FROM bench_dataset WHERE ready")
            row = cur.fetchone()
            return "ready" if row and row[0] == spec(scale) else "stale"
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        return "stale" if cur.fetchone()[0] == 0 else "foreign"


def recreate(url):
    conn = connect(admin_url(url))
    name = db_name(url).replace('"', "")
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


# --- Building -----------------------------------------------------------------------------------------------


def django_env(scale, **extra):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": db_url(scale),
        "BENCH_DATABASE_URL": base_url(),  # so that a subprocess derives the same names
        "SECRET_KEY": SECRET,
        "DEBUG": "False",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        # As in production (README): the shared cache, Redis, when one answers; else each process's own.
        "CACHE_URL": cache_url(),
        "CACHE_KEY_PREFIX": f"bench{scale}x",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    env.update(extra)
    return env


def cache_url():
    """BENCH_CACHE_URL, else Redis on the loopback (database 15) when it answers, else "" (local memory)."""
    if "BENCH_CACHE_URL" in os.environ:
        return os.environ["BENCH_CACHE_URL"]
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/15"
    except OSError:
        return ""


def manage(scale, *args, log=None):
    out = open(log, "a") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    try:
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [PYTHON, str(ROOT / "manage.py"), *args],
            env=django_env(scale),
            cwd=ROOT,
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT if log else None,
        )
    finally:
        if log:
            out.close()


def build(scale):
    url = db_url(scale)
    state = dataset_state(url, scale)
    if state == "ready":
        print(f"[{scale}x] dataset {db_name(url)} ready (built before): reused", flush=True)
        conn = connect(url)
        with conn.cursor() as cur:  # a dataset built before the commit was recorded: NULL, not known
            cur.execute("ALTER TABLE bench_dataset ADD COLUMN IF NOT EXISTS commit text")
        conn.close()
        manage(scale, "migrate", "--no-input", "-v0")  # new indexes of the code under test, if any
        return 0.0
    if state == "foreign":
        sys.exit(f"bench: {db_name(url)} holds tables but no bench_dataset marker: not ours, not dropped")
    DATA.mkdir(exist_ok=True)
    log = DATA / f"build-{scale}x.log"
    log.write_text("")
    print(f"[{scale}x] building {db_name(url)} (log: {log.relative_to(ROOT)}) ...", flush=True)
    started = time.monotonic()
    recreate(url)
    conn = connect(url)
    with conn.cursor() as cur:
        # seconds: the whole build, from the empty database to the marker's ready; commit: the code that
        # built it (a reused dataset says so in the report).
        cur.execute(
            "CREATE TABLE bench_dataset (spec text, ready boolean, built_at timestamptz, seconds real, "
            "commit text)"
        )
        cur.execute("INSERT INTO bench_dataset VALUES (%s, false, now(), NULL, %s)", [spec(scale), commit()])
    manage(scale, "migrate", "--no-input", "-v0", log=log)
    print(f"[{scale}x]   migrated: {time.monotonic() - started:.0f} s", flush=True)
    manage(scale, "seed_demo", "--force", "-v0", log=log)  # users and the real cases of 2020
    print(f"[{scale}x]   demo (2020, TP 2024): {time.monotonic() - started:.0f} s", flush=True)
    with conn.cursor() as cur:
        cur.execute("SELECT code FROM provinces_province ORDER BY code")
        codes = [c for (c,) in cur.fetchall()]
    halves = [codes[0::2], codes[1::2]]  # two processes: the generator and PostgreSQL share the 2 cores
    for years, n in json.loads(spec(scale))["plan"]:
        with ThreadPoolExecutor(2) as pool:
            jobs = [
                pool.submit(
                    manage,
                    scale,
                    "seed_demo",
                    "--force",
                    "-v0",
                    "--copy",
                    "--synthetic-only",  # the demo is there: not checked again by each process
                    "--scale",
                    str(n),
                    "--years",
                    *map(str, years),
                    "--provinces",
                    *half,
                    log=DATA / f"build-{scale}x-{i}.log",
                )
                for i, half in enumerate(halves)
            ]
            for job in jobs:
                job.result()
        print(f"[{scale}x]   years {years} at {n}x: {time.monotonic() - started:.0f} s", flush=True)
    with conn.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")  # statistics, and the visibility map that index-only scans need
        seconds = time.monotonic() - started
        cur.execute("UPDATE bench_dataset SET ready = true, built_at = now(), seconds = %s", [seconds])
    conn.close()
    print(f"[{scale}x] built in {seconds:.0f} s", flush=True)
    return seconds


def commit():
    """The commit of the code running, "+" when tracked files differ from it; None outside a git checkout."""
    git = shutil.which("git")
    if git is None:
        return None

    def run(*args):
        return subprocess.run(  # noqa: S603 - git, on our own checkout
            [git, *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head, changed = run("rev-parse", "HEAD"), run("status", "--porcelain", "--untracked-files=no")
    except subprocess.CalledProcessError:
        return None
    return head + ("+" if changed else "")


def dataset_facts(scale):
    """Counts of the measured year, the database's size, and what the marker says of the build: its
    seconds, when it ended and, when the marker records it, the git commit of the code that built it."""
    conn = connect(db_url(scale))
    with conn.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        size = cur.fetchone()[0]
        cur.execute("SELECT * FROM bench_dataset WHERE ready")
        marker = dict(zip([d[0] for d in cur.description], cur.fetchone() or (), strict=False))
        counts = {}
        for table in ("activity", "participation", "output", "handover"):
            cur.execute(f"SELECT count(*) FROM programs_{table} WHERE year = %s", [MEASURED_YEAR])  # noqa: S608
            counts[table] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM programs_participation")
        counts["participation_all_years"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM programs_historicalparticipation")
        counts["participation_history"] = cur.fetchone()[0]
    conn.close()
    commit = next((marker[k] for k in ("commit", "git_commit", "code") if marker.get(k)), None)
    return {
        "db_bytes": size,
        "build_seconds": marker.get("seconds"),
        "built_at": str(marker.get("built_at", "?")),
        "commit": commit,
        "counts": counts,
    }


# --- Measuring (in a Django subprocess per scale) -----------------------------------------------------------


def _setup_django(scale):
    os.environ.update(django_env(scale))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _signed_in_client(username):
    """A test client signed in as `username`; ministry staff also pass the second factor, as the real
    sign-in with a TOTP code would leave the session (django_otp.login sets the same session key)."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.otp import second_factor_required

    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if second_factor_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _consume(response):
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def _timed(client, url, repeats, capture=True):
    """({status, median ms, sorted query counts, runs}, the warm-up's body) of `url`: one warm-up, then
    `repeats` timed GETs (none when the warm-up is not a 200 HTML page, one when it took over SLOW_PAGE_S)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    response = client.get(url)
    body = _body(response)
    warm = time.perf_counter() - started
    html = response.get("Content-Type", "").startswith("text/html")
    if response.status_code != 200 or not html:
        return {"status": response.status_code, "html": html}, body
    if warm > SLOW_PAGE_S:  # far over every limit: one more run says so as well as seven would
        repeats = 1
    times, queries = [], set()
    for _i in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            _consume(client.get(url))
            times.append(time.perf_counter() - started)
        queries.add(len(captured))
    median = statistics.median(times) * 1000
    return {"status": 200, "median_ms": median, "queries": sorted(queries), "runs": repeats}, body


def _body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def last_page(body, param):
    """The number of the last page, read from the pager's links (its "»" is the last page); 1 without."""
    import re

    numbers = [int(n) for n in re.findall(rf"[?&;]{param}=(\d+)".encode(), body)]
    return max(numbers, default=1)


def cmd_measure(scale, repeats):
    """Every page of every role (bench/pages.py), the lists' first, middle and last pages, the reference
    SQL and the recap's exactness; one JSON line."""
    _setup_django(scale)
    from django.db import connection
    from django.urls import reverse

    from bench import pages
    from bench.reference import SQL

    year = MEASURED_YEAR
    walk_started, walk_cpu = time.monotonic(), time.process_time()
    worlds, clients = {}, {}
    measured = {}  # "url name|label" -> {"name", "label", "roles": {role: result}}
    for role, (code, regency) in pages.ROLES.items():
        clients[role] = _signed_in_client(role)
        if (code, regency) not in worlds:
            worlds[code, regency] = pages.world(year, code, regency)
        w = worlds[code, regency]
        for name, label, build in pages.every_page():
            entry = measured.setdefault(f"{name}|{label}", {"name": name, "label": label, "roles": {}})
            url = build(w)
            if url is None:
                entry["roles"][role] = {"status": "no object in the dataset"}
                continue
            result, _body_ = _timed(clients[role], url, repeats)
            entry["roles"][role] = {"url": url, **result}
    lists = {}
    for name, param in pages.LISTS.items():
        roles = ("admin",) if name.startswith("admin:") else pages.LIST_ROLES
        for role in roles:
            first = reverse(name)
            result, body = _timed(clients[role], first, repeats)
            if result["status"] != 200:
                lists[f"{name}|{role}"] = {"name": name, "role": role, "status": result["status"]}
                continue
            last = last_page(body, param)
            depth = {"first": (1, result)}
            for where, number in (("middle", max(1, (last + 1) // 2)), ("last", last)):
                url = f"{first}?{param}={number}"
                depth[where] = (number, _timed(clients[role], url, repeats)[0])
            lists[f"{name}|{role}"] = {
                "name": name,
                "role": role,
                "pages": last,
                "depth": {where: {"page": n, **r} for where, (n, r) in depth.items()},
            }
    # The walk's own CPU beside its wall time: on a busy machine the wall time is mostly waiting, and the
    # CPU (this process's, PostgreSQL's not counted) says what it would take on a quiet one.
    walk = {"wall_s": time.monotonic() - walk_started, "cpu_s": time.process_time() - walk_cpu}
    times = []
    with connection.cursor() as cursor:
        for i in range(repeats + 1):
            started = time.perf_counter()
            cursor.execute(SQL, {"year": year})
            cursor.fetchall()
            if i:
                times.append(time.perf_counter() - started)
    reference_ms = statistics.median(times) * 1000
    recap_ms = measured["reports:national|recap page"]["roles"]["pusat"].get("median_ms")
    # Fast is worth nothing unless exact: every figure of the recap (read from the tallies) against the
    # reference SQL (adding up the records through the normalised joins), on the same data.
    from django.contrib.auth import get_user_model

    from bench.reference import differing_figures
    from programs.reports import RECAP_FIGURES, Filters, national_recap

    recap = national_recap(get_user_model().objects.get(username="pusat"), Filters(year=year))
    differing = differing_figures(recap, year)
    exactness = {
        "figures": (len(recap.rows) + 1) * len(RECAP_FIGURES),
        "differing": len(differing),
        "examples": [list(map(str, d)) for d in differing[:5]],
    }
    activity = worlds["51", None].activity
    print(
        json.dumps(
            {
                "pages": measured,
                "lists": lists,
                "repeats": repeats,
                "walk": walk,
                "reference_ms": reference_ms,
                "recap_ms": recap_ms,
                "exact": exactness,
                "activity": {
                    "pk": activity.pk,
                    "outputs": activity.n_outputs,
                    "status": activity.review_status,
                },
            }
        )
    )


def cmd_profile(scale):
    """A text profile (pyinstrument, 1 ms samples) of each of the issue's pages, as the ministry and as
    Bali's operator, over PROFILE_REQUESTS requests after a warm-up and as many timed without the
    profiler: bench/data/profiles/<scale>x-<role>-<page>.txt."""
    _setup_django(scale)
    from pyinstrument import Profiler

    from bench import pages

    out = DATA / "profiles"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for role in pages.LIST_ROLES:
        code, regency = pages.ROLES[role]
        w = pages.world(MEASURED_YEAR, code, regency)
        client = _signed_in_client(role)
        for name, (label, _limit) in pages.TARGET_PAGES.items():
            url = pages.PAGES[name][label](w)
            response = client.get(url)
            _consume(response)
            if response.status_code != 200:
                continue
            plain = []
            for _i in range(PROFILE_REQUESTS):
                started = time.perf_counter()
                _consume(client.get(url))
                plain.append(time.perf_counter() - started)
            ms = statistics.median(plain) * 1000
            profiler = Profiler(interval=0.001)
            with profiler:
                for _i in range(PROFILE_REQUESTS):
                    _consume(client.get(url))
            slug = label.split(" (")[0].replace(" ", "-").lower()
            path = out / f"{scale}x-{role}-{slug}.txt"
            head = (
                f"{url} as {role} at {scale}x: median {ms:.1f} ms unprofiled (load average "
                f"{os.getloadavg()[0]:.1f}); the profile is of the next {PROFILE_REQUESTS} requests\n"
            )
            path.write_text(head + profiler.output_text(unicode=True, color=False, show_all=False))
            written.append(
                {"page": label, "role": role, "ms": round(ms, 1), "file": str(path.relative_to(ROOT))}
            )
    print(json.dumps(written))


def cmd_plan():
    import django

    django.setup()
    from bench.plan import ensure_plan

    print(json.dumps(ensure_plan(MEASURED_YEAR)))


def cmd_memory(scale, what, fmt):
    """Peak memory, duration and time to the first byte of one export streamed to the end: the process's
    peak RSS over what it held before; the first byte is the first chunk of `streaming_content` (of
    `content` when the response does not stream: then the whole file).

    RSS rather than tracemalloc, which slows openpyxl down several times (at 100x the XLSX would take
    minutes more); a fresh process per export, so each peak is its own.
    """
    _setup_django(scale)
    client = _signed_in_client("pusat")
    url = {
        "recap": f"/laporan/nasional/?tahun={MEASURED_YEAR}&format={fmt}",
        "activities": f"/kegiatan/?tahun={MEASURED_YEAR}&format={fmt}",
    }[what]
    _consume(client.get(f"/laporan/nasional/?tahun={MEASURED_YEAR}&format=json"))  # imports, first queries
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    if response.streaming:
        chunks = iter(response.streaming_content)
        size = len(next(chunks, b""))
        first_byte = time.perf_counter() - started
        size += sum(len(chunk) for chunk in chunks)
    else:
        size = len(response.content)
        first_byte = time.perf_counter() - started
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "peak_bytes": peak - before,
                "rss_bytes": peak,
                "size": size,
                "seconds": seconds,
                "first_byte_seconds": first_byte,
                "streaming": response.streaming,
            }
        )
    )


def cmd_import(scale):
    """Rows per second of the 50,000-row firm file (XLSX), read, checked and written with history by COPY,
    in one transaction rolled back afterwards (programs.management.samples.benchmark_rows_per_second)."""
    _setup_django(scale)
    from django.contrib.auth import get_user_model

    from programs.management.samples import benchmark_rows_per_second, write_sample_file
    from programs.models import Firm

    DATA.mkdir(exist_ok=True)
    path = DATA / f"firms-{IMPORT_ROWS}.xlsx"
    if not path.exists():
        write_sample_file(path, IMPORT_ROWS, IMPORT_PROVINCE)
    user = get_user_model().objects.get(username=f"op-{IMPORT_PROVINCE}")
    before = Firm.objects.count()
    rate = benchmark_rows_per_second(path, IMPORT_PROVINCE, user=user)
    assert Firm.objects.count() == before  # rolled back: nothing stays
    print(json.dumps({"rows": IMPORT_ROWS, "rows_per_second": rate}))


def cmd_sessions(scale, ministry_sessions):
    """Signed-in sessions for the load test: each province's operator and `ministry_sessions` of pusat."""
    _setup_django(scale)
    from programs.models import Activity

    out = []
    # The provinces' operators (op-51), not the regency operator (op-63.71), whose "code" names no province.
    for code in sorted({u.split("-")[1] for u in _usernames("op-") if "." not in u}):
        client = _signed_in_client(f"op-{code}")
        ids = list(
            Activity.objects.filter(province__code=code, year=MEASURED_YEAR).values_list("pk", flat=True)[:20]
        )
        out.append(
            {
                "role": "operator",
                "province": code,
                "sessionid": client.cookies["sessionid"].value,
                "activities": ids,
            }
        )
    codes = [s["province"] for s in out]
    for _i in range(ministry_sessions):
        client = _signed_in_client("pusat")
        out.append({"role": "ministry", "sessionid": client.cookies["sessionid"].value, "provinces": codes})
    print(json.dumps(out))


def _usernames(prefix):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username__startswith=prefix).values_list("username", flat=True)


def sub(scale, *args):
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [PYTHON, __file__, *args], env=django_env(scale), cwd=ROOT, check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Load test ----------------------------------------------------------------------------------------------


def _actions(year):
    from bench import load

    def own(path):
        return lambda u: path.format(code=u.session["province"], year=year)

    def some_activity(u):
        return f"/kegiatan/{u.rng.choice(u.session['activities'])}/"

    def some_province(u):
        return f"/laporan/provinsi/{u.rng.choice(u.session['provinces'])}/?tahun={year}"

    note = load.form_post(
        own("/laporan/provinsi/{code}/triwulan/4/catatan/?tahun={year}"),
        {
            "problems": lambda u: (
                f"Uji beban {u.rng.randint(1, 10**6)}: keterlambatan pengiriman bahan baku."
            ),
            "follow_up": lambda u: "Koordinasi dengan dinas kabupaten/kota.",
            "physical_progress": lambda u: "Sesuai rencana.",
        },
    )
    operator = [
        (30, "activity list", load.page(own("/kegiatan/"))),
        (10, "activity list, page 2", load.page(own("/kegiatan/?halaman=2"))),
        (20, "activity detail", load.page(some_activity)),
        (20, "province report", load.page(own("/laporan/provinsi/{code}/?tahun={year}"))),
        (10, "quarterly report", load.page(own("/laporan/provinsi/{code}/triwulan/4/?tahun={year}"))),
        (10, "form post (quarterly note)", note),
    ]
    ministry = [
        (30, "national recap", load.page(lambda u: f"/laporan/nasional/?tahun={year}")),
        (15, "national recap JSON", load.page(lambda u: f"/laporan/nasional/?tahun={year}&format=json")),
        (40, "province report", load.page(some_province)),
        (15, "covid report", load.page(lambda u: f"/laporan/covid/?tahun={year}")),
    ]
    return operator, ministry


def load_test(scale, seconds, think, operators=38, ministry=12, port=8799):
    """50 users (the 38 provinces' operators, each on their own province, and 12 ministry staff) for
    `seconds`, then the same number
    of users on the bare page; both against gunicorn with 2 workers, started and stopped here."""
    from bench import load

    sessions = sub(scale, "_sessions", str(scale), str(ministry))
    operator_sessions = [s for s in sessions if s["role"] == "operator"]
    ministry_sessions = [s for s in sessions if s["role"] == "ministry"]
    operator_actions, ministry_actions = _actions(MEASURED_YEAR)
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn on the loopback
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "ikm_dekon.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        env=django_env(scale),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(DATA / "gunicorn.log", "a"),  # noqa: SIM115
    )
    try:
        _wait_for(port)
        results = {}
        for name, think_range in (("think", think), ("saturated", None)):
            if think_range is None and not seconds.get("saturated"):
                continue
            rng = load.make_rng(f"{scale}-{name}")
            users = [
                load.User(
                    "127.0.0.1",
                    port,
                    operator_sessions[i % len(operator_sessions)],
                    operator_actions,
                    think_range,
                    load.make_rng(f"{name}-op-{i}"),
                )
                for i in range(operators)
            ] + [
                load.User(
                    "127.0.0.1",
                    port,
                    ministry_sessions[i],
                    ministry_actions,
                    think_range,
                    load.make_rng(f"{name}-min-{i}"),
                )
                for i in range(ministry)
            ]
            rng.shuffle(users)
            duration = seconds["think"] if think_range else seconds["saturated"]
            if name == "think":
                load.warm("127.0.0.1", port, users)
            load_before = os.getloadavg()[0]
            app = load.run("127.0.0.1", port, users, duration, server.pid)
            bare_users = [
                load.User(
                    "127.0.0.1",
                    port,
                    {"sessionid": ""},
                    [(1, "bare page", load.page(lambda u: "/bench/bare/"))],
                    think_range,
                    load.make_rng(f"{name}-bare-{i}"),
                )
                for i in range(operators + ministry)
            ]
            bare_seconds = min(duration, seconds.get("bare", duration))
            bare = load.run("127.0.0.1", port, bare_users, bare_seconds, server.pid)
            results[name] = {"app": app, "bare": bare, "loadavg": [load_before, os.getloadavg()[0]]}
            print(
                f"[{scale}x] load ({name}): app {app['rps']} req/s p95 {app['p95_ms']} ms, "
                f"{app['errors']} errors; bare {bare['rps']} req/s",
                flush=True,
            )
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(port):
    import urllib.request

    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("bench: gunicorn did not answer on /healthz")


# --- Report -------------------------------------------------------------------------------------------------


def machine():
    conn = connect(db_url(1))
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    conn.close()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "cpu": _cpu_name(),
        "postgresql": pg,
        "python": platform.python_version(),
        "os": platform.platform(),
        "disk_free_gib": round(shutil.disk_usage(ROOT).free / 2**30, 1),
        "cache": cache_url() or "local memory (no Redis answered)",
    }


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


# --- Main ---------------------------------------------------------------------------------------------------


def main():
    started = time.monotonic()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1x only, short load test (under two minutes)")
    parser.add_argument("--scales", type=int, nargs="+", help="default 1 100 (1 with --quick)")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--no-load", action="store_true", help="skip the load test")
    parser.add_argument("--repeats", type=int, help=f"timed runs per page (default {REPEATS})")
    parser.add_argument("--output", help="default bench/results.md (bench/results-quick.md with --quick)")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from the last run")
    parser.add_argument("--load-only", action="store_true", help="run the load tests again, keep the rest")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="only profile the issue's pages: bench/data/profiles/ (pyinstrument)",
    )
    args = parser.parse_args()
    output = args.output or (RESULTS_QUICK if args.quick else RESULTS)
    raw = DATA / ("last-run-quick.json" if args.quick else "last-run.json")  # to write the report again
    if args.report_only or args.load_only:
        run = report_module().normalise(json.loads(raw.read_text()))
        if args.load_only:
            run["loads"] = _load_tests(run["scales"], run["quick"])
            raw.write_text(json.dumps(run, default=str))
        write_report(run, output)
        return
    scales = sorted(args.scales or ([1] if args.quick else [1, 100]))  # growth: from the first to the last
    DATA.mkdir(exist_ok=True)
    subprocess.run(  # noqa: S603 - our manage.py: the manifest the production static storage needs
        [PYTHON, str(ROOT / "manage.py"), "collectstatic", "--no-input", "-v0"],
        env=django_env(scales[0]),
        cwd=ROOT,
        check=True,
    )
    reused = {}
    for s in scales:
        reused[s] = dataset_state(db_url(s), s) == "ready"
        build(s)
        planned = sub(s, "_plan")  # the measured year's DIPA plan (once; reused with the dataset)
        if planned["allocations"]:
            print(f"[{s}x] plan added to {planned['allocations']} allocations of {MEASURED_YEAR}", flush=True)
    if args.build_only:
        return
    if args.profile:
        for s in scales:
            for written in sub(s, "_profile", str(s)):
                print(
                    f"[{s}x] {written['page']} as {written['role']}: {written['ms']} ms -> {written['file']}"
                )
        return
    run = {"scales": scales, "quick": args.quick, "year": MEASURED_YEAR}
    results, facts, memory, imports = {}, {}, {}, {}
    for s in scales:
        facts[s] = {**dataset_facts(s), "reused": reused[s], "loadavg": os.getloadavg()[0]}
        repeats = args.repeats or (QUICK_REPEATS if args.quick else REPEATS.get(s, REPEATS[100]))
        step = time.monotonic()
        results[s] = sub(s, "_measure", str(s), str(repeats))
        print(f"[{s}x] every page of every role, and the lists: {time.monotonic() - step:.0f} s", flush=True)
        step = time.monotonic()
        memory[s] = {
            f"{what} {fmt.upper()}": sub(s, "_memory", str(s), what, fmt)
            for what in ("recap", "activities")
            for fmt in ("xlsx", "csv")
        }
        print(f"[{s}x] exports: {time.monotonic() - step:.0f} s", flush=True)
        imports[s] = sub(s, "_import", str(s))
        print(f"[{s}x] import {imports[s]['rows_per_second']:,.0f} rows/s", flush=True)
    run.update(results=results, facts=facts, memory=memory, imports=imports, loads={})
    if not args.no_load:
        run["loads"] = _load_tests(scales, args.quick)
    run["wall_seconds"] = time.monotonic() - started
    raw.write_text(json.dumps(run, default=str))
    write_report(report_module().normalise(json.loads(raw.read_text())), output)


def report_module():
    from bench import report

    return report


def _load_tests(scales, quick):
    """The largest scale is the target's; the smallest shows what the pages cost before the data grows."""
    # QUICK: a shorter bare phase (a floor, not a target) keeps the run under two minutes.
    seconds = {"think": 20, "saturated": 0, "bare": 10} if quick else {"think": 60, "saturated": 30}
    return {s: load_test(s, seconds, think=THINK) for s in sorted({min(scales), max(scales)}, reverse=True)}


def write_report(run, output):
    lines, checks = report_module().report(run, machine(), THINK)
    notes = ROOT / "bench" / "notes.md"  # the hand-written analysis of the figures, kept with them
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    text = "\n".join(lines)
    Path(output).write_text(text + "\n")
    print(text)
    missed = [c for c in checks if c.ok is False]
    print(
        f"bench: {len(missed)} of {len(checks)} targets missed; {run['wall_seconds']:.0f} s; "
        f"report in {output}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        command, *rest = sys.argv[1:]
        {
            "_measure": lambda: cmd_measure(int(rest[0]), int(rest[1])),
            "_profile": lambda: cmd_profile(int(rest[0])),
            "_memory": lambda: cmd_memory(int(rest[0]), rest[1], rest[2]),
            "_import": lambda: cmd_import(int(rest[0])),
            "_sessions": lambda: cmd_sessions(int(rest[0]), int(rest[1])),
            "_plan": cmd_plan,
        }[command]()
    else:
        main()
