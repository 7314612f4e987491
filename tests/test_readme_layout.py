"""The README's layout table is the newcomer's map of the tree: it must match it.

Every path the table names exists; every module and package of programs/ is named (wiring such as
urls.py, apps.py, migrations/ and templatetags/ aside); and for each package whose row lists its modules
(`programs/views/`: `common`, `home` …) the list is exactly the package's modules.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIRING = {"__init__.py", "apps.py", "urls.py", "report_urls.py", "migrations", "templatetags", "__pycache__"}


def _rows():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        if line.startswith("| `"):
            path_cell, what = line.strip("|").split("|", 1)
            yield re.findall(r"`([^`]+)`", path_cell), what


def test_every_path_of_the_layout_table_exists():
    named = [path for paths, _what in _rows() for path in paths]
    assert len(named) > 10
    assert [path for path in named if not (ROOT / path).exists()] == []


def test_every_module_and_package_of_programs_is_in_the_table():
    named = {path.rstrip("/") for paths, _what in _rows() for path in paths}
    entries = {
        f"programs/{entry.name}"
        for entry in (ROOT / "programs").iterdir()
        if entry.name not in WIRING and (entry.suffix == ".py" or entry.is_dir())
    }
    assert sorted(entries - named) == []


def test_a_package_row_lists_exactly_its_modules():
    checked = 0
    for paths, what in _rows():
        for path in paths:
            package = ROOT / path
            if not path.endswith("/") or not (package / "__init__.py").exists():
                continue
            listed = set(re.findall(r"`([a-z_][a-z0-9_]*)`", what))
            modules = {f.stem for f in package.glob("*.py") if f.name != "__init__.py"}
            if not listed & modules:
                continue  # a row that describes the package without listing its modules
            assert listed & modules == modules, (path, sorted(modules - listed))
            checked += 1
    assert checked >= 4  # forms, views, reports, imports
