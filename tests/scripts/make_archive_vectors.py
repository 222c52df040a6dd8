#!/usr/bin/env python3
"""Writes tests/vectors/archive/*.json: golden fixtures of every archive record type.

Each file holds one record kind: valid records (every version) and invalid ones, each invalid
case derived from a valid base by a small, named change, with the expected errors written by
hand here (code + JSON pointer; `expect_errors` is the exact set, `expect_errors_include` a
subset). `schema_valid` says whether an independent JSON Schema validator (Python `jsonschema`
with the formats date-time / date / year-month asserted) must accept the record against
`schemas/<kind>.v<version>.schema.json`: rules across fields and the report's integrity are
beyond JSON Schema, so such cases are schema-valid but still refused by the core.

All data is synthetic (ids like `stu-0001`, `staff-07`); the screening report and the alert
decision are copied from the scoring and alert vectors (the engine's canonical output there).

Run: python3 tests/scripts/make_archive_vectors.py   (from the repository root)
"""
import copy
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "vectors", "archive")
P = "changkaixin.archive."


def load(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return json.load(f)


def fnv1a(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def canonical(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- base records
STAFF_PSY = {"id": "staff-07", "role": "psychology_teacher"}
STAFF_HT = {"id": "staff-03", "role": "head_teacher"}

student_file = {
    "schema": P + "student_file", "schema_version": 2, "student": "stu-0001", "school": "sch-01",
    "grade": 8, "class": "c-8-2", "sex": "female", "birth_year_month": "2011-05",
    "filing_class": "special_care",
    "consents": [
        {"id": "con-1", "given_by": "guardian", "scope": ["profile", "screening", "counselling"],
         "purpose": "synthetic: school mental-health screening and support", "purpose_version": "2024-1",
         "legal_basis": "consent", "given_at": "2024-02-26T08:00:00Z"},
        {"id": "con-2", "given_by": "guardian", "scope": ["referral"],
         "purpose": "synthetic: referral to a medical institution", "purpose_version": "2024-1",
         "legal_basis": "consent", "given_at": "2024-03-01T08:00:00Z", "withdrawn_at": "2024-03-20T08:00:00Z"},
    ],
    "opened_at": "2024-02-26T08:00:00Z",
}
student_file_v1 = copy.deepcopy(student_file)
student_file_v1["schema_version"] = 1
del student_file_v1["birth_year_month"]
items = list(student_file_v1.items())
student_file_v1 = dict(items[:7] + [("birth_date", "2011-05-17")] + items[7:])

phq = load("tests/vectors/scoring/phq9.json")
phq_case = next(c for c in phq["cases"] if c["name"] == "total 14 with item 9 = 0 (band boundary)")
report = copy.deepcopy(phq_case["report"])
# The record gives start and finish times: the report carries the completion time (8 minutes).
report = dict(list(report.items())[:3] + [("duration_seconds", 480)] + list(report.items())[3:])
screening = {
    "schema": P + "screening_record", "schema_version": 1, "record_id": "scr-0001", "student": "stu-0001",
    "instrument": {"id": "phq9", "version": report["instrument"]["version"]}, "context": "routine",
    "administered_at": "2024-03-04T08:00:00Z", "finished_at": "2024-03-04T08:08:00Z",
    "answers": phq_case["response"]["answers"], "report": report,
}

alerts = load("tests/vectors/alert/changzhou_default.json")
decision = next(c for c in alerts["cases"] if c["name"] == "phq9_total_14_moderate_is_watch")["decision"]
dref = {"student": decision["student"], "policy": decision["policy"], "evaluated_at": decision["evaluated_at"],
        "tier": decision["tier"]["id"], "fingerprint": fnv1a(canonical(decision).encode("utf-8"))}
alert = {
    "schema": P + "alert_record", "schema_version": 1, "record_id": "alr-0001", "student": decision["student"],
    "decision": decision,
    "confirmation": {"decision": dref, "by": {"name": "staff-07", "role": "psychology_teacher"},
                     "at": "2024-03-05T08:00:00Z", "note": "synthetic: confirmed after a talk"},
    "reviews": [{"at": "2024-03-19T08:00:00Z", "by": STAFF_PSY, "result": "maintained", "note": "synthetic: still low mood"}],
}

plan = {
    "schema": P + "individual_plan", "schema_version": 1, "record_id": "pln-0001", "student": "stu-0001",
    "opened_on": "2024-03-05",
    "goals": [{"id": "g1", "text": "synthetic: sleep regularly"}, {"id": "g2", "text": "synthetic: talk to one adult each week"}],
    "measures": [{"goal": "g1", "text": "synthetic: weekly check-in", "responsible": STAFF_PSY},
                 {"goal": "g2", "text": "synthetic: mentor lunch", "responsible": STAFF_HT}],
    "helpers": [{"staff": STAFF_HT, "since": "2024-03-05"}, {"staff": STAFF_PSY, "since": "2024-03-05"}],
    "review_dates": ["2024-03-19", "2024-04-02"], "status": "open",
}

PARTS = {"current_state": "synthetic: tired, low mood for two weeks", "main_problem": "synthetic: exam stress",
         "assessment": "synthetic: moderate distress, no self-harm risk stated", "analysis": "synthetic: workload and sleep",
         "countermeasures": "synthetic: sleep plan, weekly sessions"}
counselling = {
    "schema": P + "counselling_record", "schema_version": 2, "record_id": "cns-0001", "student": "stu-0001",
    "counsellor": STAFF_PSY, "modality": "face_to_face", "started_at": "2024-03-06T07:00:00Z",
    "ended_at": "2024-03-06T07:45:00Z", "parts": dict(PARTS),
    "informed_consent": {"given": True, "recorded_at": "2024-03-06T07:00:00Z"}, "case_status": "open",
}
counselling_closed = copy.deepcopy(counselling)
counselling_closed["record_id"] = "cns-0002"
counselling_closed["case_status"] = "closed"
counselling_closed["parts"]["effect_evaluation"] = "synthetic: sleeps better, mood improved"
counselling_break = copy.deepcopy(counselling)
counselling_break["record_id"] = "cns-0003"
counselling_break["confidentiality_break"] = {"risk": "synthetic: stated a plan to hurt herself",
                                              "informed": [{"party": "guardian", "at": "2024-03-06T08:00:00Z"},
                                                           {"party": "head_teacher", "at": "2024-03-06T08:05:00Z"}]}
counselling_v1 = {
    "schema": P + "counselling_record", "schema_version": 1, "record_id": "cns-0001", "student": "stu-0001",
    "counsellor": STAFF_PSY, "modality": "face_to_face", "started_at": "2024-03-06T07:00:00Z", "duration_minutes": 45,
    "situation": PARTS["current_state"], "problem": PARTS["main_problem"], "evaluation": PARTS["assessment"],
    "analysis": PARTS["analysis"], "measures": PARTS["countermeasures"], "informed_consent": True, "case_status": "open",
}

duty = {
    "schema": P + "duty_log", "schema_version": 1, "record_id": "dut-0001", "school": "sch-01", "room": "room-1",
    "date": "2024-03-06",
    "shifts": [{"staff": STAFF_PSY, "from": "2024-03-06T12:00:00+08:00", "to": "2024-03-06T13:00:00+08:00"},
               {"staff": {"id": "staff-09", "role": "psychology_teacher"}, "from": "2024-03-06T16:00:00+08:00", "to": "2024-03-06T17:30:00+08:00"}],
    "visits": 3,
}

referral = {
    "schema": P + "referral", "schema_version": 1, "record_id": "ref-0001", "student": "stu-0001",
    "from": {"kind": "school", "id": "sch-01"}, "to": {"kind": "medical_institution", "id": "hosp-01"},
    "reason": "synthetic: persistent low mood, suspected depression", "urgency": "urgent", "green_channel": True,
    "referred_at": "2024-03-07T01:00:00Z", "received_at": "2024-03-07T06:00:00Z",
    "outcome": {"status": "accepted", "at": "2024-03-08T02:00:00Z", "note": "synthetic: outpatient follow-up"},
}

crisis = {
    "schema": P + "crisis_case_report", "schema_version": 1, "record_id": "cri-0001", "student": "stu-0001",
    "incident": {"at": "2024-03-10T02:00:00Z", "kind": "self_harm_risk", "description": "synthetic: note found by a classmate"},
    "timeline": [{"at": "2024-03-09T10:00:00Z", "text": "synthetic: withdrawn in class"},
                 {"at": "2024-03-10T02:00:00Z", "text": "synthetic: note reported to the head teacher"}],
    "actions": [{"at": "2024-03-10T02:10:00Z", "by": STAFF_HT, "action": "synthetic: stayed with the student"},
                {"at": "2024-03-10T02:30:00Z", "by": STAFF_PSY, "action": "synthetic: risk assessment, guardian called"}],
    "expert_consultation": {"at": "2024-03-11T06:00:00Z", "experts": [{"id": "exp-01", "role": "clinician"}],
                            "conclusion": "synthetic: referral on the green channel"},
    "outcome": {"status": "open", "summary": "synthetic: referred, daily check-ins"},
    "reported_by": STAFF_PSY, "reported_at": "2024-03-11T09:00:00Z",
}

hotline = {
    "schema": P + "hotline_call", "schema_version": 1, "record_id": "hot-0001", "centre": "centre-city",
    "caller": "parent", "counsellor": {"id": "cc-02", "role": "centre_counsellor"},
    "started_at": "2024-03-12T12:00:00Z", "ended_at": "2024-03-12T12:25:00Z",
    "parts": dict(PARTS, effect_evaluation="synthetic: parent calmer, has a plan"), "referred": False,
}

transfer = {
    "schema": P + "transfer_package", "schema_version": 1, "record_id": "trn-0001", "student": "stu-0001",
    "from_school": "sch-01", "to_school": "sch-02", "transferred_on": "2024-07-01", "prepared_by": STAFF_PSY,
    "legal_basis": "consent", "consent_id": "con-1", "grade": 8, "filing_class": "special_care",
    "support": {"current_tier": "watch", "plan_goals": ["synthetic: sleep regularly"],
                "plan_measures": ["synthetic: weekly check-in"], "next_review_on": "2024-09-10"},
    "held_by_sender": [{"kind": "counselling_record", "count": 4}],
}


# ---------------------------------------------------------------- helpers
def valid(name, record, note=None):
    c = {"name": name, "record": record, "expect": "valid", "schema_valid": True}
    if note:
        c["note"] = note
    return c


def invalid(name, base, change, errors=None, include=None, schema_valid=True):
    r = copy.deepcopy(base)
    change(r)
    c = {"name": name, "record": r, "schema_valid": schema_valid}
    if errors is not None:
        c["expect_errors"] = [{"code": code, "path": path} for code, path in errors]
    if include is not None:
        c["expect_errors_include"] = [{"code": code, "path": path} for code, path in include]
    return c


def setk(path, value):
    def f(r):
        *head, last = path
        for k in head:
            r = r[k]
        r[last] = value
    return f


def delk(path):
    def f(r):
        *head, last = path
        for k in head:
            r = r[k]
        del r[last]
    return f


def both(*fs):
    def f(r):
        for g in fs:
            g(r)
    return f


def common(kind, base):
    """The invalid cases every kind shares: unknown newer version, unknown schema, unknown field, missing field."""
    cur = base["schema_version"]
    return [
        invalid("newer schema_version is refused, never guessed", base, setk(["schema_version"], cur + 1),
                [("archive.unsupported_version", "/schema_version")], schema_valid=None),
        invalid("schema_version 0 never existed", base, setk(["schema_version"], 0),
                [("archive.unsupported_version", "/schema_version")], schema_valid=None),
        invalid("unknown schema", base, setk(["schema"], P + kind + "_x"),
                [("archive.unknown_schema", "/schema")], schema_valid=None),
        invalid("unknown field", base, setk(["comment"], "synthetic"), [("archive.unknown_field", "/comment")], schema_valid=False),
    ]


def write(kind, description, cases):
    old = os.path.join(OUT, kind + ".json")
    if os.path.exists(old):
        with open(old, encoding="utf-8") as f:
            kept = {c["name"]: c["canonical"] for c in json.load(f)["cases"] if "canonical" in c}
        for c in cases:
            if c["name"] in kept and c.get("expect") == "valid":
                c["canonical"] = kept[c["name"]]
    doc = {"format": "changkaixin.vectors/1", "kind": "archive", "record_kind": kind, "description": description, "cases": cases}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, kind + ".json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- the files
write("student_file", "一人一档: the student file (v2; v1 stored a full birth date, migrated to year-month)", [
    valid("valid file with a withdrawn consent", student_file),
    valid("version 1 with a full birth date migrates to year-month", student_file_v1,
          "the migrated record equals the version-2 record (the day is dropped)"),
    *common("student_file", student_file),
    invalid("missing birth_year_month", student_file, delk(["birth_year_month"]), [("archive.missing_field", "/birth_year_month")], schema_valid=False),
    invalid("a full birth date in version 2 is refused", student_file, setk(["birth_year_month"], "2011-05-17"),
            [("archive.invalid_value", "/birth_year_month")], schema_valid=False),
    invalid("grade 13", student_file, setk(["grade"], 13), [("archive.invalid_value", "/grade")], schema_valid=False),
    invalid("unknown sex value", student_file, setk(["sex"], "f"), [("archive.invalid_value", "/sex")], schema_valid=False),
    invalid("grade as text", student_file, setk(["grade"], "8"), [("archive.invalid_type", "/grade")], schema_valid=False),
    invalid("withdrawn before given", student_file, setk(["consents", 1, "withdrawn_at"], "2024-02-01T08:00:00Z"),
            [("archive.time_order", "/consents/1/withdrawn_at")]),
    invalid("duplicate consent id and empty scope", student_file, both(setk(["consents", 1, "id"], "con-1"), setk(["consents", 0, "scope"], [])),
            [("archive.empty", "/consents/0/scope"), ("archive.bad_reference", "/consents/1/id")]),
    invalid("a consent entry with another legal basis", student_file, setk(["consents", 0, "legal_basis"], "legal_duty"),
            [("archive.inconsistent", "/consents/0/legal_basis")]),
    invalid("every structural problem at once", student_file,
            both(delk(["school"]), setk(["sex"], 1), setk(["consents", 0, "given_at"], "yesterday"), setk(["extra"], True)),
            [("archive.missing_field", "/school"), ("archive.invalid_type", "/sex"),
             ("archive.invalid_value", "/consents/0/given_at"), ("archive.unknown_field", "/extra")], schema_valid=False),
    invalid("version 1 with a version-2 field", student_file_v1, setk(["birth_year_month"], "2011-05"),
            [("archive.unknown_field", "/birth_year_month")], schema_valid=False),
    invalid("version 1 with a bad birth date", student_file_v1, setk(["birth_date"], "2011-02-30"),
            [("archive.invalid_value", "/birth_date")], schema_valid=False),
])

write("screening_record", "Screening record: the answers and the stored report, re-derived on validation (never trusted)", [
    valid("PHQ-9 total 14, report re-derived equal", screening),
    *common("screening_record", screening),
    invalid("stored total disagrees with the answers", screening, setk(["report", "scales", 0, "raw"], "9"),
            [("archive.report_mismatch", "/report/scales/0/raw")]),
    invalid("an answer changed after scoring", screening, setk(["answers", "1"], 0),
            include=[("archive.report_mismatch", "/report/scales/0/raw")]),
    invalid("stored flag removed", screening, setk(["report", "flags"], []),
            include=[("archive.report_mismatch", "/report/flags")]),
    invalid("answer not an option", screening, setk(["answers", "3"], 7), [("score.unknown_option", "/answers/3")]),
    invalid("instrument version not in the catalog", screening,
            both(setk(["instrument", "version"], "9.9.9"), setk(["report", "instrument", "version"], "9.9.9")),
            [("evidence.version_mismatch", "/instrument/version")]),
    invalid("report of another instrument", screening, setk(["report", "instrument", "id"], "gad7"),
            [("archive.inconsistent", "/report/instrument")]),
    invalid("finished before administered", screening, setk(["finished_at"], "2024-03-04T07:00:00Z"),
            include=[("archive.time_order", "/finished_at")]),
    invalid("unknown context", screening, setk(["context"], "weekly"), [("archive.invalid_value", "/context")], schema_valid=False),
    invalid("report is not an object", screening, setk(["report"], "14"), [("archive.invalid_type", "/report")], schema_valid=False),
])

write("alert_record", "Alert record: the engine's decision, the named person's confirmation or override, reviews", [
    valid("watch tier confirmed and reviewed", alert),
    valid("pending: no confirmation yet, no reviews", {k: v for k, v in alert.items() if k not in ("confirmation", "reviews")}),
    valid("overridden with a reason", dict({k: v for k, v in alert.items() if k != "confirmation"},
          override={"decision": dref, "by": {"name": "staff-07", "role": "psychology_teacher"}, "at": "2024-03-05T08:00:00Z",
                    "tier": "key", "reason": "synthetic: disclosed bullying in the talk"})),
    *common("alert_record", alert),
    invalid("confirmation of another decision", alert, setk(["confirmation", "decision", "fingerprint"], "0000000000000000"),
            [("archive.inconsistent", "/confirmation/decision")]),
    invalid("decision about another student", alert, setk(["student"], "stu-9999"), [("archive.inconsistent", "/decision/student")]),
    invalid("review before the decision", alert, setk(["reviews", 0, "at"], "2024-01-01T00:00:00Z"),
            [("archive.time_order", "/reviews/0/at")]),
    invalid("reviewed without confirmation", alert, delk(["confirmation"]), [("archive.required_when", "/confirmation")]),
    invalid("empty review note and unknown result", alert, both(setk(["reviews", 0, "note"], " "), setk(["reviews", 0, "result"], "done")),
            [("archive.invalid_value", "/reviews/0/result")], schema_valid=False),
    invalid("empty review note", alert, setk(["reviews", 0, "note"], " "), [("archive.empty", "/reviews/0/note")]),
])

write("individual_plan", "一人一策 + 一人一帮: goals, measures, review dates, helpers", [
    valid("open plan with two helpers", plan),
    valid("closed plan", dict(plan, status="closed", closed_on="2024-06-30")),
    *common("individual_plan", plan),
    invalid("no helpers (一人一帮)", plan, setk(["helpers"], []), [("archive.empty", "/helpers")]),
    invalid("measure for an unknown goal", plan, setk(["measures", 1, "goal"], "g9"), [("archive.bad_reference", "/measures/1/goal")]),
    invalid("review dates out of order", plan, setk(["review_dates"], ["2024-04-02", "2024-03-19"]), [("archive.time_order", "/review_dates/1")]),
    invalid("closed without a closing date", plan, setk(["status"], "closed"), [("archive.required_when", "/closed_on")]),
    invalid("no goals and no measures", plan, both(setk(["goals"], []), setk(["measures"], [])),
            [("archive.empty", "/goals"), ("archive.empty", "/measures")]),
    invalid("duplicate goal id and empty goal text", plan, both(setk(["goals", 1, "id"], "g1"), setk(["goals", 0, "text"], "")),
            [("archive.bad_reference", "/goals/1/id"), ("archive.empty", "/goals/0/text"),
             ("archive.bad_reference", "/measures/1/goal")]),
])

write("counselling_record", "辅导记录: the six required parts, informed consent, confidentiality broken (v2; v1 migrated)", [
    valid("open case, five parts", counselling),
    valid("closed case with its effect evaluation", counselling_closed),
    valid("confidentiality broken, two parties informed", counselling_break),
    valid("version 1 migrates to version 2", counselling_v1, "the migrated record equals the first valid case"),
    valid("a session on the 96111 hotline", dict(counselling, modality="hotline_96111")),
    valid("version 1 hotline modality migrates to hotline_96111", dict(counselling_v1, modality="hotline")),
    *common("counselling_record", counselling),
    invalid("closed case without an effect evaluation", counselling, setk(["case_status"], "closed"),
            [("archive.required_when", "/parts/effect_evaluation")]),
    invalid("broken confidentiality without the people informed", counselling_break, setk(["confidentiality_break", "informed"], []),
            [("archive.required_when", "/confidentiality_break/informed")]),
    invalid("empty main problem and blank analysis", counselling, both(setk(["parts", "main_problem"], ""), setk(["parts", "analysis"], "  ")),
            [("archive.empty", "/parts/main_problem"), ("archive.empty", "/parts/analysis")]),
    invalid("missing assessment", counselling, delk(["parts", "assessment"]), [("archive.missing_field", "/parts/assessment")], schema_valid=False),
    invalid("ended before it started", counselling, setk(["ended_at"], "2024-03-06T06:00:00Z"),
            include=[("archive.time_order", "/ended_at")]),
    invalid("no informed consent", counselling, setk(["informed_consent", "given"], False), [("archive.required_when", "/informed_consent/given")]),
    invalid("unknown modality", counselling, setk(["modality"], "letter"), [("archive.invalid_value", "/modality")], schema_valid=False),
    invalid("every semantic problem at once", counselling_break,
            both(setk(["case_status"], "closed"), setk(["parts", "current_state"], ""), setk(["confidentiality_break", "informed"], []),
                 setk(["counsellor", "id"], "")),
            [("archive.empty", "/counsellor/id"), ("archive.empty", "/parts/current_state"),
             ("archive.required_when", "/parts/effect_evaluation"), ("archive.required_when", "/confidentiality_break/informed")]),
    invalid("version 1 with an unknown modality", counselling_v1, setk(["modality"], "hotline_96111"),
            [("archive.invalid_value", "/modality")], schema_valid=False),
    invalid("version 1 closed without effect: refused after migration", counselling_v1, setk(["case_status"], "closed"),
            [("archive.required_when", "/parts/effect_evaluation")]),
])

write("duty_log", "心理辅导室值班记录: shifts on the day (UTC+8 by default)", [
    valid("two shifts, 2.5 hours", duty),
    *common("duty_log", duty),
    invalid("no shifts", duty, setk(["shifts"], []), [("archive.empty", "/shifts")]),
    invalid("shift ends before it starts", duty, setk(["shifts", 0, "to"], "2024-03-06T11:00:00+08:00"), [("archive.time_order", "/shifts/0/to")]),
    invalid("shift on another day", duty, both(setk(["shifts", 1, "from"], "2024-03-07T16:00:00+08:00"), setk(["shifts", 1, "to"], "2024-03-07T17:00:00+08:00")),
            [("archive.inconsistent", "/shifts/1/from")]),
    invalid("overlapping shifts", duty, setk(["shifts", 1, "from"], "2024-03-06T12:30:00+08:00"), [("archive.time_order", "/shifts/1/from")]),
    invalid("negative visits", duty, setk(["visits"], -1), [("archive.invalid_value", "/visits")], schema_valid=False),
])

write("referral", "转介: from, to, reason, urgency, green channel, timestamps, outcome", [
    valid("green channel, urgent, accepted", referral),
    valid("routine referral without urgency", {k: v for k, v in dict(referral, green_channel=False).items() if k not in ("urgency", "outcome", "received_at")}),
    *common("referral", referral),
    invalid("green channel without urgency", referral, delk(["urgency"]), [("archive.required_when", "/urgency")]),
    invalid("received before referred", referral, setk(["received_at"], "2024-03-06T00:00:00Z"), [("archive.time_order", "/received_at")]),
    invalid("referral to itself", referral, setk(["to"], {"kind": "school", "id": "sch-01"}), [("archive.inconsistent", "/to")]),
    invalid("empty reason", referral, setk(["reason"], ""), [("archive.empty", "/reason")]),
    invalid("unknown urgency", referral, setk(["urgency"], "asap"), [("archive.invalid_value", "/urgency")], schema_valid=False),
    invalid("outcome without status", referral, delk(["outcome", "status"]), [("archive.missing_field", "/outcome/status")], schema_valid=False),
])

write("crisis_case_report", "心理危机个案分析报告 + 专家会诊", [
    valid("self-harm risk with expert consultation", crisis),
    valid("without an expert consultation (the default settings do not require one)", {k: v for k, v in crisis.items() if k != "expert_consultation"}),
    *common("crisis_case_report", crisis),
    invalid("timeline out of order", crisis, setk(["timeline", 1, "at"], "2024-03-09T09:00:00Z"), [("archive.time_order", "/timeline/1/at")]),
    invalid("action before the incident", crisis, setk(["actions", 0, "at"], "2024-03-10T01:00:00Z"), [("archive.time_order", "/actions/0/at")]),
    invalid("no actions", crisis, setk(["actions"], []), [("archive.empty", "/actions")]),
    invalid("consultation without experts", crisis, setk(["expert_consultation", "experts"], []), [("archive.empty", "/expert_consultation/experts")]),
    invalid("reported before the incident", crisis, setk(["reported_at"], "2024-03-01T00:00:00Z"), [("archive.time_order", "/reported_at")]),
    invalid("unknown incident kind", crisis, setk(["incident", "kind"], "fight"), [("archive.invalid_value", "/incident/kind")], schema_valid=False),
])

write("hotline_call", "96111 hotline call: a 辅导记录 with all six parts", [
    valid("anonymous parent call", hotline),
    valid("call by a known student", dict(hotline, caller="student", student="stu-0001", referred=True)),
    *common("hotline_call", hotline),
    invalid("no effect evaluation (a call is closed when it ends)", hotline, delk(["parts", "effect_evaluation"]),
            [("archive.required_when", "/parts/effect_evaluation")]),
    invalid("ended before it started", hotline, setk(["ended_at"], "2024-03-12T11:00:00Z"), [("archive.time_order", "/ended_at")]),
    invalid("unknown caller", hotline, setk(["caller"], "neighbour"), [("archive.invalid_value", "/caller")], schema_valid=False),
])

write("transfer_package", "档案移交: only what the receiving school needs", [
    valid("transfer on consent with the open plan", transfer),
    valid("transfer on a legal duty without consent id", {k: v for k, v in dict(transfer, legal_basis="legal_duty").items() if k != "consent_id"}),
    *common("transfer_package", transfer),
    invalid("to the sending school", transfer, setk(["to_school"], "sch-01"), [("archive.inconsistent", "/to_school")]),
    invalid("consent basis without the consent id", transfer, delk(["consent_id"]), [("archive.required_when", "/consent_id")]),
    invalid("counselling content is not part of a package", transfer, setk(["support", "counselling_notes"], "synthetic"),
            [("archive.unknown_field", "/support/counselling_notes")], schema_valid=False),
    invalid("unknown record kind held", transfer, setk(["held_by_sender", 0, "kind"], "diary"), [("archive.invalid_value", "/held_by_sender/0/kind")]),
])

print("wrote", OUT)
