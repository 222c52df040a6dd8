// A small JSON reader and canonical writer for the golden-vector replay (the JDK has no JSON).
// Canonical form = the one the Rust replayer compares: object keys sorted, no whitespace.
package cn.changzhou.changkaixin.test

import cn.changzhou.changkaixin.*
import java.math.BigInteger

class JsonReader(private val s: String) {
    private var i = 0

    fun parse(): Any? {
        val v = value()
        ws()
        require(i == s.length) { "trailing characters at $i" }
        return v
    }

    private fun ws() {
        while (i < s.length && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) i++
    }

    private fun value(): Any? {
        ws()
        require(i < s.length) { "unexpected end" }
        return when (val c = s[i]) {
            '{' -> obj()
            '[' -> arr()
            '"' -> str()
            't' -> lit("true", true)
            'f' -> lit("false", false)
            'n' -> lit("null", null)
            else -> if (c == '-' || c.isDigit()) num() else error("unexpected '$c' at $i")
        }
    }

    private fun lit(word: String, v: Any?): Any? {
        require(s.startsWith(word, i)) { "bad literal at $i" }
        i += word.length
        return v
    }

    private fun obj(): Map<String, Any?> {
        val m = LinkedHashMap<String, Any?>()
        i++
        ws()
        if (s[i] == '}') { i++; return m }
        while (true) {
            ws()
            val k = str()
            ws()
            require(s[i] == ':') { "expected ':' at $i" }
            i++
            m[k] = value()
            ws()
            when (s[i++]) {
                ',' -> continue
                '}' -> return m
                else -> error("expected ',' or '}' at ${i - 1}")
            }
        }
    }

    private fun arr(): List<Any?> {
        val a = ArrayList<Any?>()
        i++
        ws()
        if (s[i] == ']') { i++; return a }
        while (true) {
            a.add(value())
            ws()
            when (s[i++]) {
                ',' -> continue
                ']' -> return a
                else -> error("expected ',' or ']' at ${i - 1}")
            }
        }
    }

    private fun str(): String {
        require(s[i] == '"') { "expected string at $i" }
        i++
        val b = StringBuilder()
        while (true) {
            val c = s[i++]
            when (c) {
                '"' -> return b.toString()
                '\\' -> {
                    when (val e = s[i++]) {
                        '"' -> b.append('"'); '\\' -> b.append('\\'); '/' -> b.append('/')
                        'b' -> b.append('\b'); 'f' -> b.append('\u000c'); 'n' -> b.append('\n')
                        'r' -> b.append('\r'); 't' -> b.append('\t')
                        'u' -> { b.append(s.substring(i, i + 4).toInt(16).toChar()); i += 4 }
                        else -> error("bad escape \\$e")
                    }
                }
                else -> b.append(c)
            }
        }
    }

    // Integers stay exact (BigInteger); the vectors hold no floats, and a float would be kept as its text.
    private fun num(): Any {
        val start = i
        if (s[i] == '-') i++
        while (i < s.length && (s[i].isDigit() || s[i] in ".eE+-")) i++
        val t = s.substring(start, i)
        return if (t.any { it in ".eE" }) JsonFloat(t) else BigInteger(t)
    }
}

data class JsonFloat(val text: String)

fun parseJson(s: String): Any? = JsonReader(s).parse()

fun canonical(v: Any?): String = StringBuilder().also { write(it, v) }.toString()

private fun write(b: StringBuilder, v: Any?) {
    when (v) {
        null -> b.append("null")
        is Boolean -> b.append(v)
        is BigInteger -> b.append(v)
        is Long, is Int -> b.append(v)
        is JsonFloat -> b.append(v.text)
        is String -> writeStr(b, v)
        is Map<*, *> -> {
            b.append('{')
            v.keys.map { it as String }.sorted().forEachIndexed { n, k ->
                if (n > 0) b.append(',')
                writeStr(b, k)
                b.append(':')
                write(b, v[k])
            }
            b.append('}')
        }
        is List<*> -> {
            b.append('[')
            v.forEachIndexed { n, x -> if (n > 0) b.append(','); write(b, x) }
            b.append(']')
        }
        else -> error("not a JSON value: $v")
    }
}

private fun writeStr(b: StringBuilder, s: String) {
    b.append('"')
    for (c in s) {
        when {
            c == '"' -> b.append("\\\"")
            c == '\\' -> b.append("\\\\")
            c < ' ' -> b.append(String.format("\\u%04x", c.code))
            else -> b.append(c)
        }
    }
    b.append('"')
}

