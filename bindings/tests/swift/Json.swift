// A small JSON reader and canonical writer for the golden-vector replay.
// Canonical form = the one the Rust replayer compares: object keys sorted, no whitespace.
// Integers stay exact (kept as their digits); the vectors hold no floats.
import Foundation
#if canImport(Changkaixin)
import Changkaixin
#endif

indirect enum JSON: Equatable {
    case null
    case bool(Bool)
    case int(String)      // the digits, exact
    case float(String)    // kept as text
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    static func == (a: JSON, b: JSON) -> Bool { a.canonical == b.canonical }

    subscript(key: String) -> JSON? {
        if case .object(let kv) = self { return kv.first(where: { $0.0 == key })?.1 }
        return nil
    }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    var int: String? { if case .int(let s) = self { return s }; return nil }
    var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    var object: [(String, JSON)]? { if case .object(let o) = self { return o }; return nil }
    var isNull: Bool { if case .null = self { return true }; return false }
    /// A string-valued object as a dictionary (settings, group keys).
    var stringMap: [String: String] {
        var m: [String: String] = [:]
        for (k, v) in object ?? [] { if let s = v.string { m[k] = s } }
        return m
    }

    var canonical: String {
        var out = ""
        write(&out)
        return out
    }

    private func write(_ out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let s), .float(let s): out += s
        case .string(let s): JSON.writeString(s, &out)
        case .array(let a):
            out += "["
            for (i, x) in a.enumerated() { if i > 0 { out += "," }; x.write(&out) }
            out += "]"
        case .object(let kv):
            out += "{"
            // Keys compare by Unicode scalars, as Rust's BTreeMap<String> does (by UTF-8 bytes).
            let sorted = kv.sorted { Array($0.0.unicodeScalars.map { $0.value }).lexicographicallyPrecedes($1.0.unicodeScalars.map { $0.value }) }
            for (i, (k, v)) in sorted.enumerated() {
                if i > 0 { out += "," }
                JSON.writeString(k, &out)
                out += ":"
                v.write(&out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, _ out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }
}

struct JSONError: Error { let message: String }

struct JSONReader {
    private let s: [UInt8]
    private var i = 0
    init(_ text: String) { s = Array(text.utf8) }

    static func parse(_ text: String) throws -> JSON {
        var r = JSONReader(text)
        let v = try r.value()
        r.ws()
        guard r.i == r.s.count else { throw JSONError(message: "trailing characters at \(r.i)") }
        return v
    }

    private mutating func ws() {
        while i < s.count, s[i] == 0x20 || s[i] == 0x0A || s[i] == 0x0D || s[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws -> JSON {
        ws()
        guard i < s.count else { throw JSONError(message: "unexpected end") }
        switch s[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    private mutating func literal(_ w: String) throws {
        let bytes = Array(w.utf8)
        guard i + bytes.count <= s.count, Array(s[i..<i + bytes.count]) == bytes else { throw JSONError(message: "bad literal at \(i)") }
        i += bytes.count
    }

    private mutating func object() throws -> JSON {
        var kv: [(String, JSON)] = []
        i += 1
        ws()
        if s[i] == UInt8(ascii: "}") { i += 1; return .object(kv) }
        while true {
            ws()
            let k = try string()
            ws()
            guard s[i] == UInt8(ascii: ":") else { throw JSONError(message: "expected ':' at \(i)") }
            i += 1
            kv.append((k, try value()))
            ws()
            let c = s[i]; i += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { return .object(kv) }
            throw JSONError(message: "expected ',' or '}' at \(i - 1)")
        }
    }

    private mutating func array() throws -> JSON {
        var a: [JSON] = []
        i += 1
        ws()
        if s[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
        while true {
            a.append(try value())
            ws()
            let c = s[i]; i += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "]") { return .array(a) }
            throw JSONError(message: "expected ',' or ']' at \(i - 1)")
        }
    }

    private mutating func string() throws -> String {
        guard s[i] == UInt8(ascii: "\"") else { throw JSONError(message: "expected string at \(i)") }
        i += 1
        var bytes: [UInt8] = []
        while true {
            let c = s[i]; i += 1
            if c == UInt8(ascii: "\"") { break }
            if c != UInt8(ascii: "\\") { bytes.append(c); continue }
            let e = s[i]; i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                guard let hex = String(bytes: s[i..<i + 4], encoding: .ascii), var code = UInt32(hex, radix: 16) else {
                    throw JSONError(message: "bad \\u escape at \(i)")
                }
                i += 4
                // A surrogate pair \uD83D\uDE00 becomes one scalar.
                if (0xD800..<0xDC00).contains(code), s[i] == UInt8(ascii: "\\"), s[i + 1] == UInt8(ascii: "u"),
                   let lo = String(bytes: s[i + 2..<i + 6], encoding: .ascii).flatMap({ UInt32($0, radix: 16) }) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (lo - 0xDC00)
                    i += 6
                }
                guard let scalar = Unicode.Scalar(code) else { throw JSONError(message: "bad code point") }
                bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw JSONError(message: "bad escape at \(i)")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func number() throws -> JSON {
        let start = i
        var isFloat = false
        while i < s.count, let c = Optional(s[i]), (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { isFloat = true }
            i += 1
        }
        guard i > start else { throw JSONError(message: "unexpected character at \(i)") }
        let text = String(decoding: s[start..<i], as: UTF8.self)
        return isFloat ? .float(text) : .int(text)
    }
}

// ---- typed records from JSON ----------------------------------------------------------------------
// The golden vectors store alert evidence as the core's JSON document; these build the typed UniFFI
// records from it, field by field, as an app would from its own data. Strict: an unknown key, a
// missing required field or a value of the wrong type throws (a field the records cannot carry
// would otherwise be dropped silently).

struct TypedJSONError: Error { let message: String }

private struct Obj {
    let kv: [(String, JSON)]
    let path: String
    init(_ v: JSON?, _ path: String, _ known: Set<String>) throws {
        guard let kv = v?.object else { throw TypedJSONError(message: "\(path): expected an object") }
        let extra = kv.map { $0.0 }.filter { !known.contains($0) }
        guard extra.isEmpty else { throw TypedJSONError(message: "\(path): keys the typed records do not know: \(extra)") }
        self.kv = kv
        self.path = path
    }
    subscript(k: String) -> JSON? { kv.first(where: { $0.0 == k }).map { $0.1 }.flatMap { $0.isNull ? nil : $0 } }
    func has(_ k: String) -> Bool { self[k] != nil }
    func str(_ k: String) throws -> String {
        guard let s = self[k]?.string else { throw TypedJSONError(message: "\(path)/\(k): expected a string") }
        return s
    }
    func optStr(_ k: String) throws -> String? { has(k) ? try str(k) : nil }
    func bool(_ k: String) throws -> Bool {
        guard let b = self[k]?.bool else { throw TypedJSONError(message: "\(path)/\(k): expected a boolean") }
        return b
    }
    func u32(_ k: String) throws -> UInt32 {
        guard let d = self[k]?.int, let n = UInt32(d) else { throw TypedJSONError(message: "\(path)/\(k): expected a u32") }
        return n
    }
    func obj(_ k: String, _ known: Set<String>) throws -> Obj { try Obj(self[k], "\(path)/\(k)", known) }
    func optObj(_ k: String, _ known: Set<String>) throws -> Obj? { has(k) ? try obj(k, known) : nil }
    func list(_ k: String) throws -> [JSON] {
        guard let v = self[k] else { return [] }
        guard let a = v.array else { throw TypedJSONError(message: "\(path)/\(k): expected an array") }
        return a
    }
    func objs(_ k: String, _ known: Set<String>) throws -> [Obj] {
        try list(k).enumerated().map { try Obj($0.element, "\(path)/\(k)/\($0.offset)", known) }
    }
    func strs(_ k: String) throws -> [String] {
        try list(k).enumerated().map {
            guard let s = $0.element.string else { throw TypedJSONError(message: "\(path)/\(k)/\($0.offset): expected a string") }
            return s
        }
    }
    func strMap(_ k: String) throws -> [String: String] {
        guard let v = self[k] else { return [:] }
        guard let o = v.object else { throw TypedJSONError(message: "\(path)/\(k): expected an object") }
        var m: [String: String] = [:]
        for (kk, x) in o {
            guard let s = x.string else { throw TypedJSONError(message: "\(path)/\(k)/\(kk): expected a string") }
            m[kk] = s
        }
        return m
    }
    /// An enum from its wire name (`"moderate"` → `.moderate`).
    func wire<E>(_ k: String, _ table: [String: E]) throws -> E {
        let s = try str(k)
        guard let e = table[s] else { throw TypedJSONError(message: "\(path)/\(k): unknown value \(s)") }
        return e
    }
}

private let localizedKeys: Set<String> = ["zh", "en"]
private let personKeys: Set<String> = ["name", "role"]
private func localized(_ o: Obj) throws -> Localized { Localized(zh: try o.optStr("zh"), en: try o.optStr("en")) }
private func person(_ o: Obj) throws -> Person { Person(name: try o.str("name"), role: try o.str("role")) }
private let severities: [String: Severity] = ["none": .none, "mild": .mild, "moderate": .moderate, "high": .high, "severe": .severe]
private let flagLevels: [String: FlagLevel] = ["info": .info, "warning": .warning, "critical": .critical]
private let statuses: [String: ValidityStatus] = ["valid": .valid, "incomplete": .incomplete, "invalid": .invalid]
private let verdicts: [String: ValidityVerdict] = ["note": .note, "incomplete": .incomplete, "invalid": .invalid]
private let noticeSeverities: [String: NoticeSeverity] = ["concern": .concern, "urgent": .urgent]

/// A typed `ScoreReport` from the core's JSON report.
func typedReport(_ v: JSON?, _ path: String = "") throws -> ScoreReport {
    let r = try Obj(v, path, ["instrument", "validity", "items", "duration_seconds", "scales", "flags", "screen_positive"])
    let inst = try r.obj("instrument", ["id", "version", "settings"])
    let validity = try r.obj("validity", ["status", "reasons"])
    let items = try r.obj("items", ["answered", "missing", "refused"])
    var duration: Int64? = nil
    if r.has("duration_seconds") {
        guard let d = r["duration_seconds"]?.int.flatMap({ Int64($0) }) else { throw TypedJSONError(message: "\(path)/duration_seconds: expected an integer") }
        duration = d
    }
    return ScoreReport(
        instrument: InstrumentRef(id: try inst.str("id"), version: try inst.str("version"), settings: try inst.strMap("settings")),
        validity: Validity(
            status: try validity.wire("status", statuses),
            reasons: try validity.objs("reasons", ["rule", "verdict", "message", "source"]).map {
                ValidityReason(rule: try $0.str("rule"), verdict: try $0.wire("verdict", verdicts), message: try localized(try $0.obj("message", localizedKeys)), source: try $0.optStr("source"))
            }),
        items: ItemCounts(answered: try items.u32("answered"), missing: try items.u32("missing"), refused: try items.u32("refused")),
        durationSeconds: duration,
        scales: try r.objs("scales", ["id", "scored", "raw", "raw_exact", "score", "answered", "of", "prorated", "band", "unscored_reason"]).map { s in
            ScaleResult(
                id: try s.str("id"), scored: try s.bool("scored"), raw: try s.optStr("raw"), rawExact: try s.optStr("raw_exact"), score: try s.optStr("score"),
                answered: try s.u32("answered"), of: try s.u32("of"), prorated: try s.bool("prorated"),
                band: try s.optObj("band", ["id", "label", "index", "severity", "rule", "evidence", "source"]).map { b in
                    BandResult(id: try b.str("id"), label: try localized(try b.obj("label", localizedKeys)), index: try b.u32("index"), severity: try b.wire("severity", severities),
                               rule: try b.str("rule"), evidence: try b.str("evidence"), source: try b.optStr("source"))
                },
                unscoredReason: try s.optStr("unscored_reason"))
        },
        flags: try r.objs("flags", ["id", "level", "label", "reason", "items", "evidence", "source"]).map { f in
            FlagResult(id: try f.str("id"), level: try f.wire("level", flagLevels), label: try localized(try f.obj("label", localizedKeys)),
                       reason: try localized(try f.obj("reason", localizedKeys)),
                       items: try f.list("items").map {
                           guard let n = $0.int.flatMap({ UInt32($0) }) else { throw TypedJSONError(message: "\(f.path)/items: expected u32") }
                           return n
                       },
                       evidence: try f.strs("evidence"), source: try f.str("source"))
        },
        screenPositive: try r.optObj("screen_positive", ["positive", "reason", "evidence", "source"]).map { p in
            ScreenPositiveResult(positive: try p.bool("positive"), reason: try localized(try p.obj("reason", localizedKeys)), evidence: try p.strs("evidence"), source: try p.str("source"))
        })
}

/// A typed `StudentEvidence` from the evidence document of an alert vector (`docs/alert-tiers.md`).
func typedEvidence(_ v: JSON?) throws -> StudentEvidence {
    let e = try Obj(v, "", ["student", "screenings", "observations", "life_events", "clinical", "agency_notices", "special_periods", "previous", "reviews", "completed_actions"])
    return StudentEvidence(
        student: try e.str("student"),
        screenings: try e.objs("screenings", ["id", "at", "report"]).map {
            Screening(id: try $0.optStr("id"), at: try $0.str("at"), report: try typedReport($0["report"], "\($0.path)/report"))
        },
        observations: try e.objs("observations", ["id", "category", "at", "observed_by"]).map {
            StaffObservation(id: try $0.optStr("id"), category: try $0.str("category"), at: try $0.str("at"), observedBy: try person(try $0.obj("observed_by", personKeys)))
        },
        lifeEvents: try e.objs("life_events", ["id", "kind", "at", "reported_by"]).map {
            LifeEvent(id: try $0.optStr("id"), kind: try $0.str("kind"), at: try $0.str("at"), reportedBy: try $0.optObj("reported_by", personKeys).map(person))
        },
        clinical: try e.objs("clinical", ["id", "kind", "at", "institution"]).map {
            ClinicalNotice(id: try $0.optStr("id"), kind: try $0.str("kind"), at: try $0.str("at"), institution: try $0.str("institution"))
        },
        agencyNotices: try e.objs("agency_notices", ["id", "agency", "severity", "at"]).map {
            AgencyNotice(id: try $0.optStr("id"), agency: try $0.str("agency"), severity: try $0.wire("severity", noticeSeverities), at: try $0.str("at"))
        },
        specialPeriods: try e.objs("special_periods", ["kind", "from", "to"]).map {
            SpecialPeriod(kind: try $0.str("kind"), from: try $0.str("from"), to: try $0.str("to"))
        },
        previous: try e.optObj("previous", ["tier", "since", "confirmed_by"]).map {
            PreviousTier(tier: try $0.str("tier"), since: try $0.str("since"), confirmedBy: try $0.optObj("confirmed_by", personKeys).map(person))
        },
        reviews: try e.objs("reviews", ["id", "by", "at", "from_tier", "to_tier", "reason"]).map {
            Review(id: try $0.optStr("id"), by: try person(try $0.obj("by", personKeys)), at: try $0.str("at"), fromTier: try $0.str("from_tier"),
                   toTier: try $0.str("to_tier"), reason: try $0.str("reason"))
        },
        completedActions: try e.objs("completed_actions", ["action", "done_at", "by"]).map {
            CompletedAction(action: try $0.str("action"), doneAt: try $0.str("done_at"), by: try $0.optObj("by", personKeys).map(person))
        })
}
