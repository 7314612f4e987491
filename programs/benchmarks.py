"""Where a province stands against the absorption benchmark: the one rule behind the home dashboard's
traffic light, the national recap's "status" column and the steps of its map's colour scale.

Why one module: the same absorption must get the same word, icon and colour wherever it is shown; the map's
legend (static/js/reports.js) receives the steps from here in the page's data and never redefines them.

The benchmark itself is `periods.trajectory_pct(month)` (the quarterly 15/40/60/90 % and a straight line
between); this module never computes it, and it never reads the database.

The steps, by the gap = absorption − benchmark in percentage points:
- on track ("sesuai target"): gap ≥ 0;
- slightly behind ("sedikit tertinggal"): −5 ≤ gap < 0;
- behind ("tertinggal"): −15 ≤ gap < −5;
- far behind ("jauh tertinggal"): gap < −15;
- no data ("tidak ada data"): no allocation (absorption unknown) or no realisation recorded — never
  shown as 0 %.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .periods import trajectory_pct


@dataclass(frozen=True)
class Standing:
    key: str
    label: str
    icon: str  # a text symbol beside the word: colour is never the only cue
    css: str  # the class of its swatch and badge (static/css/app.css: .standing-<key>)
    #: the smallest gap (points) that still falls in this step; None: the last step, or no data
    min_gap: Decimal | None


ON_TRACK = Standing("on_track", _("Sesuai target"), "✓", "standing-on_track", Decimal(0))
SLIGHTLY_BEHIND = Standing(
    "slightly_behind", _("Sedikit tertinggal"), "!", "standing-slightly_behind", Decimal(-5)
)
BEHIND = Standing("behind", _("Tertinggal"), "▼", "standing-behind", Decimal(-15))
FAR_BEHIND = Standing("far_behind", _("Jauh tertinggal"), "✕", "standing-far_behind", None)
NO_DATA = Standing("no_data", _("Tidak ada data"), "–", "standing-no_data", None)

#: The steps with a value, best first (then NO_DATA).
STEPS = [ON_TRACK, SLIGHTLY_BEHIND, BEHIND, FAR_BEHIND]
BY_KEY = {s.key: s for s in [*STEPS, NO_DATA]}


def benchmark_pct(month):
    """The benchmark as of the end of `month` (periods.trajectory_pct: the agreed one home)."""
    return trajectory_pct(month)


def gap(absorption, benchmark):
    """Absorption minus the benchmark, in points (None without an absorption)."""
    if absorption is None:
        return None
    return (Decimal(absorption) - Decimal(benchmark)).quantize(Decimal("0.01"))


def standing(absorption, benchmark, *, recorded=True):
    """The step of an absorption (%) against a benchmark (%); `recorded`: whether any realisation was
    recorded (without, the province has no data rather than 0 %)."""
    difference = gap(absorption, benchmark)
    if difference is None or not recorded:
        return NO_DATA
    for step in STEPS:
        if step.min_gap is None or difference >= step.min_gap:
            return step
    return FAR_BEHIND  # pragma: no cover - the last step has no lower bound


def legend():
    """The steps as the map's script reads them: key, label, icon, css, and the gap bounds in points."""
    out = []
    upper = None
    for step in STEPS:
        out.append(
            {
                "key": step.key,
                "label": str(step.label),
                "icon": step.icon,
                "css": step.css,
                "min_gap": float(step.min_gap) if step.min_gap is not None else None,
                "max_gap": float(upper) if upper is not None else None,
            }
        )
        upper = step.min_gap
    out.append({"key": NO_DATA.key, "label": str(NO_DATA.label), "icon": NO_DATA.icon, "css": NO_DATA.css})
    return out