// ---- typed records from JSON ----------------------------------------------------------------------
// The golden vectors store alert evidence as the core's JSON document; these build the typed UniFFI
// records from it, field by field, as an app would from its own data. Strict: an unknown key, a
// missing required field or a value of the wrong type throws (a field the records cannot carry
// would otherwise be dropped silently).

class TypedJsonError(message: String) : Exception(message)

@Suppress("UNCHECKED_CAST")
private class Obj(val m: Map<String, Any?>, val path: String, known: Set<String>) {
    init {
        val extra = m.keys - known
        if (extra.isNotEmpty()) throw TypedJsonError("$path: keys the typed records do not know: $extra")
    }
    fun has(k: String) = m[k] != null
    fun str(k: String): String = m[k] as? String ?: throw TypedJsonError("$path/$k: expected a string, got ${m[k]}")
    fun optStr(k: String): String? = if (has(k)) str(k) else null
    fun bool(k: String): Boolean = m[k] as? Boolean ?: throw TypedJsonError("$path/$k: expected a boolean")
    fun int(k: String): BigInteger = m[k] as? BigInteger ?: throw TypedJsonError("$path/$k: expected an integer")
    fun u32(k: String): UInt = int(k).toLong().toUInt()
    fun obj(k: String, known: Set<String>): Obj =
        Obj(m[k] as? Map<String, Any?> ?: throw TypedJsonError("$path/$k: expected an object"), "$path/$k", known)
    fun optObj(k: String, known: Set<String>): Obj? = if (has(k)) obj(k, known) else null
    fun list(k: String): List<Any?> = if (has(k)) (m[k] as? List<Any?> ?: throw TypedJsonError("$path/$k: expected an array")) else emptyList()
    fun objs(k: String, known: Set<String>): List<Obj> = list(k).mapIndexed { i, v ->
        Obj(v as? Map<String, Any?> ?: throw TypedJsonError("$path/$k/$i: expected an object"), "$path/$k/$i", known)
    }
    fun strs(k: String): List<String> = list(k).mapIndexed { i, v -> v as? String ?: throw TypedJsonError("$path/$k/$i: expected a string") }
    fun strMap(k: String): Map<String, String> {
        if (!has(k)) return emptyMap()
        val mm = m[k] as? Map<String, Any?> ?: throw TypedJsonError("$path/$k: expected an object")
        return mm.mapValues { (kk, v) -> v as? String ?: throw TypedJsonError("$path/$k/$kk: expected a string") }
    }
}

private val LOCALIZED = setOf("zh", "en")
private fun localized(o: Obj) = Localized(zh = o.optStr("zh"), en = o.optStr("en"))
private fun person(o: Obj) = Person(name = o.str("name"), role = o.str("role"))
private val PERSON = setOf("name", "role")

/** `NoticeSeverity.URGENT` from `"urgent"` (the enum's wire name). */
private inline fun <reified E : Enum<E>> wire(o: Obj, k: String): E {
    val s = o.str(k)
    return enumValues<E>().firstOrNull { it.name == s.uppercase() }
        ?: throw TypedJsonError("${o.path}/$k: not a ${E::class.simpleName}: $s")
}

