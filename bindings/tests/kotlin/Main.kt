// Kotlin test program for the changkaixin bindings: replays every golden vector in tests/vectors/,
// checks native exceptions for bad input, and walks through an app-like flow.
// Usage: java -Djna.library.path=<dir of libchangkaixin_ffi.so> -cp t.jar:jna.jar cn.changzhou.changkaixin.test.MainKt <repo root>
package cn.changzhou.changkaixin.test

import cn.changzhou.changkaixin.*
import java.io.File
import java.math.BigInteger

var passed = 0
var failed = 0

fun check(cond: Boolean, what: () -> String) {
    if (cond) passed++ else { failed++; System.err.println("FAIL: ${what()}") }
}

fun <T> expectError(code: String, body: () -> T): ChangkaixinException? =
    try {
        body()
        check(false) { "expected $code, got a result" }
        null
    } catch (e: ChangkaixinException) {
        check(e.errorCode() == code) { "expected $code, got ${e.errorCode()} (${e.message})" }
        e
    }

/** The typed Response built from a vector's JSON response (answers: int code, null, "refused", "missing"). */
fun typedResponse(r: Map<String, Any?>): Response {
    @Suppress("UNCHECKED_CAST")
    val answers = (r["answers"] as Map<String, Any?>? ?: emptyMap()).mapValues { (_, v) ->
        when (v) {
            null, "missing" -> Answer.Missing
            "refused" -> Answer.Refused
            is BigInteger -> Answer.Code(v.toLong())
            else -> error("answer not representable: $v")
        }
    }
    @Suppress("UNCHECKED_CAST")
    val group = (r["group"] as Map<String, String>?) ?: emptyMap()
    return Response(answers, r["started_at"] as String?, r["finished_at"] as String?, group)
}

fun itemOf(e: ChangkaixinException): UInt? = when (e) {
    is ChangkaixinException.Spec -> e.item
    is ChangkaixinException.Score -> e.item
    is ChangkaixinException.Batch -> e.item
    is ChangkaixinException.Catalog -> e.item
    is ChangkaixinException.Fhir -> e.item
    is ChangkaixinException.Policy -> e.item
    is ChangkaixinException.Evidence -> e.item
    is ChangkaixinException.Time -> e.item
    is ChangkaixinException.Internal -> null
}

fun rowOf(e: ChangkaixinException): ULong? = when (e) {
    is ChangkaixinException.Spec -> e.row
    is ChangkaixinException.Score -> e.row
    is ChangkaixinException.Batch -> e.row
    is ChangkaixinException.Catalog -> e.row
    is ChangkaixinException.Fhir -> e.row
    is ChangkaixinException.Policy -> e.row
    is ChangkaixinException.Evidence -> e.row
    is ChangkaixinException.Time -> e.row
    is ChangkaixinException.Internal -> null
}

/** The error as the core serialises it ({code, path, item?, row?, message}), for comparison with the vector. */
fun errorJson(e: ChangkaixinException): Map<String, Any?> {
    val m = linkedMapOf<String, Any?>("code" to e.errorCode(), "path" to e.errorPath(), "message" to e.errorDetail())
    itemOf(e)?.let { m["item"] = BigInteger.valueOf(it.toLong()) }
    rowOf(e)?.let { m["row"] = BigInteger(it.toString()) }
    return m
}

/** A batch result with its errors as data (exceptions compare by identity). */
fun comparable(b: AlertBatch): Pair<AlertBatch, List<Any?>> =
    b.copy(errors = emptyList()) to b.errors.map { listOf(it.row, it.student, canonical(errorJson(it.error))) }

