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

/** One typed answer from a vector's JSON answer (int code, option id string, null, "refused", "missing"). */
fun typedAnswer(v: Any?): Answer = when (v) {
    null, "missing" -> Answer.Missing
    "refused" -> Answer.Refused
    is BigInteger -> Answer.Code(v.toLong())
    is String -> Answer.OptionId(v)
    else -> error("answer not representable: $v")
}

/** The typed recode from a vector's `code_map` (targets: option code or option id). */
@Suppress("UNCHECKED_CAST")
fun typedCodeMap(v: Map<String, Any?>): CodeMapSpec {
    fun target(t: Any?): OptionTarget = when (t) {
        is BigInteger -> OptionTarget.Code(t.toLong())
        is String -> OptionTarget.Id(t)
        else -> error("code map target not representable: $t")
    }
    fun table(m: Any?): Map<String, OptionTarget> = (m as Map<String, Any?>).mapValues { (_, t) -> target(t) }
    check(v.keys.all { it == "all" || it == "items" }) { "code map keys ${v.keys}" }
    return CodeMapSpec(all = v["all"]?.let(::table), items = ((v["items"] as Map<String, Any?>?) ?: emptyMap()).mapValues { (_, m) -> table(m) })
}

/** The typed Response built from a vector's JSON response. */
fun typedResponse(r: Map<String, Any?>): Response {
    @Suppress("UNCHECKED_CAST")
    val answers = (r["answers"] as Map<String, Any?>? ?: emptyMap()).mapValues { (_, v) -> typedAnswer(v) }
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
    is ChangkaixinException.Compliance -> e.item
    is ChangkaixinException.Facts -> e.item
    is ChangkaixinException.Archive -> e.item
    is ChangkaixinException.Privacy -> e.item
    is ChangkaixinException.Report -> e.item
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
    is ChangkaixinException.Compliance -> e.row
    is ChangkaixinException.Facts -> e.row
    is ChangkaixinException.Archive -> e.row
    is ChangkaixinException.Privacy -> e.row
    is ChangkaixinException.Report -> e.row
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
    check(rep.flags.map { it.verdict.name.lowercase() } == flags.map { it["verdict"] }) { "$name: flag verdicts" }
    check(rep.flags.map { it.missingItems.map(UInt::toString) to it.refusedItems.map(UInt::toString) } ==
        flags.map { f -> ((f["missing_items"] as List<Any?>?) ?: emptyList()).map(Any?::toString) to ((f["refused_items"] as List<Any?>?) ?: emptyList()).map(Any?::toString) }) { "$name: flag missing/refused items" }
    for (f in rep.flags) {
        // Positive reads as hasFlag; indeterminate never does.
        check(rep.hasFlag(f.id) == (f.verdict == Verdict.POSITIVE) && rep.flagVerdict(f.id) == f.verdict) { "$name: hasFlag/flagVerdict(${f.id})" }
    }
    val sp = want["screen_positive"] as Map<String, Any?>?
    check(rep.screenPositive?.verdict?.name?.lowercase() == sp?.get("verdict") && rep.screenVerdict() == rep.screenPositive?.verdict) { "$name: screen verdict" }
    check(rep.screenPositive?.missingItems?.map(UInt::toString) == sp?.let { ((it["missing_items"] as List<Any?>?) ?: emptyList()).map(Any?::toString) } &&
        rep.screenPositive?.refusedItems?.map(UInt::toString) == sp?.let { ((it["refused_items"] as List<Any?>?) ?: emptyList()).map(Any?::toString) }) { "$name: screen missing/refused items" }
}

/** The hand-written expectations (`expect`) against the typed report: validity, scales, positive and indeterminate flags, screen verdict. */
@Suppress("UNCHECKED_CAST")
fun checkExpect(name: String, rep: ScoreReport, expect: Map<String, Any?>) {
    expect["validity"]?.let { check(rep.validity.status.name.lowercase() == it) { "$name: expect validity $it, got ${rep.validity.status}" } }
    for ((id, w) in (expect["scales"] as Map<String, Map<String, Any?>>?) ?: emptyMap()) {
        val got = rep.scale(id)
        check(got != null) { "$name: expect scale $id" }
        if (w.containsKey("raw")) check(got?.raw == w["raw"]) { "$name: expect $id raw ${w["raw"]}, got ${got?.raw}" }
        if (w.containsKey("band")) check(got?.band?.id == w["band"]) { "$name: expect $id band ${w["band"]}, got ${got?.band?.id}" }
    }
    if (expect.containsKey("flags") || expect.containsKey("flags_indeterminate")) {
        val pos = ((expect["flags"] as List<String>?) ?: emptyList()).toSet()
        val ind = ((expect["flags_indeterminate"] as List<String>?) ?: emptyList()).toSet()
        check(rep.flags.filter { it.verdict == Verdict.POSITIVE }.map { it.id }.toSet() == pos) { "$name: expect positive flags $pos" }
        check(rep.flags.filter { it.verdict == Verdict.INDETERMINATE }.map { it.id }.toSet() == ind) { "$name: expect indeterminate flags $ind" }
        for (id in ind) check(!rep.hasFlag(id) && rep.flagVerdict(id) == Verdict.INDETERMINATE) { "$name: indeterminate $id must not read as a flag or as negative" }
    }
    expect["screen_positive"]?.let { w ->
        check(w is String && rep.screenVerdict()?.name?.lowercase() == w) { "$name: expect screen $w, got ${rep.screenVerdict()}" }
    }
    expect["screen_missing_items"]?.let { w -> check(rep.screenPositive?.missingItems?.map(UInt::toString) == (w as List<Any?>).map(Any?::toString)) { "$name: screen missing items" } }
    expect["screen_refused_items"]?.let { w -> check(rep.screenPositive?.refusedItems?.map(UInt::toString) == (w as List<Any?>).map(Any?::toString)) { "$name: screen refused items" } }
}

var batchReplays = 0

/** An exact decimal string as a mantissa of `decimals` places (`Long.MIN_VALUE` for none; `null` if it does not fit). */
fun mantissa(d: String?, decimals: UInt): Long? {
    if (d == null) return Long.MIN_VALUE
    val parts = d.split('.')
    val frac = parts.getOrElse(1) { "" }
    if (parts.size > 2 || frac.length > decimals.toInt()) return null
    return (parts[0] + frac.padEnd(decimals.toInt(), '0')).toLongOrNull()
}

fun widen(c: MantissaColumn): List<Long> = when (c) {
    is MantissaColumn.I16 -> c.values.map { if (it == Short.MIN_VALUE) Long.MIN_VALUE else it.toLong() }
    is MantissaColumn.I32 -> c.values.map { if (it == Int.MIN_VALUE) Long.MIN_VALUE else it.toLong() }
    is MantissaColumn.I64 -> c.values
}

/** A golden case as row 21 of a 37-row batch (the other rows each item's lowest option), wide and
 *  compact, on two threads: every column at that row equals the case's report. A case a byte row
 *  cannot carry (a code outside 0..=127, an unknown key) is skipped. */
