"""`make bench`: build 1x, 10x and 100x datasets on PostgreSQL, measure the reports against a hand-written
reference SQL, the export memory, the import speed and a loopback load test; write bench/results.md.

    .venv/bin/python bench/run.py            # 1x, 10x, 100x (make bench)
    .venv/bin/python bench/run.py --quick    # 1x only, short load test (make bench QUICK=1)
    .venv/bin/python bench/run.py --scales 1 10 --build-only

Databases: BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/ikm_bench, with
`_<scale>x` appended to the database name (ikm_bench_1x, ikm_bench_10x, ikm_bench_100x). A database is
built once: a marker table (bench_dataset) records what it holds, and the next run reuses it. Only a
database that has the marker table (or no table at all) is ever dropped and rebuilt.

Dataset at scale N: every province x 40N activities x 25 participations for the measured year (2025),
2021-2024 at min(N, 10) to spare disk, plus the real cases of 2020 (`seed_demo --scale N --copy`: bulk
rows and their history rows by PostgreSQL COPY). Everything runs against bench.settings (production
settings, a bench-only URLconf with the bare page, plain http on the loopback).
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

TARGETS = {
    "ratio": {1: 1.5, 10: 0.5, 100: 0.25},
    "p95_ms": 150,
    "rps_share": 0.5,
    "memory_mb": 50,
    "import": 5000,
}


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
    }
    env.pop("DATABASE_REPLICA_URL", None)
    env.update(extra)
    return env


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
    conn = connect(db_url(scale))
    with conn.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database()), seconds FROM bench_dataset")
        size, seconds = cur.fetchone()
        counts = {}
        for table in ("activity", "participation", "output", "handover"):
            cur.execute(f"SELECT count(*) FROM programs_{table} WHERE year = %s", [MEASURED_YEAR])  # noqa: S608
            counts[table] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM programs_participation")
        counts["participation_all_years"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM programs_historicalparticipation")
        counts["participation_history"] = cur.fetchone()[0]
    conn.close()
    return {"db_bytes": size, "build_seconds": seconds, "counts": counts}


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


def cmd_measure(scale, repeats):
    _setup_django(scale)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.reference import SQL
    from programs.models import Activity
    from programs.views.common import PAGE_SIZE

    client = _signed_in_client("pusat")
    # The list opens on the latest fiscal year (the measured one): its middle page.
    pages_count = max(1, Activity.objects.filter(year=MEASURED_YEAR).count() // PAGE_SIZE)
    deep = pages_count // 2
    year = MEASURED_YEAR
    pages = [
        ("recap page", f"/laporan/nasional/?tahun={year}"),
        ("recap JSON", f"/laporan/nasional/?tahun={year}&format=json"),
        ("recap XLSX", f"/laporan/nasional/?tahun={year}&format=xlsx"),
        ("province report", f"/laporan/provinsi/{IMPORT_PROVINCE}/?tahun={year}"),
        # Each RO's achievement as of December (bench/plan.py gives the measured year its plan).
        ("capaian page", f"/laporan/provinsi/{IMPORT_PROVINCE}/capaian/?tahun={year}&bulan=12"),
        ("capaian JSON", f"/laporan/provinsi/{IMPORT_PROVINCE}/capaian/?tahun={year}&bulan=12&format=json"),
        ("activity list, page 1", "/kegiatan/"),  # the latest year, 2025, by default
        ("activity list, deep page", f"/kegiatan/?halaman={deep}"),
    ]
    results = {}
    for name, url in pages:
        times, queries = [], set()
        for i in range(repeats + 1):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                _consume(response)
                elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{name}: {url} answered {response.status_code}")
            if i:  # the first run warms the caches and is not counted
                times.append(elapsed)
                queries.add(len(captured))
        results[name] = {"url": url, "median_ms": statistics.median(times) * 1000, "queries": sorted(queries)}
    times = []
    with connection.cursor() as cursor:
        for i in range(repeats + 1):
            started = time.perf_counter()
            cursor.execute(SQL, {"year": year})
            cursor.fetchall()
            if i:
                times.append(time.perf_counter() - started)
    results["reference SQL"] = {"median_ms": statistics.median(times) * 1000, "queries": [1]}
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
    print(
        json.dumps(
            {"pages": results, "activities": Activity.objects.count(), "deep_page": deep, "exact": exactness}
        )
    )


def cmd_plan():
    import django

    django.setup()
    from bench.plan import ensure_plan

    print(json.dumps(ensure_plan(MEASURED_YEAR)))


def cmd_memory(scale, what, fmt):
    """Peak memory of one export streamed to the end: the process's peak RSS over what it held before.

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
    size = _consume(response)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"peak_bytes": peak - before, "rss_bytes": peak, "size": size, "seconds": seconds}))


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
    for code in sorted({u.split("-")[1] for u in _usernames("op-")}):
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
            app = load.run("127.0.0.1", port, users, duration)
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
            bare = load.run("127.0.0.1", port, bare_users, duration)
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
    }


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def mb(n):
    return f"{n / 2**20:.1f} MB"