/** Spot-check typed fields against the stored canonical report (independently of toJson). */
@Suppress("UNCHECKED_CAST")
fun spotCheck(name: String, rep: ScoreReport, want: Map<String, Any?>) {
    val inst = want["instrument"] as Map<String, Any?>
    check(rep.instrument.id == inst["id"] && rep.instrument.version == inst["version"]) { "$name: instrument ref" }
    check(rep.instrument.settings == ((inst["settings"] as Map<String, String>?) ?: emptyMap<String, String>())) { "$name: settings" }
    val validity = want["validity"] as Map<String, Any?>
    check(rep.validity.status.name.lowercase() == validity["status"]) { "$name: validity ${rep.validity.status}" }
    check(rep.validity.reasons.map { it.rule } == (validity["reasons"] as List<Map<String, Any?>>).map { it["rule"] }) { "$name: validity reasons" }
    val items = want["items"] as Map<String, Any?>
    check(rep.items.answered.toString() == items["answered"].toString() && rep.items.missing.toString() == items["missing"].toString() &&
        rep.items.refused.toString() == items["refused"].toString()) { "$name: item counts" }
    check(rep.durationSeconds?.toString() == want["duration_seconds"]?.toString()) { "$name: duration" }
    val scales = want["scales"] as List<Map<String, Any?>>
    check(rep.scales.size == scales.size) { "$name: scale count" }
    for ((got, w) in rep.scales.zip(scales)) {
        check(got.id == w["id"] && got.scored == w["scored"] && got.raw == w["raw"] && got.score == w["score"] &&
            got.rawExact == w["raw_exact"] && got.prorated == w["prorated"] && got.answered.toString() == w["answered"].toString() &&
            got.of.toString() == w["of"].toString()) { "$name: scale ${got.id}" }
        val wb = w["band"] as Map<String, Any?>?
        check(got.band?.id == wb?.get("id") && got.band?.index?.toString() == wb?.get("index")?.toString() &&
            got.band?.severity?.name?.lowercase() == wb?.get("severity")) { "$name: band of ${got.id}" }
        check(rep.scale(got.id) == got) { "$name: scale(${got.id}) lookup" }
    }
    val flags = want["flags"] as List<Map<String, Any?>>
    check(rep.flags.map { it.id } == flags.map { it["id"] }) { "$name: flags" }
    check(rep.flags.map { it.level.name.lowercase() } == flags.map { it["level"] }) { "$name: flag levels" }
    for (f in rep.flags) check(rep.hasFlag(f.id)) { "$name: hasFlag(${f.id})" }
    val sp = want["screen_positive"] as Map<String, Any?>?
    check(rep.screenPositive?.positive == sp?.get("positive")) { "$name: screen_positive" }
}

@Suppress("UNCHECKED_CAST")
fun replayVectors(root: File): Int {
    val files = File(root, "tests/vectors/scoring").listFiles { f -> f.name.endsWith(".json") }!!.sortedBy { it.name }
    check(files.isNotEmpty()) { "no scoring vectors" }
    val catalog = Catalog.builtin()
    var cases = 0
    for (file in files) {
        val doc = parseJson(file.readText()) as Map<String, Any?>
        check(doc["format"] == "changkaixin.vectors/1" && doc["kind"] == "score") { "${file.name}: format" }
        for (case in doc["cases"] as List<Map<String, Any?>>) {
            cases++
            val name = "${file.name} / ${case["name"]}"
            val settings = (case["settings"] as Map<String, String>?) ?: emptyMap()
            val wantErr = case["expect_error"] as Map<String, Any?>?
            val inst = try {
                val specFile = doc["spec_file"] as String?
                if (specFile != null) Instrument.fromJson(File(root, specFile).readText(), settings)
                else catalog.instrumentWith(doc["instrument"] as String, settings)
            } catch (e: ChangkaixinException) {
                check(wantErr != null && e.errorCode() == wantErr["code"]) { "$name: cannot load instrument: ${e.message}" }
                continue
            }
            val responseMap = case["response"] as Map<String, Any?>
            try {
                val rep = inst.score(typedResponse(responseMap))
                check(wantErr == null) { "$name: expected error $wantErr, got a report" }
                if (wantErr != null) continue
                val want = case["report"]
                // The typed record goes back through the binding into the core's canonical JSON.
                check(canonical(parseJson(rep.toJson())) == canonical(want)) {
                    "$name: report differs\n  want ${canonical(want)}\n  got  ${canonical(parseJson(rep.toJson()))}"
                }
                spotCheck(name, rep, want as Map<String, Any?>)
                // The JSON-in / JSON-out helper gives the same bytes.
                check(canonical(parseJson(inst.scoreJsonToJson(canonical(responseMap)))) == canonical(want)) { "$name: JSON helper differs" }
            } catch (e: ChangkaixinException) {
                check(wantErr != null) { "$name: unexpected error ${e.message}" }
                if (wantErr == null) continue
                check(e.errorCode() == wantErr["code"]) { "$name: expected ${wantErr["code"]}, got ${e.errorCode()}" }
                wantErr["item"]?.let { check(itemOf(e)?.toString() == it.toString()) { "$name: error item ${itemOf(e)} != $it" } }
                case["error"]?.let { check(canonical(errorJson(e)) == canonical(it)) { "$name: error ${canonical(errorJson(e))} != ${canonical(it)}" } }
                check(e is ChangkaixinException.Score || e is ChangkaixinException.Spec) { "$name: error category" }
            }
        }
    }
    return cases
}

