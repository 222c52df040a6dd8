#!/usr/bin/env python3
"""Write the inputs and hand-written expectations of tests/vectors/report/city_report.json.

The canonical `report` / `error` fields are filled by the Rust replay
(`UPDATE_VECTORS=1 cargo test -p changkaixin-tests --test report_vectors`); `expect` is written
here by hand (the Wilson bounds in it are computed independently in floating point and rounded
outward, then checked by eye). Re-running this script keeps existing `report`/`error` fields.
"""
import json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "city_report.json")


def L(i, zh=None, en=None):
    return {"id": i, "zh": zh or i, "en": en or i}


def wilson(x, n, z=1.96):
    p = x / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    lo = max(0.0, math.floor(round((c - h) * 1e4, 6)) / 100)
    hi = min(100.0, math.ceil(round((c + h) * 1e4, 6)) / 100)
    return f"{lo:.2f}", f"{hi:.2f}"


def pct(x, n):
    return f"{x * 100 / n:.2f}"


SCREEN = {"id": "screen", "zh": "筛查阳性", "en": "screen positive", "source": {"kind": "screen", "instrument": 0},
          "categories": [L("negative", "阴性"), L("positive", "阳性"), L("indeterminate", "无法判定")]}
TIERS = {"id": "tier", "zh": "预警等级", "en": "alert tier", "source": {"kind": "tier"},
         "categories": [L("none", "无"), L("watch", "关注"), L("key", "重点"), L("crisis", "危机")]}
BANDS = {"id": "phq9.total.band", "zh": "PHQ-9 总分分级", "en": "PHQ-9 total band", "source": {"kind": "band", "instrument": 0},
         "categories": [L("minimal"), L("mild"), L("moderate"), L("moderately_severe"), L("severe"), L("no_band")]}


def group(school, grade, sex, n, screen=0, tier=0, band=0, flags=0):
    return {"school": school, "grade": grade, "sex": sex, "n": n, "band": [band], "screen": [screen],
            "flags": [flags], "flags_indeterminate": [0], "tier": tier}


def cell(measure, table, row, col, category, count, n=None):
    c = {"measure": measure, "table": table, "row": row, "col": col, "category": category, "count": count}
    if count is not None and n:
        c["pct"] = pct(count, n)
        c["lo"], c["hi"] = wilson(count, n)
    return c


cases = []

# 1. The worked example of the reference notes (disclosure-control.md §3): positive screens,
# district × grade, one school per district, 100 students screened in every cell.
pos = {("d1", 0): 20, ("d1", 1): 15, ("d1", 2): 25, ("d2", 0): 4, ("d2", 1): 6, ("d2", 2): 22,
       ("d3", 0): 12, ("d3", 1): 8, ("d3", 2): 30}
layout = {"districts": [L("d1", "一区", "District 1"), L("d2", "二区", "District 2"), L("d3", "三区", "District 3")],
          "schools": [{"id": f"s{i + 1}", "zh": f"{i + 1}校", "en": f"School {i + 1}", "district": i} for i in range(3)],
          "grades": [L("g7", "七年级", "grade 7"), L("g8", "八年级", "grade 8"), L("g9", "九年级", "grade 9")],
          "sexes": [L("all", "全部", "all")]}
groups = []
for (d, g), x in pos.items():
    s = int(d[1]) - 1
    groups += [group(s, g, 0, x, screen=1), group(s, g, 0, 100 - x, screen=0)]