fun replayInBatch(name: String, inst: Instrument, resp: Response, rep: ScoreReport) {
    val info = inst.info()
    val n = info.items.size
    val row = ByteArray(n) { -1 }
    for ((key, ans) in resp.answers) {
        val item = info.items.firstOrNull { it.id == key || it.number.toString() == key } ?: return
        val options = when (val o = item.options) {
            is ItemOptions.Inline -> o.options
            is ItemOptions.Named -> info.optionSets[o.name] ?: return
        }
        val code = when (ans) {
            is Answer.Code -> ans.code
            is Answer.OptionId -> options.firstOrNull { it.id == ans.id }?.code ?: return
            Answer.Missing -> -1L
            Answer.Refused -> -2L
        }
        if (code !in -2L..127L) return
        row[item.number.toInt() - 1] = code.toByte()
    }
    val filler = ByteArray(n) { i -> (inst.optionCodes((i + 1).toUInt())?.minOrNull() ?: 0L).toByte() }
    val at = 21
    val codes = ByteArray(37 * n) { k -> if (k / n == at) row[k % n] else filler[k % n] }
    val grouped = resp.group.isNotEmpty()
    val req = BatchRequest(codes, n.toUInt(), -1, refused = -2, rowGroup = if (grouped) List(37) { 0u } else null,
        groups = if (grouped) listOf(resp.group) else emptyList(), durations = List(37) { rep.durationSeconds ?: -1L }, threads = 2u)
    val wide = inst.scoreBatch(req)
    val compact = inst.scoreBatchCompact(req)
    val validity = when (rep.validity.status) { ValidityStatus.VALID -> 0; ValidityStatus.INCOMPLETE -> 1; ValidityStatus.INVALID -> 2 }
    val bad = mutableListOf<String>()
    for ((s, col) in rep.scales.zip(wide.scales)) {
        if (col.id != s.id || col.raw[at] != mantissa(s.raw, col.rawDecimals) || col.score[at] != mantissa(s.score, col.scoreDecimals) ||
            col.band[at].toInt() != (s.band?.index?.toInt() ?: -1) || col.answered[at].toUInt() != s.answered || col.prorated[at] != s.prorated) bad += "wide scale ${s.id}"
    }
    for ((s, col) in rep.scales.zip(compact.scales)) {
        if (col.id != s.id || widen(col.raw)[at] != mantissa(s.raw, col.rawDecimals) || (col.score?.let(::widen) ?: widen(col.raw))[at] != mantissa(s.score, col.scoreDecimals) ||
            col.band[at].toInt() != (s.band?.index?.toInt() ?: -1) || (col.prorated?.get(at) ?: false) != s.prorated) bad += "compact scale ${s.id}"
    }
    if (rep.scales.size != wide.scales.size || rep.scales.size != compact.scales.size) bad += "scale count"
    if (wide.validity[at].toInt() != validity || compact.validity[at].toInt() != validity) bad += "validity"
    for ((i, f) in wide.flagIds.withIndex()) {
        val want = verdictCode(rep.flagVerdict(f))
        if (wide.verdicts[i][at].toUByte() != want || compact.verdicts[i][at].toUByte() != want) bad += "flag $f"
    }
    val screen = rep.screenVerdict()?.let { verdictCode(it) }
    if (wide.screen.getOrNull(at)?.toUByte() != screen || compact.screen.getOrNull(at)?.toUByte() != screen) bad += "screen"
    check(bad.isEmpty()) { "$name in a batch: $bad" }
    batchReplays++
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
            val responseMap = case["response"] as Map<String, Any?>?
            val answersList = (case["answers_list"] as List<Any?>?)?.map(::typedAnswer)
            val codeMapJson = case["code_map"] as Map<String, Any?>?
            try {
                // The recode is checked by the core, typed and from JSON alike.
                val map = codeMapJson?.let { cm ->
                    val typed = try { inst.codeMap(typedCodeMap(cm)) } catch (e: ChangkaixinException) {
                        val j = try { inst.codeMapJson(canonical(cm)); null } catch (j: ChangkaixinException) { j }
                        check(j != null && canonical(errorJson(j)) == canonical(errorJson(e))) { "$name: codeMapJson error differs" }
                        throw e
                    }
                    check(typed.instrument() == inst.id()) { "$name: code map instrument" }
                    typed
                }
                val rep = when {
                    answersList != null && map != null -> inst.scoreAnswersWithCodeMap(answersList, map)
                    answersList != null -> inst.scoreAnswers(answersList)
                    map != null -> inst.scoreWithCodeMap(typedResponse(responseMap!!), map)
                    else -> inst.score(typedResponse(responseMap!!))
                }
                check(wantErr == null) { "$name: expected error $wantErr, got a report" }
                if (wantErr != null) continue
                val want = case["report"]
                // The typed record goes back through the binding into the core's canonical JSON.
                check(canonical(parseJson(rep.toJson())) == canonical(want)) {
                    "$name: report differs\n  want ${canonical(want)}\n  got  ${canonical(parseJson(rep.toJson()))}"
                }
                spotCheck(name, rep, want as Map<String, Any?>)
                (case["expect"] as Map<String, Any?>?)?.let { checkExpect(name, rep, it) }
                // The typed report read back from the stored JSON equals the one scored.
                check(runCatching { typedReport(want) }.getOrNull() == rep && scoreReportFromJson(canonical(want)) == rep) { "$name: typed report from the stored JSON differs" }
                if (map != null) {
                    val viaJson = inst.codeMapJson(canonical(codeMapJson))
                    val again = if (answersList != null) inst.scoreAnswersWithCodeMap(answersList, viaJson) else inst.scoreWithCodeMap(typedResponse(responseMap!!), viaJson)
                    check(again == rep) { "$name: codeMapJson gives another report" }
                } else if (responseMap != null) {
                    // The JSON-in / JSON-out helper gives the same bytes.
                    check(canonical(parseJson(inst.scoreJsonToJson(canonical(responseMap)))) == canonical(want)) { "$name: JSON helper differs" }
                }
                if (map == null && answersList == null && responseMap != null) replayInBatch(name, inst, typedResponse(responseMap), rep)
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
                // A held tier cites its grounds: the rules that raised it and when, the tier's sources, dwell end, reviewers.
                val wh = want["held_by"] as Map<String, Any?>?
                val h = d.held()
                check((h == null) == (wh == null) && h?.reason == wh?.get("reason") && h?.message?.zh == (wh?.get("message") as Map<String, Any?>?)?.get("zh") &&
                    h?.raisedBy?.map { listOf(it.rule, it.tier, it.since, it.sources.map { s -> s.id }) } == (wh?.get("raised_by") as List<Map<String, Any?>>?).let { l -> if (wh == null) null else (l ?: emptyList()).map { listOf(it["rule"], it["tier"], it["since"], (it["sources"] as List<Map<String, Any?>>).map { s -> s["id"] }) } } &&
                    h?.recordedReason == wh?.get("recorded_reason") && h?.dwellUntil == wh?.get("dwell_until") &&
                    h?.tierSources?.map { it.id } == (wh?.get("tier_sources") as List<Map<String, Any?>>?)?.map { it["id"] } &&
                    h?.reviewBy?.map { it.id } == (wh?.get("review_by") as List<Map<String, Any?>>?)?.map { it["id"] }) { "$name: held grounds $h" }
                if (d.tier().index > 0u) check(d.firedRules().isNotEmpty() || (h != null && (h.raisedBy.isNotEmpty() || h.tierSources.isNotEmpty()))) { "$name: a tier above none cites its grounds" }
                // Report-form screenings verify on their own, answers-form ones score as the engine scores them.
                for (sc in evidence.screenings) {
                    sc.report?.let { r -> policy.verifyReport(r) }
                    if (sc.instrument != null && sc.response != null) check(policy.scoreScreening(sc.instrument!!, sc.response!!).instrument.id == sc.instrument!!.id) { "$name: scoreScreening" }
                }
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
                // Evidence is verified (`evidence.*`); answers that do not fit their instrument keep their `score.*` code.
                check(e is ChangkaixinException.Evidence || (e is ChangkaixinException.Score && e.path.startsWith("/screenings/"))) { "$name: error category ${e::class.simpleName}" }
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

/** A stored total as the core serialises it (absent optionals are absent). */
fun storedTotalJson(t: StoredTotal): Map<String, Any?> {
    val m = linkedMapOf<String, Any?>("link_id" to t.linkId, "path" to t.path, "status" to t.status.name.lowercase())
    t.scale?.let { m["scale"] = it }
    t.stored?.let { m["stored"] = it }
    t.recomputed?.let { m["recomputed"] = it }
    return m
}

/** Replays tests/vectors/fhir (docs/golden-vectors.md, "FHIR vectors"): import, bind, detailed scoring, export. */
@Suppress("UNCHECKED_CAST")
fun replayFhirVectors(root: File): Int {
    val files = File(root, "tests/vectors/fhir").listFiles { f -> f.name.endsWith(".json") }?.sortedBy { it.name } ?: return 0
    val catalog = Catalog.builtin()
    var cases = 0
    for (file in files) {
        val doc = parseJson(file.readText()) as Map<String, Any?>
        check(doc["format"] == "changkaixin.vectors/1" && doc["kind"] == "fhir") { "${file.name}: format" }
        for (case in doc["cases"] as List<Map<String, Any?>>) {
            cases++
            val name = "${file.name} / ${case["name"]}"
            // The files' text, unchanged (FHIR decimals are read from their literal text).
            val questionnaire = (case["questionnaire_file"] as String?)?.let { File(root, it).readText() }
            val responseText = (case["response_file"] as String?)?.let { File(root, it).readText() }
            val out = linkedMapOf<String, Any?>()
            var stage = ""
            var error: ChangkaixinException? = null
            try {
                stage = "import"
                var imported: Instrument? = null
                if (questionnaire != null) {
                    val spec = importQuestionnaire(questionnaire)
                    out["spec"] = parseJson(spec)
                    if (case["instrument"] == "import") {
                        imported = Instrument.fromJson(spec, emptyMap())
                        // The one-call import compiles the same instrument.
                        check(Instrument.fromFhirQuestionnaire(questionnaire).specJson() == imported.specJson()) { "$name: fromFhirQuestionnaire differs" }
                    }
                }
                val named = case["instrument"] as String
                val inst = when {
                    named == "import" -> imported!!
                    named.startsWith("bind:") -> { stage = "bind"; catalog.instrument(named.removePrefix("bind:")).bindQuestionnaire(questionnaire!!) }
                    else -> catalog.instrument(named)
                }
                if (responseText != null) {
                    stage = "score"
                    val scored = inst.scoreQuestionnaireResponseDetailed(responseText)
                    out["report"] = parseJson(scored.report.toJson())
                    out["stored_totals"] = scored.storedTotals.map(::storedTotalJson)
                    check(inst.scoreQuestionnaireResponse(responseText) == scored.report) { "$name: scoreQuestionnaireResponse differs from the detailed call" }
                    (case["export"] as Map<String, String>?)?.let { x ->
                        stage = "export"
                        out["observation"] = parseJson(inst.exportObservation(scored.report, x["scale"]!!, x["subject"]!!, x["effective"]!!))
                    }
                }
            } catch (e: ChangkaixinException) {
                error = e
                out["error"] = errorJson(e)
            }
            val wantErr = case["expect_error"] as Map<String, Any?>?
            val err = error
            if (wantErr != null) {
                check(err != null && wantErr["stage"] == stage && wantErr["code"] == err.errorCode() &&
                    (wantErr["path"] == null || wantErr["path"] == err.errorPath()) &&
                    (wantErr["item"] == null || wantErr["item"].toString() == itemOf(err).toString())) { "$name: expected error $wantErr, got $stage ${err?.let(::errorJson)}" }
                check(err is ChangkaixinException.Fhir || err is ChangkaixinException.Spec || err is ChangkaixinException.Score) { "$name: error category" }
            } else check(err == null) { "$name: unexpected error at $stage: ${err?.message}" }
            for (key in listOf("spec", "report", "stored_totals", "observation", "error")) {
                check(canonical(case[key]) == canonical(out[key])) { "$name: $key differs\n  want ${canonical(case[key])}\n  got  ${canonical(out[key])}" }
            }
            (case["expect"] as Map<String, Any?>?)?.let { expect ->
                val rep = out["report"]?.let { typedReport(it) }
                val total = rep?.scale("total")
                if (expect.containsKey("total")) check(total?.raw == expect["total"]) { "$name: total ${total?.raw}" }
                if (expect.containsKey("band")) check(total?.band?.id == expect["band"]) { "$name: band ${total?.band?.id}" }
                expect["validity"]?.let { check(rep?.validity?.status?.name?.lowercase() == it) { "$name: validity" } }
                expect["answered"]?.let { check(rep?.items?.answered?.toString() == it.toString()) { "$name: answered" } }
                expect["item9_flag"]?.let { check((rep?.hasFlag("item9_self_harm") == true) == it) { "$name: item9 flag" } }
                (expect["stored_totals"] as List<Map<String, Any?>>?)?.let { w ->
                    val got = out["stored_totals"] as List<Map<String, Any?>>? ?: emptyList()
                    check(got.size == w.size && w.zip(got).all { (a, b) -> listOf("link_id", "stored", "status").all { a[it] == b[it] } }) { "$name: stored totals $got" }
                }
                (expect["observation"] as Map<String, Any?>?)?.let { w ->
                    val obs = out["observation"] as Map<String, Any?>?
                    val code = ((obs?.get("code") as Map<String, Any?>?)?.get("coding") as List<Map<String, Any?>>?)?.firstOrNull()?.get("code")
                    val value = obs?.get("valueInteger") ?: (obs?.get("valueQuantity") as Map<String, Any?>?)?.get("value")
                    check(code == w["code"] && value?.toString() == w["value"]) { "$name: observation $code $value" }
                }
            }
        }
    }
    return cases
}

/** Three-valued verdicts, option ids, recodes, positional lists, describe(), batch verdict columns. */
fun verdictsAndCodes(root: File) {
    val catalog = Catalog.builtin()
    // Batch codes of the verdicts are the documented 0/1/2, both ways.
    check(listOf(Verdict.NEGATIVE, Verdict.POSITIVE, Verdict.INDETERMINATE).map { verdictCode(it) } == listOf<UByte>(0u, 1u, 2u)) { "verdict codes" }
    check(verdictFromCode(2u) == Verdict.INDETERMINATE && verdictFromCode(0u) == Verdict.NEGATIVE && verdictFromCode(3u) == null) { "verdict from code" }
    // An ASQ with item 2 unanswered: the screen cannot be decided, and nothing reads as negative.
    val asq = catalog.instrument("asq")
    val r = asq.score(Response(mapOf("1" to Answer.Code(0), "3" to Answer.Code(0), "4" to Answer.Code(0))))
    check(r.screenVerdict() == Verdict.INDETERMINATE && r.screenPositive?.verdict == Verdict.INDETERMINATE && r.screenPositive?.missingItems == listOf(2u)) { "ASQ indeterminate ${r.screenPositive}" }
    check(r.flags.isNotEmpty() && r.flags.all { it.verdict == Verdict.INDETERMINATE && !r.hasFlag(it.id) && r.flagVerdict(it.id) == Verdict.INDETERMINATE }) { "ASQ flags indeterminate ${r.flags}" }
    val phq9 = catalog.instrument("phq9")
    check(phq9.score(Response(mapOf("1" to Answer.Code(0)))).flagVerdict("no_such_flag") == Verdict.NEGATIVE) { "unlisted flag is negative" }
    // Answers by option id (LOINC answer codes for the PHQ-9) score like the codes.
    val byId = phq9.score(Response((1..9).associate { "$it" to Answer.OptionId("LA6571-9") }))
    check(byId.scale("total")!!.raw == "27" && byId.hasFlag("item9_self_harm")) { "option ids ${byId.scale("total")}" }
    expectError("score.unknown_option") { phq9.score(Response(mapOf("1" to Answer.OptionId("no_such_option")))) }
    // Nine values for the nine scored items (item 10 is the unscored difficulty question).
    val nine = phq9.scoreAnswers(List(9) { Answer.Code(1) })
    check(nine.scale("total")!!.raw == "9" && nine == phq9.scoreAnswers(List(9) { Answer.Code(1) } + Answer.Missing)) { "scored-items-only list" }
    // describe(): the code tables as records, and the core's stable text.
    val rses = catalog.instrument("rses")
    val d = rses.describe()
    val o = d.items[1].options[0]
    check(d.id == "rses" && d.items.size == 10 && o.code == 0L && o.id == "strongly_agree" && o.value == 0 && d.items[1].reverse) { "describe ${d.items[1]}" }
    check(rses.describeText().contains("items 2, 5, 6, 8, 9") && rses.describeText().startsWith("rses ")) { "describe text" }
    check(phq9.describe().screenPositive != null && phq9.describe().flags.any { it.id == "item9_self_harm" && it.level == FlagLevel.CRITICAL }) { "describe flags" }
    check(when (val opts = phq9.info().items[0].options) { is ItemOptions.Named -> phq9.info().optionSets[opts.name]!!; is ItemOptions.Inline -> opts.options }
        .map { it.id } == listOf("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")) { "option ids in info" }
    // A declared recode: an export that numbers the RSES answers 1..4 from "strongly disagree".
    val spec = CodeMapSpec(all = mapOf("1" to OptionTarget.Id("strongly_disagree"), "2" to OptionTarget.Id("disagree"), "3" to OptionTarget.Id("agree"), "4" to OptionTarget.Id("strongly_agree")))
    val map = rses.codeMap(spec)
    check(map.instrument() == "rses") { "code map instrument" }
    val allSa = rses.scoreWithCodeMap(Response((1..10).associate { "$it" to Answer.Code(4) }), map)
    check(allSa.scale("total")!!.raw == "15") { "recoded RSES ${allSa.scale("total")}" }
    check(rses.scoreAnswersWithCodeMap(List(10) { Answer.Code(4) }, map) == allSa) { "recoded positional" }
    val mapJson = rses.codeMapJson("{\"all\": {\"1\": \"strongly_disagree\", \"2\": \"disagree\", \"3\": \"agree\", \"4\": \"strongly_agree\"}}")
    check(rses.scoreWithCodeMap(Response((1..10).associate { "$it" to Answer.Code(4) }), mapJson) == allSa) { "code map from JSON" }
    expectError("score.code_map_not_bijective") { rses.codeMap(CodeMapSpec(all = mapOf("1" to OptionTarget.Code(0), "2" to OptionTarget.Code(0)))) }
    expectError("score.code_map_invalid") { rses.codeMapJson("{\"al\": {}}") }
    expectError("score.code_map_mismatch") { phq9.scoreWithCodeMap(Response(emptyMap()), map) }
    // Batch: the recode, the parallel path, and verdict codes per row (indeterminate is not false).
    val codes = ByteArray(30) { 4 }
    val batch = rses.scoreBatch(BatchRequest(codes, 10u, -1, codeMap = map))
    check(batch.scales.first { it.id == "total" }.raw == listOf(15L, 15L, 15L)) { "recoded batch ${batch.scales.first().raw}" }
    // (ByteArray fields compare by identity in data classes: compare their contents.)
    fun key(b: BatchResult) = listOf(b.nRows, b.scales, b.flagIds, b.flags, b.flagsIndeterminate, b.validity.toList(), b.screen.toList(), b.verdicts.map { it.toList() })
    check(key(rses.scoreBatch(BatchRequest(codes, 10u, -1, codeMap = map, threads = 0u))) == key(batch)) { "parallel batch equals single" }
    val asqRows = byteArrayOf(0, -1, 0, 0, -1, 1, 0, 0, 0, -1, 0, 0, 0, 0, -1)
    val ab = asq.scoreBatch(BatchRequest(asqRows, 5u, -1, threads = 2u))
    check(ab.screen.toList() == listOf<Byte>(2, 1, 0)) { "ASQ batch screen codes ${ab.screen.toList()}" }
    check(batchFlagVerdicts(ab, "positive")?.toList() == listOf<Byte>(2, 1, 0) && batchFlagColumn(ab, "positive") == listOf(false, true, false)) { "ASQ batch flag verdicts ${batchFlagVerdicts(ab, "positive")?.toList()}" }
    check(ab.flagsIndeterminate.size == 3 && batchFlagVerdicts(ab, "nope") == null) { "flags_indeterminate" }
    check(rses.scoreBatch(BatchRequest(ByteArray(30) { 3 }, 10u, -1)).screen.isEmpty()) { "no screen rule: empty screen column" }
}

/** Replays tests/vectors/compliance: the report bytes, the typed records against them, the hand-written expectations and invariants. */
@Suppress("UNCHECKED_CAST")
fun replayComplianceVectors(root: File): Int {
    val files = File(root, "tests/vectors/compliance").listFiles { f -> f.name.endsWith(".json") }?.sortedBy { it.name } ?: return 0
    var cases = 0
    for (file in files) {
        val doc = parseJson(file.readText()) as Map<String, Any?>
        check(doc["format"] == "changkaixin.vectors/1" && doc["kind"] == "compliance") { "${file.name}: format" }
        val packId = (doc["pack"] as String).removePrefix("builtin:")
        val pack = CompliancePack.builtin(packId)
        check(pack.id() == packId && pack.version().isNotEmpty() && pack.requirementIds().isNotEmpty()) { "${file.name}: pack $packId" }
        check(CompliancePack.fromJson(pack.packJson()).requirementIds() == pack.requirementIds()) { "${file.name}: pack from JSON" }
        for (case in doc["cases"] as List<Map<String, Any?>>) {
            cases++
            val name = "${file.name} / ${case["name"]}"
            val facts = canonical(case["facts"])
            val asOf = case["as_of"] as String
            val wantErr = case["expect_error"] as Map<String, Any?>?
            try {
                val json = pack.checkToJson(facts, asOf)
                val rep = pack.check(facts, asOf)
                check(wantErr == null) { "$name: expected error $wantErr" }
                if (wantErr != null) continue
                val want = case["report"] as Map<String, Any?>
                check(canonical(parseJson(json)) == canonical(want)) { "$name: report differs\n  want ${canonical(want)}\n  got  ${canonical(parseJson(json))}" }
                // The typed records agree with the stored document.
                val wp = want["pack"] as Map<String, Any?>
                check(rep.format == want["format"] && rep.packId == wp["id"] && rep.packVersion == wp["version"] && rep.asOf == want["as_of"] &&
                    rep.school.id == (want["school"] as Map<String, Any?>)["id"] && rep.summary.zh == (want["summary"] as Map<String, Any?>)["zh"]) { "$name: report header" }
                val wc = want["counts"] as Map<String, Any?>
                check(listOf(rep.counts.pass, rep.counts.fail, rep.counts.notApplicable, rep.counts.insufficientEvidence).map { it.toString() } ==
                    listOf("pass", "fail", "not_applicable", "insufficient_evidence").map { wc[it].toString() }) { "$name: counts" }
                val wf = want["findings"] as List<Map<String, Any?>>
                check(rep.findings.size == wf.size) { "$name: finding count" }
                for ((f, w) in rep.findings.zip(wf)) {
                    val n = "$name / ${f.requirement}"
                    check(f.requirement == w["requirement"] && f.clause == w["clause"] && snake(f.status.name) == w["status"] && snake(f.method.name) == w["method"] &&
                        f.severity == w["severity"] && f.period == w["period"] && f.metric == w["metric"]) { "$n: finding fields" }
                    check(f.measured?.value == (w["measured"] as Map<String, Any?>?)?.get("value") && f.measured?.unit == (w["measured"] as Map<String, Any?>?)?.get("unit")) { "$n: measured" }
                    val wr = w["required"] as Map<String, Any?>
                    check(f.required.op == wr["op"] && f.required.value == wr["value"] && f.required.unit == wr["unit"]) { "$n: required" }
                    check(f.shortfall == w["shortfall"] && f.sources.map { it.id } == (w["sources"] as List<Map<String, Any?>>).map { it["id"] }) { "$n: shortfall/sources" }
                    val wu = w["units"] as Map<String, Any?>
                    check(listOf(f.units.assessed, f.units.passed, f.units.failed, f.units.missing, f.units.pending).map { it.toString() } ==
                        listOf("assessed", "passed", "failed", "missing", "pending").map { wu[it].toString() }) { "$n: units" }
                    check(f.failures.map { listOf(it.scope, it.id, it.from, it.to, it.measured, it.shortfall, it.lacking) } ==
                        ((w["failures"] as List<Map<String, Any?>>?) ?: emptyList()).map { listOf(it["scope"], it["id"], it["from"], it["to"], it["measured"], it["shortfall"], (it["lacking"] as List<Any?>?) ?: emptyList<Any?>()) }) { "$n: failures" }
                    check(f.missing.map { listOf(it.fact, it.scope, it.id, it.from, it.to) } ==
                        ((w["missing"] as List<Map<String, Any?>>?) ?: emptyList()).map { listOf(it["fact"], it["scope"], it["id"], it["from"], it["to"]) }) { "$n: missing" }
                    check(f.reason?.zh == (w["reason"] as Map<String, Any?>?)?.get("zh") && f.explanation.zh == (w["explanation"] as Map<String, Any?>)["zh"] &&
                        f.attestation?.by == (w["attestation"] as Map<String, Any?>?)?.get("by")) { "$n: reason/explanation/attestation" }
                    // A finding never says fail without measured and required values, nor pass without evidence.
                    when (f.status) {
                        ComplianceStatus.FAIL -> check(f.measured != null && f.shortfall != null && f.failures.isNotEmpty()) { "$n: a fail without measured, shortfall and units" }
                        ComplianceStatus.PASS -> check(f.measured != null && f.units.passed > 0u) { "$n: a pass without evidence" }
                        ComplianceStatus.INSUFFICIENT_EVIDENCE -> check(f.missing.isNotEmpty()) { "$n: insufficient evidence without the missing facts" }
                        ComplianceStatus.NOT_APPLICABLE -> check(f.reason != null) { "$n: not applicable without a reason" }
                    }
                }
                // The hand-written expectations.
                for ((id, w) in (case["expect"] as Map<String, Map<String, Any?>>?) ?: emptyMap()) {
                    val f = rep.findings.firstOrNull { it.requirement == id }
                    check(f != null) { "$name: no finding $id" }
                    if (f == null) continue
                    w["status"]?.let { check(snake(f.status.name) == it) { "$name / $id: status ${f.status}, expected $it" } }
                    w["measured"]?.let { check(f.measured?.value == it) { "$name / $id: measured ${f.measured?.value}, expected $it" } }
                    w["shortfall"]?.let { check(f.shortfall == it) { "$name / $id: shortfall ${f.shortfall}, expected $it" } }
                    w["failed_units"]?.let { check(f.units.failed.toString() == it.toString()) { "$name / $id: failed units" } }
                    w["assessed"]?.let { check(f.units.assessed.toString() == it.toString()) { "$name / $id: assessed units" } }
                    w["pending"]?.let { check(f.units.pending.toString() == it.toString()) { "$name / $id: pending units" } }
                    w["missing_units"]?.let { check(f.units.missing.toString() == it.toString()) { "$name / $id: missing units" } }
                    (w["missing"] as List<String>?)?.let { facts -> check(f.missing.map { it.fact }.containsAll(facts)) { "$name / $id: missing facts" } }
                    (w["lacking"] as List<String>?)?.let { l -> check(f.failures.flatMap { it.lacking } == l) { "$name / $id: lacking" } }
                }
            } catch (e: ChangkaixinException) {
                check(wantErr != null && e.errorCode() == wantErr["code"] && e.errorPath() == wantErr["path"]) { "$name: error ${e.errorCode()} at ${e.errorPath()}, want $wantErr" }
                check(e is ChangkaixinException.Facts) { "$name: error category ${e::class.simpleName}" }
            }
        }
    }
    // Bad input: an unknown pack, a bad day, facts that are not facts.
    expectError("compliance.unknown_ref") { CompliancePack.builtin("nope") }
    val cz = CompliancePack.builtin("changzhou_2022_2024")
    expectError("time.invalid") { cz.check("{\"format\": \"changkaixin.compliance-facts/1\", \"school\": {\"id\": \"s\"}}", "someday") }
    expectError("facts.parse") { cz.check("[]", "2024-03-01") }
    return cases
}

/** `NOT_APPLICABLE` → `not_applicable`. */
fun snake(enumName: String) = enumName.lowercase()

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
    // Reports are verified, not trusted: a hand-edited PHQ-9 total of 99, an unknown instrument.
    val full = phq9.scoreAnswers(List(9) { Answer.Code(1) })
    val tampered = full.copy(scales = full.scales.map { if (it.id == "total") it.copy(raw = "99", score = "99") else it })
    Catalog.builtin().verifyReport(full)
    phq9.verifyReport(full)
    policy.verifyReport(full)
    expectError("evidence.out_of_range") { phq9.verifyReport(tampered) }.let { check(it?.errorPath() == "/scales/0/raw") { "tampered path ${it?.errorPath()}" } }
    expectError("evidence.out_of_range") { Catalog.builtin().verifyReport(tampered) }
    val relabelled = full.copy(instrument = full.instrument.copy(id = "asq_v2"))
    expectError("evidence.unknown_instrument") { Catalog.builtin().verifyReport(relabelled) }.let { check(it?.errorPath() == "/instrument/id") { "unknown instrument path ${it?.errorPath()}" } }
    expectError("evidence.unknown_instrument") { policy.evaluate(StudentEvidence(student = "s", screenings = listOf(Screening(at = "2026-09-01T09:00:00+08:00", report = relabelled))), "2026-09-01T10:00:00Z") }
        .let { check(it is ChangkaixinException.Evidence && it.path == "/screenings/0/report/instrument/id") { "evidence path ${it?.errorPath()}" } }
    // A screening that carries the answers is scored by the engine with the named instrument version.
    val ref = InstrumentRef(id = "phq9", version = phq9.version(), settings = emptyMap())
    check(policy.scoreScreening(ref, Response(mapOf("9" to Answer.Code(2)))).hasFlag("item9_self_harm")) { "scoreScreening" }
    val byAnswers = policy.evaluate(StudentEvidence(student = "s", screenings = listOf(Screening(at = "2026-09-01T09:00:00+08:00", instrument = ref, response = Response(mapOf("9" to Answer.Code(2)))))), "2026-09-01T10:00:00Z")
    check(byAnswers.tier().index >= 2u && byAnswers.firedRules().isNotEmpty()) { "answers-carrying screening tier ${byAnswers.tier().id}" }
    expectError("evidence.version_mismatch") { policy.evaluate(StudentEvidence(student = "s", screenings = listOf(Screening(at = "2026-09-01T09:00:00+08:00", instrument = ref.copy(version = "0.0.1"), response = Response(emptyMap())))), "2026-09-01T10:00:00Z") }
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

// Archive (issue 12): every vector through validateRecordJson; typed counselling record and duty log; views; pseudonyms.
@Suppress("UNCHECKED_CAST")
fun replayArchiveVectors(root: File): Int {
    val files = File(root, "tests/vectors/archive").listFiles { f -> f.name.endsWith(".json") }!!.sortedBy { it.name }
    check(files.size == 10) { "archive vector files ${files.size}" }
    var cases = 0
    val views = mutableMapOf<ViewerRole, Int>()
    for (file in files) {
        val doc = parseJson(file.readText()) as Map<String, Any?>
        check(doc["format"] == "changkaixin.vectors/1" && doc["kind"] == "archive") { "${file.name}: format" }
        for (case in doc["cases"] as List<Map<String, Any?>>) {
            cases++
            val name = "${file.name} / ${case["name"]}"
            val record = case["record"]
            val v = validateRecordJson(canonical(record))
            val got = v.problems.map { it.code to it.path }.toSet()
            check(v.problems.all { it.message.isNotEmpty() && it.code.contains(".") }) { "$name: problem messages" }
            if (case["expect"] == "valid") {
                check(v.ok && v.problems.isEmpty() && v.kind == doc["record_kind"]) { "$name: expected valid, got ${v.problems}" }
                check(v.schemaVersion.toString() == (record as Map<String, Any?>)["schema_version"].toString()) { "$name: schema version ${v.schemaVersion}" }
                check(v.canonicalJson != null && canonical(parseJson(v.canonicalJson!!)) == canonical(case["canonical"])) { "$name: canonical differs" }
                check(migrateRecordJson(canonical(record)) == v.canonicalJson) { "$name: migrateRecordJson" }
                checkViews(name, doc["record_kind"] as String, canonical(record), parseJson(v.canonicalJson!!), views)
                when (doc["record_kind"]) {
                    "counselling_record" -> typedCounsellingRoundTrip(name, canonical(record), v)
                    "duty_log" -> typedDutyLogRoundTrip(name, canonical(record), v)
                }
            } else {
                check(!v.ok && v.canonicalJson == null) { "$name: expected errors, validated" }
                (case["expect_errors"] as List<Map<String, Any?>>?)?.let { w ->
                    check(got == w.map { it["code"] to it["path"] }.toSet()) { "$name: errors $got, expected $w" }
                }
                (case["expect_errors_include"] as List<Map<String, Any?>>?)?.let { w ->
                    check(got.containsAll(w.map { it["code"] to it["path"] })) { "$name: errors $got lack $w" }
                }
                check(case["expect_errors"] != null || case["expect_errors_include"] != null) { "$name: no expectation" }
                val e = expectError(v.problems.first().code) { migrateRecordJson(canonical(record)) }
                check(e != null && e.errorPath() == v.problems.first().path && (e !is ChangkaixinException.Archive || v.problems.first().code.startsWith("archive."))) { "$name: migrate error" }
                // The typed readers refuse what the core refuses, with the same first problem.
                val typedRead: (() -> Any)? = when (doc["record_kind"]) {
                    "counselling_record" -> { -> counsellingRecordFromJson(canonical(record)) }
                    "duty_log" -> { -> dutyLogFromJson(canonical(record)) }
                    else -> null
                }
                typedRead?.let { read ->
                    val te = expectError(v.problems.first().code) { read() }
                    check(te is ChangkaixinException.Archive && te.errorPath() == v.problems.first().path) { "$name: typed reader error $te" }
                    typedReads++
                }
            }
        }
    }
    // Every role that sees records saw some, the aggregate-only roles none; both typed records were read.
    for (r in ViewerRole.values()) {
        val n = views.getOrDefault(r, 0)
        if (r == ViewerRole.DISTRICT || r == ViewerRole.CITY) check(n == 0) { "$r got $n record views" } else check(n > 0) { "$r got no view of any vector" }
    }
    check(views.getOrDefault(ViewerRole.HEAD_TEACHER, 0) >= 4 && views.getOrDefault(ViewerRole.RECEIVING_SCHOOL, 0) >= 1) { "views per role $views" }
    check(typedRounds >= 7 && typedReads >= 20) { "typed archive records: $typedRounds round trips, $typedReads refusals" }
    println("kotlin: archive views ${views.entries.joinToString { "${it.key}=${it.value}" }}, $typedRounds typed round trips, $typedReads typed refusals")
    return cases
}

var typedRounds = 0
var typedReads = 0

/** The viewers of the Rust property test: every role at sch-01 / c-8-2 / d-01 (a receiving school at sch-02), and the counsellors named in the fixtures. */
val ARCHIVE_SUBJECT = Subject(school = "sch-01", classId = "c-8-2", district = "d-01")
val ARCHIVE_VIEWERS: List<Viewer> = ViewerRole.values().map { r ->
    Viewer(role = r, school = if (r == ViewerRole.RECEIVING_SCHOOL) "sch-02" else "sch-01", classId = "c-8-2", staffId = "staff-07", district = "d-01")
} + listOf("staff-03", "cc-02", "exp-01").map { Viewer(role = ViewerRole.PSYCHOLOGY_TEACHER, school = "sch-01", classId = "c-8-2", staffId = it, district = "d-01") }

/** The value at a JSON pointer (no escapes: the records' keys are plain), or ABSENT. */
object Absent
fun at(v: Any?, pointer: String): Any? {
    var cur = v
    for (seg in pointer.split("/").drop(1)) {
        cur = when (cur) {
            is Map<*, *> -> if (cur.containsKey(seg)) cur[seg] else return Absent
            is List<*> -> seg.toIntOrNull()?.takeIf { it in cur.indices }?.let { cur[it] } ?: return Absent
            else -> return Absent
        }
    }
    return cur
}

/** Leaf pointers of a JSON value, walked here (an empty object or array is a leaf, as in the core). */
fun leafPointers(v: Any?, prefix: String = "", out: MutableList<String> = mutableListOf()): List<String> {
    when {
        v is Map<*, *> && v.isNotEmpty() -> v.forEach { (k, c) -> leafPointers(c, "$prefix/$k", out) }
        v is List<*> && v.isNotEmpty() -> v.forEachIndexed { i, c -> leafPointers(c, "$prefix/$i", out) }
        else -> out.add(prefix)
    }
    return out
}

/**
 * Every viewer's view of a valid vector: refused only as out of scope (district and city always), and
 * otherwise holding exactly the fields the role is cleared for and in the audience of — each leaf of the
 * view has a declared class within `viewerRoleClearance(role)` and names the role in its audience, carries
 * the record's own value, and no permitted leaf of the record is missing; a head teacher never sees answers,
 * reports, counselling parts, instruments, fired rules or evidence, a principal never answers, reports,
 * parts or reason texts.
 */
@Suppress("UNCHECKED_CAST")
fun checkViews(name: String, kind: String, json: String, canon: Any?, views: MutableMap<ViewerRole, Int>) {
    val recordLeaves = leafClasses(kind, canonical(canon))
    check(recordLeaves.map { it.path }.sorted() == leafPointers(canon).sorted()) { "$name: leafClasses walks the record's leaves" }
    check(recordLeaves.all { it.sensitivity != null }) { "$name: undeclared fields ${recordLeaves.filter { it.sensitivity == null }.map { it.path }}" }
    for (viewer in ARCHIVE_VIEWERS) {
        val who = "$name as ${viewer.role}/${viewer.staffId}"
        val view = try { viewRecordJson(viewer, json, ARCHIVE_SUBJECT) } catch (e: ChangkaixinException) {
            check(e is ChangkaixinException.Privacy && (e.errorCode() == "privacy.out_of_scope" || e.errorCode() == "privacy.invalid")) { "$who: ${e.errorCode()}" }
            continue
        }
        views[viewer.role] = views.getOrDefault(viewer.role, 0) + 1
        check(viewer.role != ViewerRole.DISTRICT && viewer.role != ViewerRole.CITY) { "$who: an aggregate-only role got a record view" }
        check(view.kind == kind && view.role == viewer.role) { "$who: view kind/role" }
        val data = parseJson(view.dataJson)
        val clearance = viewerRoleClearance(viewer.role)
        val leaves = leafClasses(kind, view.dataJson)
        check(leaves.map { it.path }.sorted() == leafPointers(data).sorted()) { "$who: view leaves" }
        for (l in leaves) {
            check(l.sensitivity != null && l.sensitivity in clearance) { "$who sees ${l.path} (${l.sensitivity}) above its clearance $clearance" }
            check(viewer.role in l.audience) { "$who is not in the audience of ${l.path} (${l.audience})" }
            check(at(canon, l.path) != Absent && canonical(at(canon, l.path)) == canonical(at(data, l.path))) { "$who: ${l.path} is not the record's value" }
        }
        for (l in recordLeaves.filter { it.sensitivity in clearance && viewer.role in it.audience }) {
            check(at(data, l.path) != Absent) { "$who: permitted ${l.path} missing from the view" }
        }
        val text = view.dataJson
        if (viewer.role == ViewerRole.HEAD_TEACHER) for (banned in listOf("answers", "report", "parts", "instrument", "fired_rules", "evidence")) {
            check(!text.contains("\"$banned\"")) { "$who: head teacher view holds $banned" }
        }
        if (viewer.role == ViewerRole.PRINCIPAL) for (banned in listOf("answers", "report", "parts", "reason_text")) {
            check((data as Map<String, Any?>)[banned] == null) { "$who: principal view holds $banned" }
        }
    }
}

/** A counselling-record vector read into the typed record, written back, validated and read again. */
@Suppress("UNCHECKED_CAST")
fun typedCounsellingRoundTrip(name: String, json: String, v: ArchiveValidation) {
    val typed = counsellingRecordFromJson(json)
    val canon = parseJson(v.canonicalJson!!) as Map<String, Any?>
    // Field by field against the canonical document (independently of counsellingRecordToJson).
    val parts = canon["parts"] as Map<String, Any?>
    val consent = canon["informed_consent"] as Map<String, Any?>
    val counsellor = canon["counsellor"] as Map<String, Any?>
    check(typed.recordId == canon["record_id"] && typed.student == canon["student"] && typed.counsellor.id == counsellor["id"] &&
        typed.counsellor.role.name.lowercase() == counsellor["role"] && typed.modality.name.lowercase().replace("hotline96111", "hotline_96111") == canon["modality"] &&
        typed.startedAt == canon["started_at"] && typed.endedAt == canon["ended_at"] && typed.caseStatus.name.lowercase() == canon["case_status"]) { "$name: typed header $typed" }
    check(typed.parts.currentState == parts["current_state"] && typed.parts.mainProblem == parts["main_problem"] && typed.parts.assessment == parts["assessment"] &&
        typed.parts.analysis == parts["analysis"] && typed.parts.countermeasures == parts["countermeasures"] && typed.parts.effectEvaluation == parts["effect_evaluation"]) { "$name: typed parts" }
    check(typed.informedConsent.given == consent["given"] && typed.informedConsent.recordedAt == consent["recorded_at"]) { "$name: typed consent" }
    val brk = canon["confidentiality_break"] as Map<String, Any?>?
    check((typed.confidentialityBreak == null) == (brk == null)) { "$name: typed break" }
    if (brk != null) {
        val informed = brk["informed"] as List<Map<String, Any?>>
        check(typed.confidentialityBreak!!.risk == brk["risk"] && typed.confidentialityBreak!!.informed.map { it.party.name.lowercase() to it.at } == informed.map { it["party"] to it["at"] }) { "$name: typed break parties" }
    }
    val back = counsellingRecordToJson(typed)
    check(canonical(parseJson(back)) == canonical(canon)) { "$name: typed record writes the canonical document" }
    val again = validateCounsellingRecord(typed)
    check(again.ok && again.canonicalJson == v.canonicalJson && validateRecordJson(back) == again) { "$name: typed record validates to the same canonical JSON" }
    check(counsellingRecordFromJson(back) == typed) { "$name: typed -> JSON -> typed" }
    check(expectError("archive.invalid_value") { dutyLogFromJson(json) }?.errorPath() == "/schema") { "$name: read as a duty log" }
    typedRounds++
}

/** A duty-log vector read into the typed record, written back, validated and read again. */
@Suppress("UNCHECKED_CAST")
fun typedDutyLogRoundTrip(name: String, json: String, v: ArchiveValidation) {
    val typed = dutyLogFromJson(json)
    val canon = parseJson(v.canonicalJson!!) as Map<String, Any?>
    val shifts = canon["shifts"] as List<Map<String, Any?>>
    check(typed.recordId == canon["record_id"] && typed.school == canon["school"] && typed.room == canon["room"] && typed.date == canon["date"] &&
        typed.visits.toString() == canon["visits"].toString()) { "$name: typed duty log $typed" }
    check(typed.shifts.map { listOf(it.staff.id, it.staff.role.name.lowercase(), it.from, it.to) } ==
        shifts.map { listOf((it["staff"] as Map<String, Any?>)["id"], (it["staff"] as Map<String, Any?>)["role"], it["from"], it["to"]) }) { "$name: typed shifts" }
    val back = dutyLogToJson(typed)
    check(canonical(parseJson(back)) == canonical(canon)) { "$name: typed duty log writes the canonical document" }
    val again = validateDutyLog(typed)
    check(again.ok && again.canonicalJson == v.canonicalJson && validateRecordJson(back) == again) { "$name: typed duty log validates to the same canonical JSON" }
    check(dutyLogFromJson(back) == typed) { "$name: typed -> JSON -> typed" }
    check(expectError("archive.invalid_value") { counsellingRecordFromJson(json) }?.errorPath() == "/schema") { "$name: read as a counselling record" }
    typedRounds++
}

@Suppress("UNCHECKED_CAST")
fun archiveFlow(root: File) {
    // A counselling session as the psychology teacher's app records it (synthetic).
    val counsellor = StaffRef(id = "staff-07", role = StaffRole.PSYCHOLOGY_TEACHER)
    val session = CounsellingRecord(
        recordId = "cns-app-1", student = "stu-0001", counsellor = counsellor, modality = Modality.FACE_TO_FACE,
        startedAt = "2024-03-06T15:00:00+08:00", endedAt = "2024-03-06T15:45:00+08:00",
        parts = CounsellingParts(currentState = "synthetic: tired", mainProblem = "synthetic: exam stress", assessment = "synthetic: moderate distress",
            analysis = "synthetic: workload", countermeasures = "synthetic: sleep plan", effectEvaluation = null),
        informedConsent = InformedConsent(given = true, recordedAt = "2024-03-06T15:00:00+08:00"),
        confidentialityBreak = ConfidentialityBreak(risk = "synthetic: stated plan of self-harm",
            informed = listOf(PartyInformed(party = InformedParty.GUARDIAN, at = "2024-03-06T16:00:00+08:00"),
                PartyInformed(party = InformedParty.HEAD_TEACHER, at = "2024-03-06T16:10:00+08:00"))),
        caseStatus = CaseStatus.OPEN,
    )
    val ok = validateCounsellingRecord(session)
    check(ok.ok && ok.problems.isEmpty() && ok.kind == "counselling_record" && ok.schemaVersion == 2u) { "typed counselling record ${ok.problems}" }
    val canon = parseJson(ok.canonicalJson!!) as Map<String, Any?>
    check(canon["started_at"] == "2024-03-06T07:00:00Z" && canon["modality"] == "face_to_face") { "canonical counselling record $canon" }
    check(validateRecordJson(counsellingRecordToJson(session)) == ok) { "typed equals JSON validation" }
    val closed = validateCounsellingRecord(session.copy(caseStatus = CaseStatus.CLOSED))
    check(!closed.ok && closed.problems.map { it.code to it.path } == listOf("archive.required_when" to "/parts/effect_evaluation")) { "closed without effect ${closed.problems}" }
    check(validateCounsellingRecord(session.copy(caseStatus = CaseStatus.CLOSED, parts = session.parts.copy(effectEvaluation = "synthetic: sleeping better"))).ok) { "closed with effect" }
    val hotline = validateCounsellingRecord(session.copy(modality = Modality.HOTLINE96111, startedAt = "not a time"))
    check(hotline.problems.any { it.path == "/started_at" }) { "bad time ${hotline.problems}" }
    // The counselling room's duty log for the day.
    val log = DutyLog(recordId = "dut-app-1", school = "sch-01", room = "room-1", date = "2024-03-06",
        shifts = listOf(DutyShift(staff = counsellor, from = "2024-03-06T12:00:00+08:00", to = "2024-03-06T13:00:00+08:00")), visits = 2u)
    val lv = validateDutyLog(log)
    check(lv.ok && lv.kind == "duty_log" && validateRecordJson(dutyLogToJson(log)) == lv) { "duty log ${lv.problems}" }
    val bad = validateDutyLog(log.copy(shifts = emptyList()))
    check(!bad.ok && bad.problems.any { it.path.startsWith("/shifts") }) { "empty duty log ${bad.problems}" }
    // Views: the head teacher sees their class's student file without counselling content, never a counselling record.
    val subject = Subject(school = "sch-01", classId = "c-8-2", district = null)
    val head = Viewer(role = ViewerRole.HEAD_TEACHER, school = "sch-01", classId = "c-8-2", staffId = "staff-02", district = null)
    val err = expectError("privacy.out_of_scope") { viewRecordJson(head, counsellingRecordToJson(session), subject) }
    check(err is ChangkaixinException.Privacy) { "head teacher on a counselling record" }
    val fileDoc = parseJson(File(root, "tests/vectors/archive/student_file.json").readText()) as Map<String, Any?>
    val fileJson = canonical(((fileDoc["cases"] as List<Map<String, Any?>>).first { it["expect"] == "valid" })["record"])
    val hv = viewRecordJson(head, fileJson, subject)
    check(hv.kind == "student_file" && hv.role == ViewerRole.HEAD_TEACHER && hv.dataJson.contains("c-8-2")) { "head teacher view ${hv.dataJson}" }
    check(!hv.dataJson.contains("parts") && !hv.dataJson.contains("counselling") && !hv.dataJson.contains("consents") && !hv.dataJson.contains("current_state") && !hv.dataJson.contains("countermeasures")) { "head teacher view holds counselling content" }
    val principal = Viewer(role = ViewerRole.PRINCIPAL, school = "sch-01", classId = null, staffId = "staff-01", district = null)
    val pv = parseJson(viewRecordJson(principal, counsellingRecordToJson(session), subject).dataJson) as Map<String, Any?>
    check(pv["parts"] == null && pv["case_status"] == "open") { "principal view $pv" }
    val own = parseJson(viewRecordJson(head.copy(role = ViewerRole.PSYCHOLOGY_TEACHER, staffId = "staff-07"), counsellingRecordToJson(session), subject).dataJson) as Map<String, Any?>
    check((own["parts"] as Map<String, Any?>)["main_problem"] == "synthetic: exam stress") { "counsellor's own view" }
    expectError("privacy.out_of_scope") { viewRecordJson(head.copy(role = ViewerRole.DISTRICT, district = "d-1"), fileJson, subject) }
    expectError("privacy.out_of_scope") { viewRecordJson(head.copy(role = ViewerRole.CITY), fileJson, subject) }
    expectError("privacy.out_of_scope") { viewRecordJson(head.copy(role = ViewerRole.RECEIVING_SCHOOL), fileJson, subject) }
    expectError("archive.unknown_schema") { viewRecordJson(head, "{\"schema\": \"x\", \"schema_version\": 1}", subject) }
    check(expectError("archive.unknown_schema") { leafClasses("no_such_kind", "{}") }?.errorPath() == "/kind") { "leafClasses: unknown kind" }
    check(expectError("archive.parse") { leafClasses("duty_log", "{\"visits\": ") } is ChangkaixinException.Archive) { "leafClasses: not JSON" }
    check(leafClasses("duty_log", "{\"visits\": 2, \"nurse\": \"x\"}").map { it.path to it.sensitivity }.sortedBy { it.first } == listOf("/nurse" to null, "/visits" to "operational")) { "leafClasses: an undeclared field has no class" }
    check(viewerRoleClearance(ViewerRole.CITY).isEmpty() && viewerRoleClearance(ViewerRole.HEAD_TEACHER).size == 4) { "clearances" }
    // Pseudonyms: stable per key, different across keys; a short key is refused.
    val k1 = "synthetic-key-0123456789abcdef".toByteArray()
    val k2 = "another-synthetic-key-987654321".toByteArray()
    val a = pseudonymise(k1, listOf("stu-0001", "stu-0002", "stu-0001"))
    check(a.size == 3 && a[0] == a[2] && a[0] != a[1] && a.all { it.startsWith("p-") && it.length == 34 }) { "pseudonyms $a" }
    check(pseudonymise(k1, listOf("stu-0001")) == listOf(a[0])) { "stable per key" }
    check(pseudonymise(k2, listOf("stu-0001"))[0] != a[0]) { "different across keys" }
    check(expectError("privacy.invalid") { pseudonymise("short".toByteArray(), listOf("stu-0001")) } is ChangkaixinException.Privacy) { "short key" }
}

// City report (issue 13): every case of tests/vectors/report/*.json, groups expanded to columns as
// tests/src/report.rs does, aggregated in chunks of 7 rows (previous rounds in chunks of 1000) and merged.

/** Plain columns of expanded rows (codes as Ints/Longs; turned into the typed chunk by `chunk`). */
class ReportRowsBuffer(val k: Int) {
    val district = ArrayList<Int>(); val school = ArrayList<Long>(); val grade = ArrayList<Int>(); val sex = ArrayList<Int>(); val tiers = ArrayList<Int>()
    val band = List(k) { ArrayList<Int>() }; val screen = List(k) { ArrayList<Int>() }
    val flags = List(k) { ArrayList<Long>() }; val flagsInd = List(k) { ArrayList<Long>() }
    val size: Int get() = school.size
    fun chunk(from: Int, to: Int) = ReportColumns(
        district = district.subList(from, to).map { it.toUShort() },
        school = school.subList(from, to).map { it.toUInt() },
        grade = ByteArray(to - from) { grade[from + it].toByte() },
        sex = ByteArray(to - from) { sex[from + it].toByte() },
        tiers = ByteArray(to - from) { tiers[from + it].toByte() },
        instruments = (0 until k).map { i ->
            InstrumentColumns(band = ByteArray(to - from) { band[i][from + it].toByte() }, screen = ByteArray(to - from) { screen[i][from + it].toByte() },
                flags = flags[i].subList(from, to).map { it.toULong() }, flagsIndeterminate = flagsInd[i].subList(from, to).map { it.toULong() })
        })
}

/** `n` identical rows per group; the district is the school's unless the group names one; band 255, screen 0, flags 0 when absent. */
@Suppress("UNCHECKED_CAST")
fun expandGroups(schoolDistricts: List<UShort>, groups: List<Map<String, Any?>>): ReportRowsBuffer {
    fun u(g: Map<String, Any?>, key: String): Long = (g[key] as BigInteger?)?.toLong() ?: 0L
    fun list(g: Map<String, Any?>, key: String): List<BigInteger> = (g[key] as List<BigInteger>?) ?: emptyList()
    val k = groups.maxOfOrNull { maxOf(list(it, "band").size, list(it, "screen").size) } ?: 0
    val c = ReportRowsBuffer(k)
    for (g in groups) {
        val s = u(g, "school")
        val d = (g["district"] as BigInteger?)?.toInt() ?: schoolDistricts.getOrNull(s.toInt())?.toInt() ?: 0
        val (band, screen, flags, ind) = listOf(list(g, "band"), list(g, "screen"), list(g, "flags"), list(g, "flags_indeterminate"))
        repeat(u(g, "n").toInt()) {
            c.district.add(d); c.school.add(s); c.grade.add(u(g, "grade").toInt()); c.sex.add(u(g, "sex").toInt()); c.tiers.add(u(g, "tier").toInt())
            for (i in 0 until k) {
                c.band[i].add(band.getOrNull(i)?.toInt() ?: 255); c.screen[i].add(screen.getOrNull(i)?.toInt() ?: 0)
                c.flags[i].add(flags.getOrNull(i)?.toLong() ?: 0L); c.flagsInd[i].add(ind.getOrNull(i)?.toLong() ?: 0L)
            }
        }
    }
    return c
}

/** Aggregate in chunks of `chunk` rows, merging the partial aggregates. */
fun aggregateRows(spec: CityReportSpec, rows: ReportRowsBuffer, chunk: Int): ReportAggregator {
    val total = ReportAggregator(spec)
    var start = 0
    while (start < rows.size) {
        val end = minOf(start + chunk, rows.size)
        val part = ReportAggregator(spec)
        // The core numbers an error's row within the chunk; the vectors number rows from the first group.
        try { part.add(rows.chunk(start, end)) } catch (e: ChangkaixinException.Report) {
            throw ChangkaixinException.Report(e.code, e.path, e.item, e.row?.let { it + start.toULong() }, e.detail)
        }
        check(part.screened() == (end - start).toULong()) { "chunk screened" }
        total.merge(part)
        start = end
    }
    return total
}

/** The cell a hand-written expectation names (measure, table, row, col, category), as tests/tests/report_vectors.rs finds it. */
@Suppress("UNCHECKED_CAST")
fun findCell(rep: Map<String, Any?>, want: Map<String, Any?>): Map<String, Any?>? {
    val m = (rep["measures"] as List<Map<String, Any?>>).firstOrNull { it["id"] == want["measure"] } ?: return null
    val t = m[want["table"] as String] as Map<String, Any?>? ?: return null
    val rows = t["rows"] as List<Map<String, Any?>>; val cols = t["cols"] as List<Map<String, Any?>>; val cats = m["categories"] as List<Map<String, Any?>>
    val r = rows.indexOfFirst { it["id"] == want["row"] }; val c = cols.indexOfFirst { it["id"] == want["col"] }; val k = cats.indexOfFirst { it["id"] == want["category"] }
    if (r < 0 || c < 0 || k < 0) return null
    return (t["cells"] as List<Map<String, Any?>>).getOrNull((r * cols.size + c) * cats.size + k)
}

/** The hand-written `expect` (screened, chosen cells published with their values or suppressed, coverage) on the report JSON. */
@Suppress("UNCHECKED_CAST")
fun checkReportExpect(name: String, rep: Map<String, Any?>, expect: Map<String, Any?>) {
    expect["screened"]?.let { check(rep["screened"] == it) { "$name: screened ${rep["screened"]} (expected $it)" } }
    for (want in (expect["cells"] as List<Map<String, Any?>>?) ?: emptyList()) {
        val cell = findCell(rep, want)
        check(cell != null) { "$name: no cell $want" }
        if (cell == null) continue
        if (want["count"] == null) check(cell["state"] == "suppressed") { "$name: $want expected suppressed, got $cell" }
        else {
            check(cell["state"] == "published" && cell["count"] == want["count"]) { "$name: $want got $cell" }
            for (key in listOf("pct", "lo", "hi", "change", "change_pct", "previous_pct")) if (want.containsKey(key)) check(cell[key] == want[key]) { "$name: $want $key ${cell[key]}" }
        }
    }
    for (want in (expect["coverage"] as List<Map<String, Any?>>?) ?: emptyList()) {
        val t = (rep["coverage"] as Map<String, Any?>)[want["table"] as String] as Map<String, Any?>
        val cols = t["cols"] as List<Map<String, Any?>>
        val r = (t["rows"] as List<Map<String, Any?>>).indexOfFirst { it["id"] == want["row"] }; val c = cols.indexOfFirst { it["id"] == want["col"] }
        check(r >= 0 && c >= 0) { "$name: no coverage cell $want" }
        if (r < 0 || c < 0) continue
        val cell = (t["cells"] as List<Map<String, Any?>>)[r * cols.size + c]
        for (key in listOf("screened", "enrolled", "coverage")) if (want.containsKey(key)) check(cell[key] == want[key]) { "$name: coverage $want $key ${cell[key]}" }
    }
}

/** No suppressed cell carries a value, and the HTML shows each as the suppression mark and draws no bar for it. Returns the suppressed cells seen. */
@Suppress("UNCHECKED_CAST")
fun checkNoLeak(name: String, rep: Map<String, Any?>, html: String): Int {
    var suppressed = 0
    for (m in rep["measures"] as List<Map<String, Any?>>) {
        val cats = m["categories"] as List<Map<String, Any?>>
        for (table in listOf("district_grade", "school_grade", "grade_sex")) {
            val t = m[table] as Map<String, Any?>
            val rows = t["rows"] as List<Map<String, Any?>>; val cols = t["cols"] as List<Map<String, Any?>>; val cells = t["cells"] as List<Map<String, Any?>>
            check(cells.size == rows.size * cols.size * cats.size) { "$name: ${m["id"]} $table has ${cells.size} cells" }
            for (r in rows.indices) for (c in cols.indices) for (k in cats.indices) {
                val cell = cells[(r * cols.size + c) * cats.size + k]
                if (cell["state"] != "suppressed") continue
                suppressed++
                check(listOf("count", "pct", "lo", "hi", "change", "change_pct", "previous_pct").all { cell[it] == null }) { "$name: suppressed cell carries a value $cell" }
                val key = "${m["id"]}|$table|${rows[r]["id"]}|${cols[c]["id"]}|${cats[k]["id"]}"
                check(html.contains("<td class=\"sup\" data-k=\"$key\" title=\"已抑制 suppressed\">S</td>")) { "$name: $key: the HTML cell is not the suppression mark" }
                check(!html.contains("<rect class=\"bar\" data-k=\"$key\"")) { "$name: $key: a chart draws a suppressed cell" }
            }
        }
    }
    return suppressed
}

@Suppress("UNCHECKED_CAST")
fun replayReportVectors(root: File): Int {
    val files = File(root, "tests/vectors/report").listFiles { f -> f.name.endsWith(".json") }!!.sortedBy { it.name }
    check(files.isNotEmpty()) { "no report vectors" }
    var cases = 0; var reports = 0; var errors = 0; var suppressed = 0
    for (file in files) {
        val doc = parseJson(file.readText()) as Map<String, Any?>
        check(doc["format"] == "changkaixin.vectors/1" && doc["kind"] == "city_report") { "${file.name}: format" }
        for (case in doc["cases"] as List<Map<String, Any?>>) {
            cases++
            val name = "${file.name} / ${case["name"]}"
            val spec = CityReportSpec.fromJson(canonical(case["spec"]))
            check(CityReportSpec.fromJson(spec.toJson()).toJson() == spec.toJson()) { "$name: spec round trip" }
            val districts = spec.schoolDistricts()
            val groups = case["groups"] as List<Map<String, Any?>>
            val request = linkedMapOf<String, Any?>("round" to case["round"])
            case["settings"]?.let { request["settings"] = it }
            case["enrolment"]?.let { request["enrolment"] = it }
            val wantError = case["expect_error"] as Map<String, Any?>?
            try {
                val rows = expandGroups(districts, groups)
                val agg = aggregateRows(spec, rows, 7)
                check(agg.screened() == groups.sumOf { (it["n"] as BigInteger).toLong() }.toULong()) { "$name: screened ${agg.screened()}" }
                // One chunk gives the same aggregate as chunks of 7; the JSON reads back verified and equal.
                val whole = ReportAggregator(spec).also { it.add(rows.chunk(0, rows.size)) }
                check(whole.toJson() == agg.toJson()) { "$name: chunked and whole aggregates differ" }
                check(ReportAggregator.fromJson(spec, agg.toJson()).toJson() == agg.toJson()) { "$name: aggregate JSON round trip" }
                (case["previous"] as Map<String, Any?>?)?.let { p ->
                    val prev = aggregateRows(spec, expandGroups(districts, p["groups"] as List<Map<String, Any?>>), 1000)
                    request["previous"] = mapOf("round" to p["round"], "aggregate" to parseJson(prev.toJson()))
                }
                val report = agg.reportJson(canonical(request))
                check(wantError == null) { "$name: expected error $wantError, got a report" }
                if (wantError != null) continue
                reports++
                check(canonical(parseJson(report)) == canonical(case["report"])) { "$name: report differs from the stored one" }
                check(cityReportJson(spec.toJson(), agg.toJson(), canonical(request)) == report) { "$name: cityReportJson gives other bytes" }
                val rep = parseJson(report) as Map<String, Any?>
                checkReportExpect(name, rep, case["expect"] as Map<String, Any?>)
                val html = cityReportHtml(report)
                check(html.startsWith("<!DOCTYPE html>", ignoreCase = true)) { "$name: HTML" }
                suppressed += checkNoLeak(name, rep, html)
            } catch (e: ChangkaixinException) {
                check(wantError != null) { "$name: unexpected error ${e.errorCode()} ${e.errorDetail()}" }
                if (wantError == null) continue
                errors++
                check(e is ChangkaixinException.Report && e.errorCode() == wantError["code"]) { "$name: error ${e.errorCode()} (expected ${wantError["code"]})" }
                (wantError["row"] as BigInteger?)?.let { r -> check(rowOf(e) == r.toLong().toULong()) { "$name: error row ${rowOf(e)} (expected $r)" } }
                check(canonical(errorJson(e)) == canonical(case["error"])) { "$name: error ${canonical(errorJson(e))} differs from the stored ${canonical(case["error"])}" }
            }
        }
    }
    check(reports >= 4 && errors >= 4 && suppressed > 0) { "report vectors: $reports reports, $errors errors, $suppressed suppressed cells" }
    println("kotlin: city report: $reports reports compared with the stored ones after normalisation, $errors errors, $suppressed suppressed cells checked in JSON and HTML")
    return cases
}

/** Bad report input: each surfaces as ChangkaixinException.Report with its code. */
fun reportBadInput(root: File) {
    @Suppress("UNCHECKED_CAST")
    val case0 = ((parseJson(File(root, "tests/vectors/report/city_report.json").readText()) as Map<String, Any?>)["cases"] as List<Map<String, Any?>>)[0]
    check(expectError("report.parse") { CityReportSpec.fromJson("[]") } is ChangkaixinException.Report) { "spec not an object" }
    val spec = CityReportSpec.fromJson(canonical(case0["spec"]))
    val agg = ReportAggregator(spec)
    val one = ReportColumns(district = listOf(0u.toUShort()), school = listOf(0u), grade = byteArrayOf(0), sex = byteArrayOf(0), tiers = byteArrayOf(0),
        instruments = listOf(InstrumentColumns(band = byteArrayOf(0), screen = byteArrayOf(1), flags = listOf(0uL), flagsIndeterminate = emptyList())))
    agg.add(one)
    check(agg.screened() == 1uL) { "one row counted" }
    check(expectError("report.shape") { agg.add(one.copy(grade = byteArrayOf(0, 0))) }?.errorPath() == "grade") { "grade column of the wrong length" }
    val bad = expectError("report.invalid_code") { agg.add(one.copy(school = listOf(0u, 7u), district = listOf(0u.toUShort(), 0u.toUShort()), grade = byteArrayOf(0, 0), sex = byteArrayOf(0, 0), tiers = byteArrayOf(0, 0),
        instruments = listOf(one.instruments[0].copy(band = byteArrayOf(0, 0), screen = byteArrayOf(1, 1), flags = listOf(0uL, 0uL))))) }
    check(bad is ChangkaixinException.Report && rowOf(bad) == 1uL && bad.errorPath() == "school") { "school code outside the layout: row 1" }
    check(agg.screened() == 1uL) { "a refused chunk counts nothing" }
    agg.merge(agg)
    check(agg.screened() == 2uL) { "merging an aggregator into itself doubles it" }
    val text = agg.toJson()
    check(expectError("report.shape") { ReportAggregator.fromJson(spec, text.replace("\"screened\":[2,", "\"screened\":[3,")) } is ChangkaixinException.Report) { "forged aggregate" }
    check(expectError("report.parse") { ReportAggregator.fromJson(spec, text.replace("report-aggregate/1", "report-aggregate/9")) }?.errorPath() == "/format") { "aggregate format" }
    val other = CityReportSpec.fromJson(spec.toJson().replace("\"en\":\"grade 9\"}", "\"en\":\"grade 9\"},{\"id\":\"g10\",\"zh\":\"十年级\",\"en\":\"grade 10\"}"))
    check(expectError("report.shape") { agg.merge(ReportAggregator(other)) } is ChangkaixinException.Report) { "merge of another layout" }
    check(expectError("report.shape") { ReportAggregator.fromJson(other, text) } is ChangkaixinException.Report) { "aggregate of another layout" }
    check(expectError("report.parse") { agg.reportJson("{\"round\": 1}") } is ChangkaixinException.Report) { "request without a round object" }
    check(expectError("report.parse") { cityReportHtml("{") }?.errorPath()?.startsWith("line ") == true) { "HTML of text that is not a report" }
    check(expectError("report.parse") { cityReportJson(spec.toJson(), "{}", "{}") } is ChangkaixinException.Report) { "cityReportJson with an empty aggregate" }
}

/** Compact batches carry the wide batch's decisions for every built-in instrument (gaps, refusals, two threads), and both verdict columns equal the codes of the bitsets. */
fun compactBatches() {
    val catalog = Catalog.builtin()
    var compared = 0
    var sawIndeterminate = false
    for (id in catalog.ids()) {
        val inst = catalog.instrument(id)
        val n = inst.itemCount().toInt()
        val opts = (1..n).map { inst.optionCodes(it.toUInt()) }
        if (n == 0 || opts.any { o -> o == null || o.isEmpty() || o.any { it !in 0L..127L } }) continue
        val rows = 700
        // The first 200 rows complete; then a deterministic mix of options, gaps (-1) and refusals (-2).
        val codes = ByteArray(rows * n) { k ->
            val r = k / n
            val i = k % n
            val o = opts[i]!!
            val pick = (r * 131 + i * 17 + r / 7 * i) % (o.size + 2)
            when {
                r < 200 -> o[(r + i) % o.size].toByte()
                pick == o.size -> (-1).toByte()
                pick == o.size + 1 -> (-2).toByte()
                else -> o[pick].toByte()
            }
        }
        val req = BatchRequest(codes, n.toUInt(), -1, refused = -2, threads = 2u)
        val wide = try { inst.scoreBatch(req) } catch (e: ChangkaixinException) {
            val c = try { inst.scoreBatchCompact(req); null } catch (c: ChangkaixinException) { c }
            check(c != null && c.errorCode() == e.errorCode() && c.errorPath() == e.errorPath()) { "$id: the compact batch's error differs from ${e.errorCode()}" }
            continue
        }
        val compact = inst.scoreBatchCompact(req)
        check(compact.nRows == wide.nRows && compact.flagIds == wide.flagIds && compact.validity.contentEquals(wide.validity) && compact.screen.contentEquals(wide.screen)) { "$id: compact rows, flags, validity or screen differ" }
        val fb = compact.flagBytes.toInt()
        check(fb == (wide.flagIds.size + 7) / 8 && compact.flags.size == rows * fb) { "$id: flag bytes $fb" }
        fun word(v: ByteArray, r: Int): ULong = (0 until fb).fold(0UL) { w, b -> w or ((v[r * fb + b].toULong() and 0xFFUL) shl (8 * b)) }
        check((0 until rows).all { word(compact.flags, it) == wide.flags[it] && word(compact.flagsIndeterminate, it) == wide.flagsIndeterminate[it] }) { "$id: compact flag bytes differ from the bitsets" }
        check(wide.verdicts.size == wide.flagIds.size && compact.verdicts.size == wide.flagIds.size) { "$id: one verdict column per flag" }
        for ((i, f) in wide.flagIds.withIndex()) {
            check(wide.verdicts[i].contentEquals(batchFlagVerdicts(wide, f)!!) && compact.verdicts[i].contentEquals(wide.verdicts[i])) { "$id: verdict column $f differs" }
            sawIndeterminate = sawIndeterminate || wide.verdicts[i].contains(2)
        }
        check(compact.scales.size == wide.scales.size) { "$id: scales" }
        for ((c, w) in compact.scales.zip(wide.scales)) {
            check(c.id == w.id && c.rawDecimals == w.rawDecimals && c.scoreDecimals == w.scoreDecimals && widen(c.raw) == w.raw && (c.score?.let(::widen) ?: w.raw) == w.score &&
                c.band == w.band && c.bandIds == w.bandIds && (c.prorated ?: List(rows) { false }) == w.prorated) { "$id/${c.id}: the compact scale differs from the wide one" }
        }
        compared++
    }
    println("kotlin: compact batch equals wide for $compared built-in instruments")
    check(compared == catalog.ids().size && sawIndeterminate) { "compact batches compared for $compared of ${catalog.ids().size} instruments (indeterminate verdicts seen: $sawIndeterminate)" }
}

fun main(args: Array<String>) {
    val root = File(args.firstOrNull() ?: ".")
    val cases = replayVectors(root)
    val fhirCases = replayFhirVectors(root)
    val alertCases = replayAlertVectors(root)
    val complianceCases = replayComplianceVectors(root)
    val archiveCases = replayArchiveVectors(root)
    val reportCases = replayReportVectors(root)
    println("kotlin: $batchReplays scoring cases replayed as a batch row, wide and compact")
    check(batchReplays >= 100) { "only $batchReplays scoring cases replayed through batches" }
    println("kotlin: replayed $cases scoring, $fhirCases FHIR, $alertCases alert, $complianceCases compliance, $archiveCases archive and $reportCases city report golden-vector cases")
    badInput()
    verdictsAndCodes(root)
    compactBatches()
    appFlow(root)
    archiveFlow(root)
    reportBadInput(root)
    println("kotlin: $passed passed, $failed failed")
    if (failed > 0 || cases == 0 || fhirCases == 0 || alertCases == 0 || complianceCases == 0 || archiveCases == 0 || reportCases == 0) kotlin.system.exitProcess(1)
}