@Suppress("UNCHECKED_CAST")
fun replayAlertVectors(root: File): Int {
    val dir = File(root, "tests/vectors/alert")
    val files = dir.listFiles { f -> f.name.endsWith(".json") }?.sortedBy { it.name } ?: return 0
    val policy = AlertPolicy.changzhouDefault()
    var cases = 0
    // Per evaluation time: the typed evidence and what each case expects, for the batch replay below.
    val byTime = linkedMapOf<String, MutableList<Triple<String, StudentEvidence, Map<String, Any?>>>>()
    for (file in files) {
        val doc = parseJson(file.readText()) as Map<String, Any?>
        check(doc["format"] == "changkaixin.vectors/1" && doc["kind"] == "alert" && doc["policy"] == "builtin:changzhou_default") { "${file.name}: format" }
        for (case in doc["cases"] as List<Map<String, Any?>>) {
            cases++
            val name = "${file.name} / ${case["name"]}"
            val wantErr = case["expect_error"] as Map<String, Any?>?
            val at = case["at"] as String
            val evidenceJson = canonical(case["evidence"])
            // The vector's evidence document, built as typed records (as an app builds them from its data).
            val evidence = try { typedEvidence(case["evidence"]) } catch (e: TypedJsonError) {
                check(false) { "$name: evidence not representable as typed records: ${e.message}" }
                continue
            }
            // Lossless: the core reads the document into the same record, and the record writes the same document.
            check(studentEvidenceFromJson(evidenceJson) == evidence) { "$name: typed evidence differs from studentEvidenceFromJson" }
            check(evidence.toJson() == studentEvidenceFromJson(evidenceJson).toJson()) { "$name: typed evidence JSON differs" }
            byTime.getOrPut(at) { mutableListOf() }.add(Triple(name, evidence, case))
            try {
                val d = policy.evaluate(evidence, at)
                check(wantErr == null) { "$name: expected error $wantErr" }
                if (wantErr != null) continue
                val want = case["decision"] as Map<String, Any?>
                check(canonical(parseJson(d.toJson())) == canonical(want)) { "$name: decision differs\n  want ${canonical(want)}\n  got  ${canonical(parseJson(d.toJson()))}" }
                // The JSON entry point gives the same bytes.
                check(policy.evaluateJson(evidenceJson, at).toJson() == d.toJson()) { "$name: evaluateJson differs from evaluate" }
                val expect = case["expect"] as Map<String, Any?>
                check(d.tier().id == expect["tier"] && d.change().name.lowercase() == expect["change"]) { "$name: tier ${d.tier().id} ${d.change()}" }
                check(d.firedRules().map { it.rule }.toSet() == (expect["rules"] as List<String>).toSet()) { "$name: rules ${d.firedRules().map { it.rule }}" }
                check(d.heldBy() == expect["held_by"]) { "$name: held_by ${d.heldBy()}" }
                // Typed accessors agree with the stored document.
                check(d.student() == want["student"] && d.evaluatedAt() == want["evaluated_at"] && d.tierSince() == want["tier_since"]) { "$name: student/times" }
                check(d.tier().index.toString() == (want["tier"] as Map<String, Any?>)["index"].toString() && d.ruleTier().id == (want["rule_tier"] as Map<String, Any?>)["id"]) { "$name: tier refs" }
                check(d.previousTier()?.id == (want["previous_tier"] as Map<String, Any?>?)?.let { (it["tier"] as Map<String, Any?>)["id"] }) { "$name: previous tier" }
                check(d.actions().map { listOf(it.id, it.role, it.due, it.dueAt, it.overdue) } == (want["actions"] as List<Map<String, Any?>>).map { listOf(it["id"], it["role"], it["due"], it["due_at"], it["overdue"]) }) { "$name: actions" }
                check(d.notifications().map { listOf(it.who, it.within, it.dueAt) } == (want["notifications"] as List<Map<String, Any?>>).map { listOf(it["who"], it["within"], it["due_at"]) }) { "$name: notifications" }
                check(d.firedRules().map { r -> r.sources.map { it.id } to r.evidence.map { it.path } } == (want["fired_rules"] as List<Map<String, Any?>>).map { r ->
                    (r["sources"] as List<Map<String, Any?>>).map { it["id"] } to (r["evidence"] as List<Map<String, Any?>>).map { it["path"] } }) { "$name: sources/evidence" }
                check(d.responsibleRoles().map { it.id } == (want["responsible_roles"] as List<Map<String, Any?>>).map { it["id"] }) { "$name: roles" }
                check(d.nextReviewAt() == want["next_review_at"] && d.summary().zh == (want["summary"] as Map<String, Any?>)["zh"] && d.requiresConfirmation()) { "$name: review/summary" }
                check(AlertDecision.fromJson(d.toJson()).toJson() == d.toJson()) { "$name: decision JSON round trip" }
            } catch (e: ChangkaixinException) {
                // The path points into the typed record (`/reviews/0/to_tier`), as into the JSON document.
                check(wantErr != null && e.errorCode() == wantErr["code"] && e.errorPath() == wantErr["path"]) { "$name: error ${e.errorCode()} at ${e.errorPath()}, want $wantErr" }
                check(e is ChangkaixinException.Evidence) { "$name: error category ${e::class.simpleName}" }
                val j = try { policy.evaluateJson(evidenceJson, at); null } catch (j: ChangkaixinException) { j }
                check(j != null && j.errorCode() == e.errorCode() && j.errorPath() == e.errorPath()) { "$name: evaluateJson error differs" }
            }
        }
    }
    // The same cases as class batches (one per evaluation time), typed and JSON: the tier of each row,
    // and the refused rows with their errors.
    for ((at, group) in byTime) {
        val typed = policy.evaluateBatch(group.map { it.second }, at)
        val json = policy.evaluateBatchJson(group.map { canonical(it.third["evidence"]) }, at)
        check(comparable(typed) == comparable(json)) { "batch at $at: typed and JSON batches differ" }
        group.forEachIndexed { row, (name, _, case) ->
            val wantErr = case["expect_error"] as Map<String, Any?>?
            if (wantErr == null) {
                check(typed.rowTiers[row] == (case["expect"] as Map<String, Any?>)["tier"]) { "$name: batch row tier ${typed.rowTiers[row]}" }
            } else {
                val err = typed.errors.firstOrNull { it.row == row.toUInt() }
                check(typed.rowTiers[row] == null && err != null && err.error.errorCode() == wantErr["code"] && err.error.errorPath() == wantErr["path"]) { "$name: batch row error $err" }
            }
        }
        check(typed.tierCounts.sumOf { it.count } + typed.errors.size.toULong() == group.size.toULong()) { "batch at $at: counts" }
    }
    return cases
}