/** A typed `ScoreReport` from the core's JSON report. */
fun typedReport(v: Any?, path: String = ""): ScoreReport {
    @Suppress("UNCHECKED_CAST")
    val r = Obj(v as? Map<String, Any?> ?: throw TypedJsonError("$path: expected a report object"), path,
        setOf("instrument", "validity", "items", "duration_seconds", "scales", "flags", "screen_positive"))
    val inst = r.obj("instrument", setOf("id", "version", "settings"))
    val validity = r.obj("validity", setOf("status", "reasons"))
    val items = r.obj("items", setOf("answered", "missing", "refused"))
    return ScoreReport(
        instrument = InstrumentRef(id = inst.str("id"), version = inst.str("version"), settings = inst.strMap("settings")),
        validity = Validity(
            status = wire(validity, "status"),
            reasons = validity.objs("reasons", setOf("rule", "verdict", "message", "source")).map {
                ValidityReason(rule = it.str("rule"), verdict = wire(it, "verdict"), message = localized(it.obj("message", LOCALIZED)), source = it.optStr("source"))
            },
        ),
        items = ItemCounts(answered = items.u32("answered"), missing = items.u32("missing"), refused = items.u32("refused")),
        durationSeconds = if (r.has("duration_seconds")) r.int("duration_seconds").toLong() else null,
        scales = r.objs("scales", setOf("id", "scored", "raw", "raw_exact", "score", "answered", "of", "prorated", "band", "unscored_reason")).map { s ->
            ScaleResult(
                id = s.str("id"), scored = s.bool("scored"), raw = s.optStr("raw"), rawExact = s.optStr("raw_exact"), score = s.optStr("score"),
                answered = s.u32("answered"), of = s.u32("of"), prorated = s.bool("prorated"),
                band = s.optObj("band", setOf("id", "label", "index", "severity", "rule", "evidence", "source"))?.let { b ->
                    BandResult(id = b.str("id"), label = localized(b.obj("label", LOCALIZED)), index = b.u32("index"), severity = wire(b, "severity"),
                        rule = b.str("rule"), evidence = b.str("evidence"), source = b.optStr("source"))
                },
                unscoredReason = s.optStr("unscored_reason"),
            )
        },
        flags = r.objs("flags", setOf("id", "level", "label", "reason", "items", "evidence", "source")).map { f ->
            FlagResult(id = f.str("id"), level = wire(f, "level"), label = localized(f.obj("label", LOCALIZED)), reason = localized(f.obj("reason", LOCALIZED)),
                items = f.list("items").map { (it as BigInteger).toLong().toUInt() }, evidence = f.strs("evidence"), source = f.str("source"))
        },
        screenPositive = r.optObj("screen_positive", setOf("positive", "reason", "evidence", "source"))?.let { p ->
            ScreenPositiveResult(positive = p.bool("positive"), reason = localized(p.obj("reason", LOCALIZED)), evidence = p.strs("evidence"), source = p.str("source"))
        },
    )
}

/** A typed `StudentEvidence` from the evidence document of an alert vector (`docs/alert-tiers.md`). */
fun typedEvidence(v: Any?): StudentEvidence {
    @Suppress("UNCHECKED_CAST")
    val e = Obj(v as? Map<String, Any?> ?: throw TypedJsonError("expected an evidence object"), "",
        setOf("student", "screenings", "observations", "life_events", "clinical", "agency_notices", "special_periods", "previous", "reviews", "completed_actions"))
    return StudentEvidence(
        student = e.str("student"),
        screenings = e.objs("screenings", setOf("id", "at", "report")).map {
            Screening(id = it.optStr("id"), at = it.str("at"), report = typedReport(it.m["report"], "${it.path}/report"))
        },
        observations = e.objs("observations", setOf("id", "category", "at", "observed_by")).map {
            StaffObservation(id = it.optStr("id"), category = it.str("category"), at = it.str("at"), observedBy = person(it.obj("observed_by", PERSON)))
        },
        lifeEvents = e.objs("life_events", setOf("id", "kind", "at", "reported_by")).map {
            LifeEvent(id = it.optStr("id"), kind = it.str("kind"), at = it.str("at"), reportedBy = it.optObj("reported_by", PERSON)?.let(::person))
        },
        clinical = e.objs("clinical", setOf("id", "kind", "at", "institution")).map {
            ClinicalNotice(id = it.optStr("id"), kind = it.str("kind"), at = it.str("at"), institution = it.str("institution"))
        },
        agencyNotices = e.objs("agency_notices", setOf("id", "agency", "severity", "at")).map {
            AgencyNotice(id = it.optStr("id"), agency = it.str("agency"), severity = wire(it, "severity"), at = it.str("at"))
        },
        specialPeriods = e.objs("special_periods", setOf("kind", "from", "to")).map {
            SpecialPeriod(kind = it.str("kind"), from = it.str("from"), to = it.str("to"))
        },
        previous = e.optObj("previous", setOf("tier", "since", "confirmed_by"))?.let {
            PreviousTier(tier = it.str("tier"), since = it.str("since"), confirmedBy = it.optObj("confirmed_by", PERSON)?.let(::person))
        },
        reviews = e.objs("reviews", setOf("id", "by", "at", "from_tier", "to_tier", "reason")).map {
            Review(id = it.optStr("id"), by = person(it.obj("by", PERSON)), at = it.str("at"), fromTier = it.str("from_tier"), toTier = it.str("to_tier"), reason = it.str("reason"))
        },
        completedActions = e.objs("completed_actions", setOf("action", "done_at", "by")).map {
            CompletedAction(action = it.str("action"), doneAt = it.str("done_at"), by = it.optObj("by", PERSON)?.let(::person))
        },
    )
}