cases.append({
    "name": "reference worked example: positive screens by district × grade, three primaries",
    "spec": {"layout": layout, "measures": [SCREEN]},
    "groups": groups,
    "expect": {
        "screened": 900,
        "cells": [
            # the three primaries (4, 6, 8 < 10) and their negatives (96, 94, 92: fewer than 10 outside)
            cell("screen", "district_grade", "d2", "g7", "positive", None),
            cell("screen", "district_grade", "d2", "g8", "positive", None),
            cell("screen", "district_grade", "d3", "g8", "positive", None),
            cell("screen", "district_grade", "d2", "g7", "negative", None),
            cell("screen", "school_grade", "s2", "g7", "positive", None),
            # city totals per grade (36, 29, 77 of 300) are large and published
            cell("screen", "district_grade", "total", "g7", "positive", 36, 300),
            cell("screen", "district_grade", "total", "g8", "positive", 29, 300),
            cell("screen", "district_grade", "total", "g9", "positive", 77, 300),
            cell("screen", "district_grade", "total", "total", "positive", 142, 900),
            cell("screen", "grade_sex", "total", "total", "positive", 142, 900),
            # nobody is indeterminate: zeros of large groups are published
            cell("screen", "district_grade", "total", "total", "indeterminate", 0, 900),
        ],
    },
})

# 2. A school with four students: everything about it is suppressed; its size is published.
layout2 = {"districts": [L("d1")],
           "schools": [{"id": "big", "zh": "大校", "en": "big school", "district": 0},
                       {"id": "tiny", "zh": "小校", "en": "tiny school", "district": 0},
                       {"id": "mid", "zh": "中校", "en": "middle school", "district": 0}],
           "grades": [L("1"), L("2")], "sexes": [L("M", "男", "male"), L("F", "女", "female")]}
g2 = []
for s, scale in ((0, 4), (2, 3)):
    for gr in (0, 1):
        for x in (0, 1):
            g2 += [group(s, gr, x, 10 * scale, tier=0), group(s, gr, x, 3 * scale, tier=1),
                   group(s, gr, x, 2 * scale, tier=2), group(s, gr, x, 1, tier=3)]
g2 += [group(1, 0, 0, 3, tier=0), group(1, 0, 1, 1, tier=2)]
n2 = sum(g["n"] for g in g2)
cases.append({
    "name": "a school of four students: every tier count about it is suppressed, its size is published",
    "spec": {"layout": layout2, "measures": [TIERS]},
    "groups": g2,
    "expect": {
        "screened": n2,
        "coverage": [{"table": "school_grade", "row": "tiny", "col": "total", "screened": 4}],
        "cells": [
            cell("tier", "school_grade", "tiny", "1", "none", None),
            cell("tier", "school_grade", "tiny", "1", "key", None),
            cell("tier", "school_grade", "tiny", "total", "none", None),
            cell("tier", "school_grade", "tiny", "total", "crisis", None),
            # a crisis count of 1 per group is primary everywhere it is small
            cell("tier", "school_grade", "big", "1", "crisis", None),
            cell("tier", "grade_sex", "1", "M", "crisis", None),
        ],
    },
})

# 3. Dominance: all 30 students of one group have tier `none` — that cell equals its margin and
# is suppressed, with the group's zeros.
g3 = [group(0, 0, 0, 30, tier=0)]
for s in (1, 2):
    for gr in (0, 1):
        g3 += [group(s, gr, 0, 40, tier=0), group(s, gr, 0, 15, tier=1), group(s, gr, 0, 12, tier=2), group(s, gr, 0, 11, tier=3)]
g3 += [group(0, 1, 0, 40, tier=0), group(0, 1, 0, 15, tier=1), group(0, 1, 0, 12, tier=2), group(0, 1, 0, 11, tier=3)]
layout3 = dict(layout2, sexes=[L("all")])
cases.append({
    "name": "dominance: a group of 30 all in tier none — the cell equal to its margin and the group's zeros are suppressed",
    "spec": {"layout": layout3, "measures": [TIERS]},
    "groups": g3,
    "expect": {
        "screened": sum(g["n"] for g in g3),
        "cells": [
            cell("tier", "school_grade", "big", "1", "none", None),
            cell("tier", "school_grade", "big", "1", "watch", None),
            cell("tier", "school_grade", "big", "1", "crisis", None),
        ],
    },
})