fun badInput() {
    val phq9 = Catalog.builtin().instrument("phq9")
    val e = expectError("score.unknown_option") { phq9.score(Response(mapOf("1" to Answer.Code(7)), null, null, emptyMap())) }
    check(e is ChangkaixinException.Score && e.item == 1u && e.path == "/answers/1") { "unknown option: $e" }
    val e2 = expectError("score.unknown_item") { phq9.score(Response(mapOf("11" to Answer.Code(0)), null, null, emptyMap())) }
    check((e2 as? ChangkaixinException.Score)?.item == 11u) { "unknown item names the item" }
    expectError("score.wrong_item_count") { phq9.scoreAnswers(listOf(Answer.Code(1))) }
    expectError("score.parse") { phq9.scoreJson("{not json") }
    expectError("score.invalid_time") {
        phq9.score(Response(emptyMap(), "2026-09-01T10:00:00+08:00", "2026-09-01T09:00:00+08:00", emptyMap()))
    }
    val c = expectError("catalog.unknown_instrument") { Catalog.builtin().instrument("nope") }
    check(c is ChangkaixinException.Catalog) { "catalog error is ChangkaixinException.Catalog" }
    expectError("spec.unknown_setting") { Catalog.builtin().instrumentWith("phq9", mapOf("no_such_setting" to "x")) }
    expectError("spec.parse") { Instrument.fromJson("{\"format\": \"nope\"}", emptyMap()) }
    expectError("batch.shape") { phq9.scoreBatch(BatchRequest(ByteArray(7), 10u, -1, null, null, emptyList(), null)) }
    val b = expectError("batch.unknown_option") { phq9.scoreBatch(BatchRequest(byteArrayOf(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0), 10u, -1, null, null, emptyList(), null)) }
    check(b is ChangkaixinException.Batch && b.row != null) { "batch error names the row: $b" }
    expectError("fhir.parse") { phq9.scoreQuestionnaireResponse("{\"resourceType\": \"Patient\"}") }
    expectError("fhir.parse") { Instrument.fromFhirQuestionnaire("not json") }
    expectError("policy.parse") { AlertPolicy.fromJson("{", Catalog.builtin()) }
    expectError("policy.parse") { lintAlertPolicy("[]", Catalog.builtin()) }
    val policy = AlertPolicy.changzhouDefault()
    expectError("time.invalid") { policy.evaluate(StudentEvidence(student = "s"), "yesterday") }
    expectError("time.invalid") { policy.evaluateJson("{\"student\": \"s\"}", "yesterday") }
    expectError("evidence.invalid") { policy.evaluateJson("{\"students\": 1}", "2026-09-01T10:00:00Z") }
    expectError("evidence.invalid") { studentEvidenceFromJson("{\"students\": 1}") }
    val bj = expectError("evidence.invalid") { policy.evaluateBatchJson(listOf("{\"student\": \"a\"}", "{\"students\": 1}"), "2026-09-01T10:00:00Z") }
    check(bj?.errorPath()?.startsWith("/1") == true) { "batch JSON error names the document: ${bj?.errorPath()}" }
    // Typed evidence: the path points into the record (snake_case field names, as in the JSON document).
    val role = expectError("evidence.invalid") {
        policy.evaluate(StudentEvidence(student = "s", observations = listOf(
            StaffObservation(category = "withdrawal", at = "2026-09-01T08:00:00Z", observedBy = Person(name = "李老师", role = "janitor")))), "2026-09-01T10:00:00Z")
    }
    check(role is ChangkaixinException.Evidence && role.path == "/observations/0/observed_by/role") { "typed evidence error path ${role?.errorPath()}" }
    val late = expectError("evidence.invalid") {
        policy.evaluate(StudentEvidence(student = "s", agencyNotices = listOf(AgencyNotice(agency = "police", severity = NoticeSeverity.URGENT, at = "2026-09-01T08:00:00Z")),
            reviews = listOf(Review(by = Person("王老师", "psychology_teacher"), at = "2026-09-01T09:00:00Z", fromTier = "crisis", toTier = "none", reason = "ok"))), "2026-09-01T10:00:00Z")
    }
    check(late?.errorPath() == "/reviews/0/to_tier") { "review path ${late?.errorPath()}" }
    expectError("evidence.invalid") { policy.evaluate(StudentEvidence(student = "s", specialPeriods = listOf(SpecialPeriod(kind = "exam", from = "2026-09-02T00:00:00Z", to = "2026-09-01T00:00:00Z"))), "2026-09-01T10:00:00Z") }
        .let { check(it?.errorPath() == "/special_periods/0/to") { "period path ${it?.errorPath()}" } }
    expectError("evidence.invalid") { policy.evaluate(StudentEvidence(student = "s", completedActions = listOf(CompletedAction(action = "case_assessment", doneAt = "not a time"))), "2026-09-01T10:00:00Z") }
        .let { check(it?.errorPath() == "/completed_actions/0/done_at") { "completed action path ${it?.errorPath()}" } }
    // A decimal that is not a decimal, handed back inside a typed report, is an error too (not a crash).
    val good = phq9.score(Response(mapOf("1" to Answer.Code(1)), null, null, emptyMap()))
    val broken = good.copy(scales = good.scales.map { it.copy(raw = "1.2.3") })
    expectError("spec.invalid_value") { phq9.exportObservation(broken, "total", "Patient/x", "2026-09-01T09:00:00+08:00") }
    // ... and inside typed evidence: refused when the record crosses the boundary, before any rule runs.
    expectError("spec.invalid_value") { policy.evaluate(StudentEvidence(student = "s", screenings = listOf(Screening(at = "2026-09-01T09:00:00+08:00", report = broken))), "2026-09-01T10:00:00Z") }
    // A panic inside Rust arrives as an ordinary exception.
    val p = expectError("internal.panic") { selftestPanic("boom") }
    check(p is ChangkaixinException.Internal && p.detail.contains("boom")) { "panic detail" }
    // Error codes are the core's stable list.
    check(errorCodes().containsAll(listOf("score.unknown_option", "spec.band_gap", "fhir.unknown_link_id"))) { "error codes" }
}