def verdict(ok):
    return "met" if ok else "**missed**"


def report(scales, results, facts, loads, memory, imports, quick):
    info = machine()
    lines = [
        "# Benchmark results",
        "",
        f"Run of `make bench{' QUICK=1' if quick else ''}` on {info['date']}: {info['cores']} cores "
        f"({info['cpu']}), {info['memory_gib']} GiB memory, PostgreSQL {info['postgresql']}, Python "
        f"{info['python']}, {info['os']}. Measured year {MEASURED_YEAR}; medians of repeated runs through "
        "Django's test client (signed in as ministry staff, second factor passed), after one warm-up run.",
        "",
        "## Datasets",
        "",
        "| scale | activities | participations | outputs | handovers | participations, all years | "
        "history rows (participations) | database | build |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scales:
        f, c = facts[s], facts[s]["counts"]
        lines.append(
            f"| {s}x | {c['activity']:,} | {c['participation']:,} | {c['output']:,} | {c['handover']:,} | "
            f"{c['participation_all_years']:,} | {c['participation_history']:,} | "
            f"{f['db_bytes'] / 2**30:.2f} GiB "
            f"| {f['build_seconds'] or 0:.0f} s |"
        )
    lines += [
        "",
        "## Pages (median ms / queries)",
        "",
        "| page | " + " | ".join(f"{s}x" for s in scales) + " |",
        "|---|" + "---|" * len(scales),
    ]
    names = list(results[scales[0]]["pages"])
    for name in names:
        cells = [
            f"{results[s]['pages'][name]['median_ms']:.1f} ms / "
            f"{','.join(map(str, results[s]['pages'][name]['queries']))}"
            for s in scales
        ]
        label = name
        if name == "activity list, deep page":
            label += " (" + ", ".join(f"page {results[s]['deep_page']}" for s in scales) + ")"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    ratios = {
        s: results[s]["pages"]["recap page"]["median_ms"] / results[s]["pages"]["reference SQL"]["median_ms"]
        for s in scales
    }
    json_ratios = {
        s: results[s]["pages"]["recap JSON"]["median_ms"] / results[s]["pages"]["reference SQL"]["median_ms"]
        for s in scales
    }
    lines.append(
        "| **recap page / reference** | " + " | ".join(f"**{ratios[s]:.3f}**" for s in scales) + " |"
    )
    lines.append("| recap JSON / reference | " + " | ".join(f"{json_ratios[s]:.3f}" for s in scales) + " |")
    exact = {s: results[s].get("exact") for s in scales}
    if all(exact.values()):
        lines += [
            "",
            "Every figure of the recap (provinces and total) compared with the reference SQL on the same "
            "database: "
            + ", ".join(f"{s}x {exact[s]['differing']} of {exact[s]['figures']:,} differ" for s in scales)
            + ".",
        ]
        for s in scales:
            for example in exact[s]["examples"]:
                lines.append(f"- {s}x differs: {' / '.join(example)}")
    lines += [
        "",
        "## Export memory (peak RSS of the process over its RSS before the export; one process each)",
        "",
        "| export | " + " | ".join(f"{s}x" for s in scales) + " | growth |",
        "|---|" + "---|" * (len(scales) + 1),
    ]
    growth = {}
    for key in memory[scales[0]]:
        peaks = [memory[s][key]["peak_bytes"] for s in scales]
        growth[key] = peaks[-1] - peaks[0]
        lines.append(
            f"| {key} | "
            + " | ".join(
                f"{mb(memory[s][key]['peak_bytes'])} ({memory[s][key]['size'] / 2**20:.1f} MB file, "
                f"{memory[s][key]['seconds']:.1f} s)"
                for s in scales
            )
            + f" | {mb(growth[key])} |"
        )
    lines += [
        "",
        "## Import of a 50,000-row firm file (XLSX, all or nothing, rolled back)",
        "",
        "| scale | rows/s |",
        "|---|---|",
    ]
    for s in scales:
        lines.append(f"| {s}x | {imports[s]['rows_per_second']:,.0f} |")
    lines += [
        "",
        "Load average (1 min) when each scale's measurements began: "
        + ", ".join(f"{s}x {facts[s]['loadavg']:.2f}" for s in scales)
        + f" ({info['cores']} cores; above 0 means other work was running on the machine).",
    ]
    for load_scale in sorted(loads, reverse=True):
        lines += _load_lines(load_scale, loads[load_scale])
    checks = []
    if all(exact.values()):
        differing = sum(exact[s]["differing"] for s in scales)
        checks.append(("every recap figure equals the reference SQL", f"{differing} differ", differing == 0))
    for s in scales:
        limit = TARGETS["ratio"].get(s)
        if limit is not None:
            checks.append((f"recap/reference ≤ {limit} at {s}x", f"{ratios[s]:.3f}", ratios[s] <= limit))
    return _targets(lines, checks, scales, results, names, loads, growth, imports, facts, info, ratios)


def _load_lines(load_scale, lt):
    lines = [
        "",
        f"## Load test at {load_scale}x (gunicorn, 2 workers, loopback)",
        "",
        "50 users: 38 provincial operators, one per province (their activity list, page 2, an activity, "
        "the province and quarterly reports, and saving the quarterly note form: GET + POST timed as "
        "one action) and 12 ministry staff reading reports (national recap page and JSON, any province's "
        "report, the Covid-19 report). Sessions are created by the benchmark in the "
        "session store (operators: password sign-in has no second factor; ministry: the session also "
        "carries a confirmed TOTP device, as after typing the code). Then the same number of users on "
        "the bare page (one indexed query, bench/urls.py). One connection per request.",
        "",
    ]
    for phase, label in (
        ("think", f"users think {THINK[0]:g}–{THINK[1]:g} s between actions (as locust's between(1, 5))"),
        ("saturated", "no think time (capacity)"),
    ):
        if phase not in lt:
            continue
        app, bare = lt[phase]["app"], lt[phase]["bare"]
        lines += [
            f"### {label}, {app['seconds']:.0f} s each",
            "",
            "| page | requests | p50 ms | p95 ms | errors |",
            "|---|---|---|---|---|",
        ]
        for page_name, p in app["pages"].items():
            lines.append(f"| {page_name} | {p['requests']} | {p['p50_ms']} | {p['p95_ms']} | {p['errors']} |")
        lines.append(
            f"| **all app pages** | {app['requests']} ({app['rps']} req/s) | {app['p50_ms']} | "
            f"{app['p95_ms']} | {app['errors']} |"
        )
        lines.append(
            f"| **bare page** | {bare['requests']} ({bare['rps']} req/s) | {bare['p50_ms']} | "
            f"{bare['p95_ms']} | {bare['errors']} |"
        )
        lines.append("")
        lines.append(
            "Load average (1 min) before / after the app phase: "
            + " / ".join(f"{x:.2f}" for x in lt[phase]["loadavg"])
        )
        lines.append("")
        if app["error_samples"]:
            lines.append(f"First errors: {app['error_samples']}")
            lines.append("")
    return lines


def _targets(lines, checks, scales, results, names, loads, growth, imports, facts, info, ratios):
    load_scale = max(loads) if loads else None
    lt = loads.get(load_scale, {})
    same = all(len({tuple(results[s]["pages"][n]["queries"]) for s in scales}) == 1 for n in names)
    checks.append(("queries per page the same at every scale", "see the pages table", same))
    think = lt.get("think")
    if think:
        app, bare = think["app"], think["bare"]
        for page_name in ("activity list", "province report"):
            p95 = app["pages"].get(page_name, {}).get("p95_ms")
            checks.append(
                (
                    f"{page_name} p95 < {TARGETS['p95_ms']} ms under load at {load_scale}x",
                    f"{p95} ms",
                    p95 is not None and p95 < TARGETS["p95_ms"],
                )
            )
        errors = sum(
            x["app"]["errors"] + x["bare"]["errors"] for phases in loads.values() for x in phases.values()
        )
        checks.append(("zero errors under load (every phase, every scale)", str(errors), errors == 0))
        share = app["rps"] / bare["rps"] if bare["rps"] else 0
        checks.append(
            (
                "app pages ≥ half the req/s of the bare page (same users, think time)",
                f"{app['rps']} / {bare['rps']} = {share:.2f}",
                share >= TARGETS["rps_share"],
            )
        )
        if "saturated" in lt:
            sat = lt["saturated"]
            share = sat["app"]["rps"] / sat["bare"]["rps"] if sat["bare"]["rps"] else 0
            checks.append(
                (
                    "… and at saturation, no think time (capacity)",
                    f"{sat['app']['rps']} / {sat['bare']['rps']} = {share:.2f}",
                    share >= TARGETS["rps_share"],
                )
            )
    for other in sorted(loads):
        phase = loads[other].get("think")
        if other == load_scale or not phase:
            continue
        app, bare = phase["app"], phase["bare"]
        shown = ", ".join(
            f"{page_name} p95 {app['pages'].get(page_name, {}).get('p95_ms')} ms"
            for page_name in ("activity list", "province report")
        )
        checks.append(
            (
                f"(for comparison, not the target's scale) the same load test at {other}x",
                f"{shown}; app/bare {app['rps']} / {bare['rps']} req/s",
                all(
                    (app["pages"].get(n, {}).get("p95_ms") or 1e9) < TARGETS["p95_ms"]
                    for n in ("activity list", "province report")
                )
                and app["rps"] >= TARGETS["rps_share"] * bare["rps"],
            )
        )
    if len(scales) > 1:
        worst = max(growth.values())
        checks.append(
            (
                f"export memory grows < {TARGETS['memory_mb']} MB from {scales[0]}x to {scales[-1]}x",
                mb(worst),
                worst < TARGETS["memory_mb"] * 2**20,
            )
        )
    slowest = min(imports[s]["rows_per_second"] for s in scales)
    checks.append(
        (
            f"import ≥ {TARGETS['import']:,} rows/s (50,000 rows)",
            f"{slowest:,.0f} rows/s",
            slowest >= TARGETS["import"],
        )
    )
    lines += ["## Targets", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {verdict(ok)} |" for name, value, ok in checks]
    lines += [
        "",
        f"Disk: {sum(facts[s]['db_bytes'] for s in scales) / 2**30:.1f} GiB in the bench databases; "
        f"{info['disk_free_gib']} GiB free after the run.",
        "",
    ]
    return lines, ratios, checks


# --- Main ---------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1x only, short load test (under two minutes)")
    parser.add_argument("--scales", type=int, nargs="+", help="default 1 10 100 (1 with --quick)")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--no-load", action="store_true", help="skip the load test")
    parser.add_argument("--output", default=str(RESULTS))
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from the last run")
    parser.add_argument("--load-only", action="store_true", help="run the load tests again, keep the rest")
    args = parser.parse_args()
    raw = DATA / "last-run.json"  # the measurements, to write the report again (--report-only)
    if args.report_only or args.load_only:
        last = json.loads(raw.read_text())
        if args.load_only:
            last[3] = _load_tests(last[0], args.quick)
            raw.write_text(json.dumps(last, default=str))
        write_report(*last, output=args.output)
        return
    scales = args.scales or ([1] if args.quick else [1, 10, 100])
    DATA.mkdir(exist_ok=True)
    subprocess.run(  # noqa: S603 - our manage.py: the manifest the production static storage needs
        [PYTHON, str(ROOT / "manage.py"), "collectstatic", "--no-input", "-v0"],
        env=django_env(scales[0]),
        cwd=ROOT,
        check=True,
    )
    for s in scales:
        build(s)
        planned = sub(s, "_plan")  # the measured year's DIPA plan (once; reused with the dataset)
        if planned["allocations"]:
            print(f"[{s}x] plan added to {planned['allocations']} allocations of {MEASURED_YEAR}", flush=True)
    if args.build_only:
        return
    results, facts, memory, imports, loads = {}, {}, {}, {}, {}
    repeats = 3 if args.quick else 5
    for s in scales:
        facts[s] = dataset_facts(s)
        facts[s]["loadavg"] = os.getloadavg()[0]  # other work on the machine skews every figure: said
        results[s] = sub(s, "_measure", str(s), str(repeats if s < 100 else 3))
        print(
            f"[{s}x] recap page {results[s]['pages']['recap page']['median_ms']:.0f} ms, reference "
            f"{results[s]['pages']['reference SQL']['median_ms']:.0f} ms",
            flush=True,
        )
        memory[s] = {
            f"{what} {fmt.upper()}": sub(s, "_memory", str(s), what, fmt)
            for what in ("recap", "activities")
            for fmt in ("xlsx", "csv")
        }
        imports[s] = sub(s, "_import", str(s))
        print(f"[{s}x] import {imports[s]['rows_per_second']:,.0f} rows/s", flush=True)
    if not args.no_load:
        loads = _load_tests(scales, args.quick)
    raw.write_text(json.dumps([scales, results, facts, loads, memory, imports, args.quick], default=str))
    write_report(*json.loads(raw.read_text()), output=args.output)


def _load_tests(scales, quick):
    """The largest scale is the target's; the smallest shows what the pages cost before the data grows."""
    seconds = {"think": 20, "saturated": 0} if quick else {"think": 60, "saturated": 30}
    return {s: load_test(s, seconds, think=THINK) for s in sorted({min(scales), max(scales)}, reverse=True)}


def write_report(scales, results, facts, loads, memory, imports, quick, output=RESULTS):
    # JSON keys are strings: the scales again as numbers.
    results, facts, loads, memory, imports = (
        {int(k): v for k, v in d.items()} for d in (results, facts, loads, memory, imports)
    )
    lines, ratios, checks = report(scales, results, facts, loads, memory, imports, quick)
    notes = ROOT / "bench" / "notes.md"  # the hand-written analysis of the figures, kept with them
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    text = "\n".join(lines)
    Path(output).write_text(text + "\n")
    print(text)
    print("recap/reference: " + " ".join(f"{s}x={ratios[s]:.3f}" for s in scales))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        command, *rest = sys.argv[1:]
        {
            "_measure": lambda: cmd_measure(int(rest[0]), int(rest[1])),
            "_memory": lambda: cmd_memory(int(rest[0]), rest[1], rest[2]),
            "_import": lambda: cmd_import(int(rest[0])),
            "_sessions": lambda: cmd_sessions(int(rest[0]), int(rest[1])),
            "_plan": cmd_plan,
        }[command]()
    else:
        main()