# 4. Near-total: 95 of 100 minimal — the five others would be revealed, so `minimal` is primary;
# PHQ-9 bands, with enrolment (coverage) and a previous round (change).
g4, p4 = [], []
for s in (0, 2):
    for gr in range(2):
        for x in range(2):
            g4 += [group(s, gr, x, 40, band=0), group(s, gr, x, 25, band=1), group(s, gr, x, 15, band=2),
                   group(s, gr, x, 12, band=3), group(s, gr, x, 11, band=4), group(s, gr, x, 10, band=255)]
            p4 += [group(s, gr, x, 50, band=0), group(s, gr, x, 25, band=1), group(s, gr, x, 12, band=2),
                   group(s, gr, x, 10, band=3), group(s, gr, x, 10, band=4), group(s, gr, x, 10, band=255)]
g4 += [group(1, 0, 0, 50, band=0), group(1, 0, 1, 45, band=0), group(1, 0, 1, 5, band=1)]
enrol = []
for s in range(3):
    for gr in range(2):
        for x in range(2):
            n = sum(g["n"] for g in g4 if (g["school"], g["grade"], g["sex"]) == (s, gr, x))
            enrol.append(n + n // 4)
cases.append({
    "name": "near total, enrolment and a previous round: 95 of 100 minimal is suppressed; coverage and change are published",
    "spec": {"layout": layout2, "measures": [BANDS]},
    "groups": g4,
    "enrolment": enrol,
    "previous": {"round": {"id": "2023-autumn", "zh": "2023年秋季", "en": "autumn 2023"}, "groups": p4},
    "expect": {
        "screened": sum(g["n"] for g in g4),
        "cells": [
            cell("phq9.total.band", "school_grade", "tiny", "1", "minimal", None),
            cell("phq9.total.band", "school_grade", "tiny", "1", "mild", None),
            # city total of `severe`: 11 × 8 groups = 88 of 8 × 113 + 100 = 1004 now;
            # 10 × 8 = 80 of 8 × 117 = 936 before
            dict(cell("phq9.total.band", "grade_sex", "total", "total", "severe", 88, 1004), change=8,
                 change_pct=f"{(88 / 1004 - 80 / 936) * 100:.2f}", previous_pct=pct(80, 936)),
        ],
    },
})
# the enrolled figure is filled in below (sum of the list), not guessed
assert sum(g["n"] for g in g4) == 1004 and sum(g["n"] for g in p4) == 936
cases[-1]["expect"]["coverage"] = [{"table": "district_grade", "row": "total", "col": "total", "screened": 1004,
                                    "enrolled": sum(enrol), "coverage": pct(1004, sum(enrol))}]

# 5–8. Errors.
base = {"layout": layout2, "measures": [TIERS]}
cases.append({"name": "a row whose district is not its school's district", "spec": base,
              "groups": [group(0, 0, 0, 3), dict(group(1, 0, 0, 1), district=1)] ,
              "expect_error": {"code": "report.invalid_code", "row": 3}})
cases.append({"name": "a tier code outside the measure's categories", "spec": base,
              "groups": [group(0, 0, 0, 2), group(0, 0, 0, 1, tier=4)],
              "expect_error": {"code": "report.invalid_code", "row": 2}})
cases.append({"name": "enrolment of the wrong length", "spec": base, "groups": [group(0, 0, 0, 5)], "enrolment": [5, 5],
              "expect_error": {"code": "report.shape"}})
cases.append({"name": "more screened than enrolled", "spec": base, "groups": [group(0, 0, 0, 5)],
              "enrolment": [4] + [0] * 11, "expect_error": {"code": "report.shape"}})

old = {}
if os.path.exists(OUT):
    for c in json.load(open(OUT))["cases"]:
        old[c["name"]] = c
for c in cases:
    c["round"] = {"id": "2024-spring", "zh": "2024年春季普测", "en": "spring 2024"}
    for k in ("report", "error"):
        if k in old.get(c["name"], {}):
            c[k] = old[c["name"]][k]
doc = {"format": "changkaixin.vectors/1", "kind": "city_report",
       "note": "Inputs and expect written by make-inputs.py; report/error are the engine's canonical output (UPDATE_VECTORS=1).",
       "cases": cases}
with open(OUT, "w") as f:
    json.dump(doc, f, ensure_ascii=False, indent=2)
    f.write("\n")
print(f"{len(cases)} cases -> {OUT}")