fun appFlow(root: File) {
    // A counsellor's tablet: load the catalog, render PHQ-9, score a response with item 9 positive.
    val catalog = Catalog.builtin()
    check(catalog.ids().size == 16 && "phq9" in catalog.ids()) { "catalog ids ${catalog.ids()}" }
    val phq9 = catalog.instrument("phq9")
    val info = phq9.info()
    check(info.id == "phq9" && info.items.size == 10 && info.scales.first().id == "total") { "phq9 info" }
    val opts = when (val o = info.items[8].options) {
        is ItemOptions.Named -> info.optionSets[o.name]!!
        is ItemOptions.Inline -> o.options
    }
    check(opts.map { it.code } == listOf(0L, 1L, 2L, 3L)) { "item 9 options $opts" }
    check(phq9.itemCount() == 10u && phq9.optionCodes(9u) == listOf(0L, 1L, 2L, 3L) && phq9.optionCodes(11u) == null) { "option codes" }
    check(phq9.optionValue(9u, 3L) == 3 && phq9.optionValue(9u, 7L) == null) { "option value" }
    check(phq9.scaleRange("total") == ScaleRange("0", "27") && phq9.scaleRange("nope") == null) { "scale range" }
    check(info.scales.first().bands.map { it.id } == listOf("minimal", "mild", "moderate", "moderately_severe", "severe")) { "bands" }
    check(info.flags.any { it.id == "item9_self_harm" && it.level == FlagLevel.CRITICAL }) { "item 9 flag declared" }
    check(phq9.specJson().contains("\"changkaixin.instrument/1\"")) { "spec JSON" }

    val codes = listOf(1L, 2L, 1L, 2L, 1L, 1L, 1L, 2L, 1L)
    val answers = codes.mapIndexed { i, c -> (i + 1).toString() to Answer.Code(c) }.toMap() + ("10" to Answer.Missing)
    val report = phq9.score(Response(answers, "2026-09-01T09:00:00+08:00", "2026-09-01T09:04:10+08:00", emptyMap()))
    val total = report.scale("total")!!
    check(total.raw == "12" && total.band?.id == "moderate" && total.band?.severity == Severity.MODERATE) { "total ${total.raw} ${total.band}" }
    val flag = report.flags.first { it.id == "item9_self_harm" }
    check(flag.level == FlagLevel.CRITICAL && flag.items == listOf(9u) && flag.evidence.isNotEmpty()) { "item 9 flag $flag" }
    check(report.durationSeconds == 250L && report.validity.status == ValidityStatus.VALID) { "duration/validity" }
    check(report.instrument.version == phq9.version()) { "version" }
    // The same report from JSON, and back.
    check(scoreReportFromJson(report.toJson()) == report) { "report JSON round trip" }
    check(responseFromJson("{\"answers\": {\"9\": 1, \"10\": \"refused\"}}").answers["10"] == Answer.Refused) { "response JSON" }

    // Settings (where sources disagree) are typed too.
    check(info.settings.all { s -> s.options.any { it.id == s.defaultOption } }) { "setting defaults" }
    check(phq9.id() == "phq9" && phq9.settings() == info.chosenSettings) { "id/settings" }
    val k10 = catalog.instrument("k10")
    check(k10.settings() == mapOf("bands" to "abs")) { "k10 default setting ${k10.settings()}" }
    val k10alt = k10.withSettings(mapOf("bands" to "crufad_vphs"))
    check(k10alt.settings()["bands"] == "crufad_vphs" && k10alt.info().chosenSettings["bands"] == "crufad_vphs") { "withSettings" }
    check(k10alt.info().settings.first { it.id == "bands" }.options.map { it.id } == listOf("abs", "crufad_vphs")) { "setting options" }
    check(Catalog.empty().ids().isEmpty()) { "empty catalog" }

    // A head teacher's class dashboard: a batch of 3 rows (-1 = missing).
    val batch = phq9.scoreBatch(BatchRequest(
        byteArrayOf(0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 3, 3, 3, 3, 3, 3, 3, 3, 1, 2, 1, 2, 1, 2, 1, 1, 1, 2, 1, -1),
        10u, -1, null, null, emptyList(), null))
    val bt = batch.scales.first { it.id == "total" }
    check(batch.nRows == 3UL && bt.raw == listOf(0L, 25L, 12L) && bt.band == listOf<Byte>(0, 4, 2)) { "batch total ${bt.raw} ${bt.band}" }
    check(batchFlagColumn(batch, "item9_self_harm") == listOf(false, true, true)) { "batch flag column" }
    check(batchFlagColumn(batch, "nope") == null) { "unknown flag column" }
    check(unscoredMantissa() == Long.MIN_VALUE) { "unscored sentinel" }
    // Batch equals single, row by row.
    val single = phq9.scoreAnswers(codes.map { Answer.Code(it) } + Answer.Missing)
    check(single.scale("total")!!.raw == (bt.raw[2]).toString()) { "batch equals single" }

    // FHIR: a QuestionnaireResponse from the regional platform, then an Observation for the record.
    val qr = File(root, "tests/fixtures/fhir/phq9_response_synthetic.json").readText()
    val fr = phq9.scoreQuestionnaireResponse(qr)
    check(fr.scale("total")!!.raw == "7" && fr.scale("total")!!.band?.id == "mild" && fr.hasFlag("item9_self_harm")) { "FHIR score" }
    check(phq9.responseFromQuestionnaireResponse(qr).answers["9"] == Answer.Code(1)) { "FHIR response" }
    @Suppress("UNCHECKED_CAST")
    val obs = parseJson(phq9.exportObservation(fr, "total", "Patient/synthetic-0001", "2026-09-01T09:00:00+08:00")) as Map<String, Any?>
    check(obs["resourceType"] == "Observation" && obs["valueInteger"] == BigInteger.valueOf(7)) { "observation $obs" }
    val imported = Instrument.fromFhirQuestionnaire(File(root, "tests/fixtures/fhir/phq9_loinc_44249-1_lhncbc_lforms-fhir-app.json").readText())
    check(imported.info().items.size == 10 && imported.scoreQuestionnaireResponse(qr).scale("total")!!.raw == "7") { "FHIR import" }
    check(catalog.withInstrument(imported).ids().size == 17) { "catalog with an imported instrument" }
    check(libraryVersion().isNotEmpty()) { "version" }

    // The school psychologist's view: the PHQ-9 above (item 9 positive) becomes evidence; evaluate the tier.
    val policy = AlertPolicy.changzhouDefault()
    check(policy.id() == "changzhou_default" && policy.version().isNotEmpty() && policy.tierIds() == listOf("none", "watch", "key", "crisis")) { "policy" }
    check(policy.ruleIds().contains("key.phq_item9")) { "policy rules" }
    check(lintAlertPolicy(policy.policyJson(), catalog).isEmpty()) { "built-in policy lints clean" }
    check(AlertPolicy.fromJson(policy.policyJson(), catalog).tierIds() == policy.tierIds()) { "policy from JSON" }
    // Typed evidence, as the app builds it from its own records.
    val evidence = StudentEvidence(student = "s-demo", screenings = listOf(Screening(id = "scr-1", at = "2026-09-01T09:04:10+08:00", report = report)))
    val decision = policy.evaluate(evidence, "2026-09-01T10:00:00+08:00")
    check(decision.tier().id == "key" && decision.tier().level == "school" && decision.change() == Change.RAISED) { "tier ${decision.tier()}" }
    check(decision.firedRules().any { it.rule == "key.phq_item9" && it.sources.isNotEmpty() && it.evidence.any { e -> e.kind == "screening" && e.path == "/screenings/0" } }) { "reasons ${decision.firedRules()}" }
    check(decision.actions().isNotEmpty() && decision.actions().all { it.dueAt.isNotEmpty() }) { "deadlines" }
    check(decision.nextReviewAt() != null && decision.summary().zh!!.isNotEmpty() && decision.requiresConfirmation()) { "review/summary" }
    check(decision.overdueAt("2030-01-01T00:00:00Z").isNotEmpty() && decision.overdueAt("2026-09-01T10:00:00+08:00").size <= decision.overdueAt("2030-01-01T00:00:00Z").size) { "overdue" }
    // The same evidence as the JSON document a server would send: same decision.
    check(studentEvidenceFromJson(evidence.toJson()) == evidence) { "evidence JSON round trip" }
    check(policy.evaluateJson(evidence.toJson(), "2026-09-01T10:00:00+08:00").toJson() == decision.toJson()) { "evaluateJson equals evaluate" }
    // A week later the psychology teacher has assessed the case and the guardian has been informed; the tier holds.
    val later = evidence.copy(
        observations = listOf(StaffObservation(id = "obs-1", category = "withdrawal", at = "2026-09-03T15:00:00+08:00", observedBy = Person(name = "李老师", role = "head_teacher"))),
        previous = PreviousTier(tier = "key", since = decision.tierSince(), confirmedBy = Person(name = "王老师", role = "psychology_teacher")),
        completedActions = listOf(CompletedAction(action = "case_assessment", doneAt = "2026-09-01T16:00:00+08:00", by = Person(name = "王老师", role = "psychology_teacher")),
            CompletedAction(action = "notify:guardian", doneAt = "2026-09-01T17:00:00+08:00")),
    )
    val d2 = policy.evaluate(later, "2026-09-08T10:00:00+08:00")
    check(d2.tier().id == "key" && d2.previousTier()?.id == "key") { "tier a week later ${d2.tier().id} ${d2.change()}" }
    check(d2.actions().first { it.id == "case_assessment" }.doneAt != null && d2.notifications().first { it.who == "guardian" }.doneAt != null) { "completed obligations" }
    // A class: three students, one with bad evidence.
    val classBatch = policy.evaluateBatch(listOf(evidence, StudentEvidence(student = "s-calm"),
        StudentEvidence(student = "s-bad", previous = PreviousTier(tier = "nope", since = "2026-09-01T00:00:00Z"))), "2026-09-01T10:00:00+08:00")
    check(classBatch.errors.size == 1 && classBatch.errors[0].error.errorPath() == "/previous/tier" && classBatch.errors[0].student == "s-bad") { "batch error path ${classBatch.errors}" }
    check(policy.evaluateBatchJson(listOf(evidence.toJson(), "{\"student\": \"s-calm\"}", "{\"student\": \"s-bad\", \"previous\": {\"tier\": \"nope\", \"since\": \"2026-09-01T00:00:00Z\"}}"), "2026-09-01T10:00:00+08:00").let(::comparable) == comparable(classBatch)) { "batch JSON equals typed" }
    check(classBatch.tiers == policy.tierIds() && classBatch.rowTiers.take(2) == listOf("key", "none")) { "batch tiers ${classBatch.rowTiers}" }
    check(classBatch.tierCounts.first { it.tier == "key" }.count == 1UL) { "tier counts ${classBatch.tierCounts}" }
    check(classBatch.errors.size == 1 && classBatch.errors[0].row == 2u && classBatch.errors[0].error.errorCode() == "evidence.invalid") { "batch errors ${classBatch.errors}" }
    check(classBatch.overdue.all { it.dueAt.isNotEmpty() && it.kind.isNotEmpty() }) { "batch overdue" }
}

fun main(args: Array<String>) {
    val root = File(args.firstOrNull() ?: ".")
    val cases = replayVectors(root)
    val alertCases = replayAlertVectors(root)
    println("kotlin: replayed $cases scoring and $alertCases alert golden-vector cases")
    badInput()
    appFlow(root)
    println("kotlin: $passed passed, $failed failed")
    if (failed > 0 || cases == 0 || alertCases == 0) kotlin.system.exitProcess(1)
}
