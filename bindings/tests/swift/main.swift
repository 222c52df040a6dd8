// Swift test program for the changkaixin bindings: replays every golden vector in tests/vectors/,
// checks native errors for bad input, and walks through an app-like flow.
// Usage: ./changkaixin-swift-test <repo root>
import Foundation
#if canImport(Changkaixin)
import Changkaixin
#endif

var passed = 0
var failed = 0

func check(_ cond: Bool, _ what: @autoclosure () -> String) {
    if cond { passed += 1 } else { failed += 1; FileHandle.standardError.write("FAIL: \(what())\n".data(using: .utf8)!) }
}

@discardableResult
func expectError<T>(_ code: String, _ body: () throws -> T) -> ChangkaixinError? {
    do {
        _ = try body()
        check(false, "expected \(code), got a result")
        return nil
    } catch let e as ChangkaixinError {
        check(e.errorCode() == code, "expected \(code), got \(e.errorCode()) (\(e))")
        return e
    } catch {
        check(false, "expected ChangkaixinError \(code), got \(error)")
        return nil
    }
}

func itemOf(_ e: ChangkaixinError) -> UInt32? {
    switch e {
    case .Spec(_, _, let item, _, _), .Score(_, _, let item, _, _), .Batch(_, _, let item, _, _), .Catalog(_, _, let item, _, _),
         .Fhir(_, _, let item, _, _), .Policy(_, _, let item, _, _), .Evidence(_, _, let item, _, _), .Time(_, _, let item, _, _),
         .Compliance(_, _, let item, _, _), .Facts(_, _, let item, _, _),
         .Archive(_, _, let item, _, _), .Privacy(_, _, let item, _, _), .Report(_, _, let item, _, _):
        return item
    case .Internal: return nil
    }
}

func rowOf(_ e: ChangkaixinError) -> UInt64? {
    switch e {
    case .Spec(_, _, _, let row, _), .Score(_, _, _, let row, _), .Batch(_, _, _, let row, _), .Catalog(_, _, _, let row, _),
         .Fhir(_, _, _, let row, _), .Policy(_, _, _, let row, _), .Evidence(_, _, _, let row, _), .Time(_, _, _, let row, _),
         .Compliance(_, _, _, let row, _), .Facts(_, _, _, let row, _),
         .Archive(_, _, _, let row, _), .Privacy(_, _, _, let row, _), .Report(_, _, _, let row, _):
        return row
    case .Internal: return nil
    }
}

/// The error as the core serialises it ({code, path, item?, row?, message}).
func errorJson(_ e: ChangkaixinError) -> JSON {
    var kv: [(String, JSON)] = [("code", .string(e.errorCode())), ("path", .string(e.errorPath())), ("message", .string(e.errorDetail()))]
    if let item = itemOf(e) { kv.append(("item", .int(String(item)))) }
    if let row = rowOf(e) { kv.append(("row", .int(String(row)))) }
    return .object(kv)
}

/// One typed answer from a vector's JSON answer (int code, option id string, null, "refused", "missing").
func typedAnswer(_ v: JSON) -> Answer {
    switch v {
    case .null: return .missing
    case .string("refused"): return .refused
    case .string("missing"): return .missing
    case .string(let id): return .optionId(id: id)
    case .int(let digits): return .code(code: Int64(digits)!)
    default: fatalError("answer not representable: \(v.canonical)")
    }
}

/// The typed recode from a vector's `code_map` (targets: option code or option id).
func typedCodeMap(_ v: JSON) -> CodeMapSpec {
    func table(_ m: JSON?) -> [String: OptionTarget] {
        var t: [String: OptionTarget] = [:]
        for (k, x) in m?.object ?? [] {
            switch x {
            case .int(let digits): t[k] = .code(code: Int64(digits)!)
            case .string(let id): t[k] = .id(id: id)
            default: fatalError("code map target not representable: \(x.canonical)")
            }
        }
        return t
    }
    check((v.object ?? []).allSatisfy { $0.0 == "all" || $0.0 == "items" }, "code map keys")
    var items: [String: [String: OptionTarget]] = [:]
    for (k, m) in v["items"]?.object ?? [] { items[k] = table(m) }
    return CodeMapSpec(all: v["all"].map { table($0) }, items: items)
}

/// The typed Response built from a vector's JSON response.
func typedResponse(_ r: JSON) -> Response {
    var answers: [String: Answer] = [:]
    for (k, v) in r["answers"]?.object ?? [] { answers[k] = typedAnswer(v) }
    return Response(answers: answers, startedAt: r["started_at"]?.string, finishedAt: r["finished_at"]?.string, group: r["group"]?.stringMap ?? [:])
}

func name<T>(_ v: T) -> String { String(describing: v) }
func optInt<T: BinaryInteger>(_ v: T?) -> String? { v.map { String($0) } }

/// Spot-check typed fields against the stored canonical report (independently of toJson).
func spotCheck(_ n: String, _ rep: ScoreReport, _ want: JSON) {
    check(rep.instrument.id == want["instrument"]?["id"]?.string && rep.instrument.version == want["instrument"]?["version"]?.string, "\(n): instrument ref")
    check(rep.instrument.settings == (want["instrument"]?["settings"]?.stringMap ?? [:]), "\(n): settings")
    check(name(rep.validity.status) == want["validity"]?["status"]?.string, "\(n): validity \(rep.validity.status)")
    check(rep.validity.reasons.map { $0.rule } == (want["validity"]?["reasons"]?.array ?? []).map { $0["rule"]?.string ?? "?" }, "\(n): validity reasons")
    check(String(rep.items.answered) == want["items"]?["answered"]?.int && String(rep.items.missing) == want["items"]?["missing"]?.int &&
          String(rep.items.refused) == want["items"]?["refused"]?.int, "\(n): item counts")
    check(optInt(rep.durationSeconds) == want["duration_seconds"]?.int, "\(n): duration")
    let scales = want["scales"]?.array ?? []
    check(rep.scales.count == scales.count, "\(n): scale count")
    for (got, w) in zip(rep.scales, scales) {
        check(got.id == w["id"]?.string && got.scored == w["scored"]?.bool && got.raw == w["raw"]?.string && got.score == w["score"]?.string &&
              got.rawExact == w["raw_exact"]?.string && got.prorated == w["prorated"]?.bool && String(got.answered) == w["answered"]?.int &&
              String(got.of) == w["of"]?.int, "\(n): scale \(got.id)")
        let wb = w["band"]
        check(got.band?.id == wb?["id"]?.string && optInt(got.band?.index) == wb?["index"]?.int &&
              got.band.map { name($0.severity) } == wb?["severity"]?.string, "\(n): band of \(got.id)")
        check(rep.scale(id: got.id) == got, "\(n): scale(id:) lookup")
    }
    let flags = want["flags"]?.array ?? []
    check(rep.flags.map { $0.id } == flags.map { $0["id"]?.string ?? "?" }, "\(n): flags")
    check(rep.flags.map { name($0.level) } == flags.map { $0["level"]?.string ?? "?" }, "\(n): flag levels")
    check(rep.flags.map { name($0.verdict) } == flags.map { $0["verdict"]?.string ?? "?" }, "\(n): flag verdicts")
    check(rep.flags.map { $0.missingItems.map { String($0) } } == flags.map { ($0["missing_items"]?.array ?? []).map { $0.int ?? "?" } } &&
          rep.flags.map { $0.refusedItems.map { String($0) } } == flags.map { ($0["refused_items"]?.array ?? []).map { $0.int ?? "?" } }, "\(n): flag missing/refused items")
    // Positive reads as hasFlag; indeterminate never does.
    for f in rep.flags { check(rep.hasFlag(id: f.id) == (f.verdict == .positive) && rep.flagVerdict(id: f.id) == f.verdict, "\(n): hasFlag/flagVerdict(\(f.id))") }
    let sp = want["screen_positive"]
    check(rep.screenPositive.map { name($0.verdict) } == sp?["verdict"]?.string && rep.screenVerdict() == rep.screenPositive?.verdict, "\(n): screen verdict")
    check(rep.screenPositive?.missingItems.map { String($0) } == sp.map { ($0["missing_items"]?.array ?? []).map { $0.int ?? "?" } } &&
          rep.screenPositive?.refusedItems.map { String($0) } == sp.map { ($0["refused_items"]?.array ?? []).map { $0.int ?? "?" } }, "\(n): screen missing/refused items")
}

/// The hand-written expectations (`expect`) against the typed report.
func checkExpect(_ n: String, _ rep: ScoreReport, _ expect: JSON) {
    if let v = expect["validity"]?.string { check(name(rep.validity.status) == v, "\(n): expect validity \(v)") }
    for (id, w) in expect["scales"]?.object ?? [] {
        let got = rep.scale(id: id)
        check(got != nil, "\(n): expect scale \(id)")
        if let raw = w["raw"] { check(got?.raw == raw.string, "\(n): expect \(id) raw \(raw.canonical), got \(got?.raw ?? "nil")") }
        if let band = w["band"] { check(got?.band?.id == band.string, "\(n): expect \(id) band \(band.canonical)") }
    }
    if expect["flags"] != nil || expect["flags_indeterminate"] != nil {
        let pos = Set((expect["flags"]?.array ?? []).compactMap { $0.string })
        let ind = Set((expect["flags_indeterminate"]?.array ?? []).compactMap { $0.string })
        check(Set(rep.flags.filter { $0.verdict == .positive }.map { $0.id }) == pos, "\(n): expect positive flags \(pos)")
        check(Set(rep.flags.filter { $0.verdict == .indeterminate }.map { $0.id }) == ind, "\(n): expect indeterminate flags \(ind)")
        for id in ind { check(!rep.hasFlag(id: id) && rep.flagVerdict(id: id) == .indeterminate, "\(n): indeterminate \(id) must not read as a flag or as negative") }
    }
    if let w = expect["screen_positive"] { check(w.string != nil && rep.screenVerdict().map { name($0) } == w.string, "\(n): expect screen \(w.canonical)") }
    if let w = expect["screen_missing_items"] { check(rep.screenPositive?.missingItems.map { String($0) } == (w.array ?? []).map { $0.int ?? "?" }, "\(n): screen missing items") }
    if let w = expect["screen_refused_items"] { check(rep.screenPositive?.refusedItems.map { String($0) } == (w.array ?? []).map { $0.int ?? "?" }, "\(n): screen refused items") }
}


var batchReplays = 0

/// An exact decimal string as a mantissa of `decimals` places (`Int64.min` for none; `nil` if it does not fit).
func mantissa(_ d: String?, _ decimals: UInt32) -> Int64? {
    guard let d = d else { return Int64.min }
    let parts = d.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    let frac = parts.count > 1 ? parts[1] : ""
    if parts.count > 2 || frac.count > Int(decimals) { return nil }
    return Int64(parts[0] + frac + String(repeating: "0", count: Int(decimals) - frac.count))
}

func widen(_ c: MantissaColumn) -> [Int64] {
    switch c {
    case .i16(let v): return v.map { $0 == Int16.min ? Int64.min : Int64($0) }
    case .i32(let v): return v.map { $0 == Int32.min ? Int64.min : Int64($0) }
    case .i64(let v): return v
    }
}

/// A golden case as row 21 of a 37-row batch (the other rows each item's lowest option), wide and
/// compact, on two threads: every column at that row equals the case's report. A case a byte row
/// cannot carry (a code outside 0..=127, an unknown key) is skipped.
func replayInBatch(_ name: String, _ inst: Instrument, _ resp: Response, _ rep: ScoreReport) throws {
    let info = inst.info()
    let n = info.items.count
    var row = [Int8](repeating: -1, count: n)
    for (key, ans) in resp.answers {
        guard let item = info.items.first(where: { $0.id == key || String($0.number) == key }) else { return }
        let options: [OptionInfo]
        switch item.options {
        case .inline(let o): options = o
        case .named(let nm): guard let o = info.optionSets[nm] else { return }; options = o
        }
        let code: Int64
        switch ans {
        case .code(let c): code = c
        case .optionId(let id): guard let o = options.first(where: { $0.id == id }) else { return }; code = o.code
        case .missing: code = -1
        case .refused: code = -2
        }
        if code < -2 || code > 127 { return }
        row[Int(item.number) - 1] = Int8(code)
    }
    let filler = (0..<n).map { Int8(inst.optionCodes(item: UInt32($0 + 1))?.min() ?? 0) }
    let at = 21
    var codes = [Int8]()
    for r in 0..<37 { codes += r == at ? row : filler }
    let grouped = !resp.group.isEmpty
    let req = BatchRequest(codes: Data(codes.map { UInt8(bitPattern: $0) }), nItems: UInt32(n), missing: -1, refused: -2,
                           rowGroup: grouped ? [UInt32](repeating: 0, count: 37) : nil, groups: grouped ? [resp.group] : [],
                           durations: [Int64](repeating: rep.durationSeconds ?? -1, count: 37), threads: 2)
    let wide = try inst.scoreBatch(request: req)
    let compact = try inst.scoreBatchCompact(request: req)
    let validity: UInt8
    switch rep.validity.status {
    case .valid: validity = 0
    case .incomplete: validity = 1
    case .invalid: validity = 2
    }
    var bad: [String] = []
    for (s, col) in zip(rep.scales, wide.scales) {
        if col.id != s.id || col.raw[at] != mantissa(s.raw, col.rawDecimals) || col.score[at] != mantissa(s.score, col.scoreDecimals)
            || Int(col.band[at]) != (s.band.map { Int($0.index) } ?? -1) || UInt32(col.answered[at]) != s.answered || col.prorated[at] != s.prorated { bad.append("wide scale \(s.id)") }
    }
    for (s, col) in zip(rep.scales, compact.scales) {
        if col.id != s.id || widen(col.raw)[at] != mantissa(s.raw, col.rawDecimals) || (col.score.map(widen) ?? widen(col.raw))[at] != mantissa(s.score, col.scoreDecimals)
            || Int(col.band[at]) != (s.band.map { Int($0.index) } ?? -1) || (col.prorated?[at] ?? false) != s.prorated { bad.append("compact scale \(s.id)") }
    }
    if rep.scales.count != wide.scales.count || rep.scales.count != compact.scales.count { bad.append("scale count") }
    if [UInt8](wide.validity)[at] != validity || [UInt8](compact.validity)[at] != validity { bad.append("validity") }
    for (i, f) in wide.flagIds.enumerated() {
        let want = verdictCode(verdict: rep.flagVerdict(id: f))
        if [UInt8](wide.verdicts[i])[at] != want || [UInt8](compact.verdicts[i])[at] != want { bad.append("flag \(f)") }
    }
    let screen = rep.screenVerdict().map { verdictCode(verdict: $0) }
    let ws = [UInt8](wide.screen), cs = [UInt8](compact.screen)
    if (ws.count > at ? ws[at] : nil) != screen || (cs.count > at ? cs[at] : nil) != screen { bad.append("screen") }
    check(bad.isEmpty, "\(name) in a batch: \(bad)")
    batchReplays += 1
}

func replayVectors(_ root: URL) throws -> Int {
    let dir = root.appendingPathComponent("tests/vectors/scoring")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
    check(!files.isEmpty, "no scoring vectors")
    let catalog = Catalog.builtin()
    var cases = 0
    for file in files {
        let doc = try JSONReader.parse(try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8))
        check(doc["format"]?.string == "changkaixin.vectors/1" && doc["kind"]?.string == "score", "\(file): format")
        for c in doc["cases"]?.array ?? [] {
            cases += 1
            let n = "\(file) / \(c["name"]?.string ?? "?")"
            let settings = c["settings"]?.stringMap ?? [:]
            let wantErr = c["expect_error"]
            let inst: Instrument
            do {
                if let specFile = doc["spec_file"]?.string {
                    inst = try Instrument.fromJson(json: try String(contentsOf: root.appendingPathComponent(specFile), encoding: .utf8), settings: settings)
                } else {
                    inst = try catalog.instrumentWith(id: doc["instrument"]?.string ?? "", settings: settings)
                }
            } catch let e as ChangkaixinError {
                check(wantErr != nil && e.errorCode() == wantErr?["code"]?.string, "\(n): cannot load instrument: \(e)")
                continue
            }
            let response = c["response"]
            let answersList = c["answers_list"]?.array?.map(typedAnswer)
            let codeMapJson = c["code_map"]
            do {
                // The recode is checked by the core, typed and from JSON alike.
                var map: CodeMap? = nil
                if let cm = codeMapJson {
                    do { map = try inst.codeMap(spec: typedCodeMap(cm)) } catch let e as ChangkaixinError {
                        let j = expectError(e.errorCode()) { try inst.codeMapJson(json: cm.canonical) }
                        check(j.map { errorJson($0).canonical } == errorJson(e).canonical, "\(n): codeMapJson error differs")
                        throw e
                    }
                    check(map?.instrument() == inst.id(), "\(n): code map instrument")
                }
                let rep: ScoreReport
                switch (answersList, map) {
                case (let list?, let m?): rep = try inst.scoreAnswersWithCodeMap(answers: list, map: m)
                case (let list?, nil): rep = try inst.scoreAnswers(answers: list)
                case (nil, let m?): rep = try inst.scoreWithCodeMap(response: typedResponse(response ?? .null), map: m)
                case (nil, nil): rep = try inst.score(response: typedResponse(response ?? .null))
                }
                guard wantErr == nil, let want = c["report"] else {
                    check(false, "\(n): expected error \(wantErr?.canonical ?? "?") or a stored report")
                    continue
                }
                // The typed record goes back through the binding into the core's canonical JSON.
                let got = try JSONReader.parse(rep.toJson())
                check(got.canonical == want.canonical, "\(n): report differs\n  want \(want.canonical)\n  got  \(got.canonical)")
                spotCheck(n, rep, want)
                if let expect = c["expect"] { checkExpect(n, rep, expect) }
                // The typed report read back from the stored JSON equals the one scored.
                check((try? typedReport(want)) == rep && (try? scoreReportFromJson(json: want.canonical)) == rep, "\(n): typed report from the stored JSON differs")
                if let cm = codeMapJson {
                    let viaJson = try inst.codeMapJson(json: cm.canonical)
                    let again = try answersList.map { try inst.scoreAnswersWithCodeMap(answers: $0, map: viaJson) } ?? inst.scoreWithCodeMap(response: typedResponse(response ?? .null), map: viaJson)
                    check(again == rep, "\(n): codeMapJson gives another report")
                } else if let response = response {
                    // The JSON-in / JSON-out helper gives the same bytes.
                    check(try JSONReader.parse(try inst.scoreJsonToJson(responseJson: response.canonical)).canonical == want.canonical, "\(n): JSON helper differs")
                }
                if codeMapJson == nil && answersList == nil, let response = response { try replayInBatch(n, inst, typedResponse(response), rep) }
            } catch let e as ChangkaixinError {
                guard let wantErr = wantErr else { check(false, "\(n): unexpected error \(e)"); continue }
                check(e.errorCode() == wantErr["code"]?.string, "\(n): expected \(wantErr["code"]?.canonical ?? "?"), got \(e.errorCode())")
                if let item = wantErr["item"]?.int { check(optInt(itemOf(e)) == item, "\(n): error item \(String(describing: itemOf(e))) != \(item)") }
                if let stored = c["error"] { check(errorJson(e).canonical == stored.canonical, "\(n): error \(errorJson(e).canonical) != \(stored.canonical)") }
            }
        }
    }
    return cases
}

func replayAlertVectors(_ root: URL) throws -> Int {
    let dir = root.appendingPathComponent("tests/vectors/alert")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return 0 }
    let policy = try AlertPolicy.changzhouDefault()
    var cases = 0
    // Per evaluation time: the typed evidence and each case, for the batch replay below.
    var times: [String] = []
    var byTime: [String: [(String, StudentEvidence, JSON)]] = [:]
    for file in names.filter({ $0.hasSuffix(".json") }).sorted() {
        let doc = try JSONReader.parse(try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8))
        check(doc["format"]?.string == "changkaixin.vectors/1" && doc["kind"]?.string == "alert" && doc["policy"]?.string == "builtin:changzhou_default", "\(file): format")
        for c in doc["cases"]?.array ?? [] {
            cases += 1
            let n = "\(file) / \(c["name"]?.string ?? "?")"
            let wantErr = c["expect_error"]
            let at = c["at"]?.string ?? ""
            let evidenceJson = (c["evidence"] ?? .null).canonical
            // The vector's evidence document, built as typed records (as an app builds them from its data).
            let evidence: StudentEvidence
            do { evidence = try typedEvidence(c["evidence"]) } catch let e as TypedJSONError {
                check(false, "\(n): evidence not representable as typed records: \(e.message)")
                continue
            }
            // Lossless: the core reads the document into the same record, and the record writes the same document.
            let parsed = try studentEvidenceFromJson(json: evidenceJson)
            check(parsed == evidence, "\(n): typed evidence differs from studentEvidenceFromJson")
            check(evidence.toJson() == parsed.toJson(), "\(n): typed evidence JSON differs")
            if byTime[at] == nil { times.append(at) }
            byTime[at, default: []].append((n, evidence, c))
            do {
                let d = try policy.evaluate(evidence: evidence, at: at)
                guard wantErr == nil, let want = c["decision"], let expect = c["expect"] else { check(false, "\(n): expected an error"); continue }
                let got = try JSONReader.parse(d.toJson())
                check(got.canonical == want.canonical, "\(n): decision differs\n  want \(want.canonical)\n  got  \(got.canonical)")
                // The JSON entry point gives the same bytes.
                check(try policy.evaluateJson(evidenceJson: evidenceJson, at: at).toJson() == d.toJson(), "\(n): evaluateJson differs from evaluate")
                check(d.tier().id == expect["tier"]?.string && snake(d.change()) == expect["change"]?.string, "\(n): tier/change")
                check(Set(d.firedRules().map { $0.rule }) == Set((expect["rules"]?.array ?? []).compactMap { $0.string }), "\(n): rules")
                check(d.heldBy() == expect["held_by"]?.string, "\(n): held_by")
                // A held tier cites its grounds: the rules that raised it and when, the tier's sources, dwell end, reviewers.
                let wh = want["held_by"]
                let h = d.held()
                check((h == nil) == (wh == nil) && h?.reason == wh?["reason"]?.string && h?.message.zh == wh?["message"]?["zh"]?.string &&
                      h?.raisedBy.map { "\($0.rule)|\($0.tier ?? "-")|\($0.since)|\($0.sources.map { $0.id })" } ==
                      wh.map { ($0["raised_by"]?.array ?? []).map { "\($0["rule"]?.string ?? "")|\($0["tier"]?.string ?? "-")|\($0["since"]?.string ?? "")|\(($0["sources"]?.array ?? []).map { $0["id"]?.string ?? "" })" } } &&
                      h?.recordedReason == wh?["recorded_reason"]?.string && h?.dwellUntil == wh?["dwell_until"]?.string &&
                      h?.tierSources.map { $0.id } == wh?["tier_sources"]?.array?.map { $0["id"]?.string ?? "" } &&
                      h?.reviewBy.map { $0.id } == wh?["review_by"]?.array?.map { $0["id"]?.string ?? "" }, "\(n): held grounds")
                if d.tier().index > 0 { check(!d.firedRules().isEmpty || (h.map { !$0.raisedBy.isEmpty || !$0.tierSources.isEmpty } ?? false), "\(n): a tier above none cites its grounds") }
                // Report-form screenings verify on their own, answers-form ones score as the engine scores them.
                for sc in evidence.screenings {
                    if let r = sc.report { try policy.verifyReport(report: r) }
                    if let i = sc.instrument, let resp = sc.response { check(try policy.scoreScreening(instrument: i, response: resp).instrument.id == i.id, "\(n): scoreScreening") }
                }
                check(d.student() == want["student"]?.string && d.evaluatedAt() == want["evaluated_at"]?.string && d.tierSince() == want["tier_since"]?.string, "\(n): student/times")
                check(String(d.tier().index) == want["tier"]?["index"]?.int && d.ruleTier().id == want["rule_tier"]?["id"]?.string, "\(n): tier refs")
                check(d.previousTier()?.id == want["previous_tier"]?["tier"]?["id"]?.string, "\(n): previous tier")
                check(d.actions().map { "\($0.id)|\($0.role)|\($0.due)|\($0.dueAt)|\($0.overdue)" } ==
                      (want["actions"]?.array ?? []).map { "\($0["id"]?.string ?? "")|\($0["role"]?.string ?? "")|\($0["due"]?.string ?? "")|\($0["due_at"]?.string ?? "")|\($0["overdue"]?.bool ?? false)" }, "\(n): actions")
                check(d.notifications().map { "\($0.who)|\($0.within)|\($0.dueAt)" } ==
                      (want["notifications"]?.array ?? []).map { "\($0["who"]?.string ?? "")|\($0["within"]?.string ?? "")|\($0["due_at"]?.string ?? "")" }, "\(n): notifications")
                let gotRules: [String] = d.firedRules().map { (r: FiredRule) -> String in
                    let src: [String] = r.sources.map { $0.id }
                    let ev: [String] = r.evidence.map { $0.path }
                    return src.joined(separator: ",") + "|" + ev.joined(separator: ",")
                }
                let wantRules: [String] = (want["fired_rules"]?.array ?? []).map { (r: JSON) -> String in
                    let src: [String] = (r["sources"]?.array ?? []).map { $0["id"]?.string ?? "" }
                    let ev: [String] = (r["evidence"]?.array ?? []).map { $0["path"]?.string ?? "" }
                    return src.joined(separator: ",") + "|" + ev.joined(separator: ",")
                }
                check(gotRules == wantRules, "\(n): sources/evidence")
                check(d.responsibleRoles().map { $0.id } == (want["responsible_roles"]?.array ?? []).map { $0["id"]?.string ?? "" }, "\(n): roles")
                check(d.nextReviewAt() == want["next_review_at"]?.string && d.summary().zh == want["summary"]?["zh"]?.string && d.requiresConfirmation(), "\(n): review/summary")
                check(try AlertDecision.fromJson(json: d.toJson()).toJson() == d.toJson(), "\(n): decision JSON round trip")
            } catch let e as ChangkaixinError {
                // The path points into the typed record (`/reviews/0/to_tier`), as into the JSON document.
                check(wantErr != nil && e.errorCode() == wantErr?["code"]?.string && e.errorPath() == wantErr?["path"]?.string, "\(n): error \(e.errorCode()) at \(e.errorPath())")
                // Evidence is verified (`evidence.*`); answers that do not fit their instrument keep their `score.*` code.
                switch e {
                case .Evidence: break
                case .Score(_, let path, _, _, _) where path.hasPrefix("/screenings/"): break
                default: check(false, "\(n): error category \(e)")
                }
                do {
                    _ = try policy.evaluateJson(evidenceJson: evidenceJson, at: at)
                    check(false, "\(n): evaluateJson gave a decision")
                } catch let j as ChangkaixinError {
                    check(j.errorCode() == e.errorCode() && j.errorPath() == e.errorPath(), "\(n): evaluateJson error differs")
                }
            }
        }
    }
    // The same cases as class batches (one per evaluation time), typed and JSON: the tier of each row,
    // and the refused rows with their errors.
    for at in times {
        let group = byTime[at] ?? []
        let typed = try policy.evaluateBatch(students: group.map { $0.1 }, at: at)
        let json = try policy.evaluateBatchJson(evidenceJsons: group.map { ($0.2["evidence"] ?? .null).canonical }, at: at)
        check(typed == json, "batch at \(at): typed and JSON batches differ")
        for (row, (n, _, c)) in group.enumerated() {
            if let wantErr = c["expect_error"] {
                let err = typed.errors.first { $0.row == UInt32(row) }
                check(typed.rowTiers[row] == nil && err?.error.errorCode() == wantErr["code"]?.string && err?.error.errorPath() == wantErr["path"]?.string,
                      "\(n): batch row error \(String(describing: err))")
            } else {
                check(typed.rowTiers[row] == c["expect"]?["tier"]?.string, "\(n): batch row tier \(String(describing: typed.rowTiers[row]))")
            }
        }
        check(typed.tierCounts.reduce(0) { $0 + $1.count } + UInt64(typed.errors.count) == UInt64(group.count), "batch at \(at): counts")
    }
    return cases
}

func snake(_ c: Change) -> String {
    switch c {
    case .raised: return "raised"
    case .unchanged: return "unchanged"
    case .held: return "held"
    case .loweredByReview: return "lowered_by_review"
    }
}

/// A stored total as the core serialises it (absent optionals are absent).
func storedTotalJson(_ t: StoredTotal) -> JSON {
    var kv: [(String, JSON)] = [("link_id", .string(t.linkId)), ("path", .string(t.path)), ("status", .string(storedStatus(t.status)))]
    if let s = t.scale { kv.append(("scale", .string(s))) }
    if let s = t.stored { kv.append(("stored", .string(s))) }
    if let s = t.recomputed { kv.append(("recomputed", .string(s))) }
    return .object(kv)
}

func storedStatus(_ s: StoredTotalStatus) -> String {
    switch s {
    case .agrees: return "agrees"
    case .disagrees: return "disagrees"
    case .notCompared: return "not_compared"
    }
}

/// Replays tests/vectors/fhir (docs/golden-vectors.md, "FHIR vectors"): import, bind, detailed scoring, export.
func replayFhirVectors(_ root: URL) throws -> Int {
    let dir = root.appendingPathComponent("tests/vectors/fhir")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return 0 }
    let catalog = Catalog.builtin()
    var cases = 0
    for file in names.filter({ $0.hasSuffix(".json") }).sorted() {
        let doc = try JSONReader.parse(try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8))
        check(doc["format"]?.string == "changkaixin.vectors/1" && doc["kind"]?.string == "fhir", "\(file): format")
        for c in doc["cases"]?.array ?? [] {
            cases += 1
            let n = "\(file) / \(c["name"]?.string ?? "?")"
            // The files' text, unchanged (FHIR decimals are read from their literal text).
            let questionnaire = try c["questionnaire_file"]?.string.map { try String(contentsOf: root.appendingPathComponent($0), encoding: .utf8) }
            let responseText = try c["response_file"]?.string.map { try String(contentsOf: root.appendingPathComponent($0), encoding: .utf8) }
            var out: [String: JSON] = [:]
            var stage = ""
            var error: ChangkaixinError? = nil
            do {
                stage = "import"
                var imported: Instrument? = nil
                if let q = questionnaire {
                    let spec = try importQuestionnaire(json: q)
                    out["spec"] = try JSONReader.parse(spec)
                    if c["instrument"]?.string == "import" {
                        let i = try Instrument.fromJson(json: spec, settings: [:])
                        // The one-call import compiles the same instrument.
                        check(try Instrument.fromFhirQuestionnaire(json: q).specJson() == i.specJson(), "\(n): fromFhirQuestionnaire differs")
                        imported = i
                    }
                }
                let named = c["instrument"]?.string ?? ""
                let inst: Instrument
                if named == "import", let i = imported { inst = i }
                else if named.hasPrefix("bind:") { stage = "bind"; inst = try catalog.instrument(id: String(named.dropFirst(5))).bindQuestionnaire(json: questionnaire ?? "") }
                else { inst = try catalog.instrument(id: named) }
                if let text = responseText {
                    stage = "score"
                    let scored = try inst.scoreQuestionnaireResponseDetailed(json: text)
                    out["report"] = try JSONReader.parse(scored.report.toJson())
                    out["stored_totals"] = .array(scored.storedTotals.map(storedTotalJson))
                    check(try inst.scoreQuestionnaireResponse(json: text) == scored.report, "\(n): scoreQuestionnaireResponse differs from the detailed call")
                    if let x = c["export"] {
                        stage = "export"
                        out["observation"] = try JSONReader.parse(try inst.exportObservation(report: scored.report, scaleId: x["scale"]?.string ?? "",
                                                                                           subject: x["subject"]?.string ?? "", effective: x["effective"]?.string ?? ""))
                    }
                }
            } catch let e as ChangkaixinError {
                error = e
                out["error"] = errorJson(e)
            }
            if let wantErr = c["expect_error"] {
                check(error != nil && wantErr["stage"]?.string == stage && wantErr["code"]?.string == error?.errorCode() &&
                      (wantErr["path"] == nil || wantErr["path"]?.string == error?.errorPath()) &&
                      (wantErr["item"] == nil || wantErr["item"]?.int == error.flatMap(itemOf).map { String($0) }),
                      "\(n): expected error \(wantErr.canonical), got \(stage) \(error.map { errorJson($0).canonical } ?? "none")")
            } else {
                check(error == nil, "\(n): unexpected error at \(stage): \(String(describing: error))")
            }
            for key in ["spec", "report", "stored_totals", "observation", "error"] {
                check(c[key]?.canonical == out[key]?.canonical, "\(n): \(key) differs\n  want \(c[key]?.canonical ?? "absent")\n  got  \(out[key]?.canonical ?? "absent")")
            }
            if let expect = c["expect"] {
                let rep = try out["report"].map { try typedReport($0) }
                let total = rep?.scale(id: "total")
                if let w = expect["total"] { check(total?.raw == w.string, "\(n): total") }
                if let w = expect["band"] { check(total?.band?.id == w.string, "\(n): band") }
                if let w = expect["validity"]?.string { check(rep.map { name($0.validity.status) } == w, "\(n): validity") }
                if let w = expect["answered"]?.int { check(rep.map { String($0.items.answered) } == w, "\(n): answered") }
                if let w = expect["item9_flag"]?.bool { check((rep?.hasFlag(id: "item9_self_harm") ?? false) == w, "\(n): item9 flag") }
                if let w = expect["stored_totals"]?.array {
                    let got = out["stored_totals"]?.array ?? []
                    check(got.count == w.count && zip(w, got).allSatisfy { a, b in ["link_id", "stored", "status"].allSatisfy { a[$0]?.canonical == b[$0]?.canonical } }, "\(n): stored totals")
                }
                if let w = expect["observation"] {
                    let obs = out["observation"]
                    let code = obs?["code"]?["coding"]?.array?.first?["code"]?.string
                    let value = obs?["valueInteger"]?.int ?? obs?["valueQuantity"]?["value"].map { $0.int ?? $0.canonical }
                    check(code == w["code"]?.string && value == w["value"]?.string, "\(n): observation \(code ?? "-") \(value ?? "-")")
                }
            }
        }
    }
    return cases
}

/// Three-valued verdicts, option ids, recodes, positional lists, describe(), batch verdict columns.
func verdictsAndCodes() throws {
    let catalog = Catalog.builtin()
    // Batch codes of the verdicts are the documented 0/1/2, both ways.
    check([Verdict.negative, .positive, .indeterminate].map { verdictCode(verdict: $0) } == [0, 1, 2], "verdict codes")
    check(verdictFromCode(code: 2) == .indeterminate && verdictFromCode(code: 0) == .negative && verdictFromCode(code: 3) == nil, "verdict from code")
    // An ASQ with item 2 unanswered: the screen cannot be decided, and nothing reads as negative.
    let asq = try catalog.instrument(id: "asq")
    let r = try asq.score(response: Response(answers: ["1": .code(code: 0), "3": .code(code: 0), "4": .code(code: 0)]))
    check(r.screenVerdict() == .indeterminate && r.screenPositive?.verdict == .indeterminate && r.screenPositive?.missingItems == [2], "ASQ indeterminate")
    check(!r.flags.isEmpty && r.flags.allSatisfy { $0.verdict == .indeterminate && !r.hasFlag(id: $0.id) && r.flagVerdict(id: $0.id) == .indeterminate }, "ASQ flags indeterminate")
    let phq9 = try catalog.instrument(id: "phq9")
    check(try phq9.score(response: Response(answers: ["1": .code(code: 0)])).flagVerdict(id: "no_such_flag") == .negative, "unlisted flag is negative")
    // Answers by option id (LOINC answer codes for the PHQ-9) score like the codes.
    var ids: [String: Answer] = [:]
    for i in 1...9 { ids[String(i)] = .optionId(id: "LA6571-9") }
    let byId = try phq9.score(response: Response(answers: ids))
    check(byId.scale(id: "total")?.raw == "27" && byId.hasFlag(id: "item9_self_harm"), "option ids")
    expectError("score.unknown_option") { try phq9.score(response: Response(answers: ["1": .optionId(id: "no_such_option")])) }
    // Nine values for the nine scored items (item 10 is the unscored difficulty question).
    let nine = try phq9.scoreAnswers(answers: Array(repeating: .code(code: 1), count: 9))
    check(try nine.scale(id: "total")?.raw == "9" && nine == phq9.scoreAnswers(answers: Array(repeating: .code(code: 1), count: 9) + [.missing]), "scored-items-only list")
    // describe(): the code tables as records, and the core's stable text.
    let rses = try catalog.instrument(id: "rses")
    let d = rses.describe()
    let o = d.items[1].options[0]
    check(d.id == "rses" && d.items.count == 10 && o.code == 0 && o.id == "strongly_agree" && o.value == 0 && d.items[1].reverse, "describe")
    check(rses.describeText().contains("items 2, 5, 6, 8, 9") && rses.describeText().hasPrefix("rses "), "describe text")
    check(phq9.describe().screenPositive != nil && phq9.describe().flags.contains { $0.id == "item9_self_harm" && $0.level == .critical }, "describe flags")
    let item1Options: [OptionInfo]
    switch phq9.info().items[0].options {
    case .named(let name): item1Options = phq9.info().optionSets[name] ?? []
    case .inline(let options): item1Options = options
    }
    check(item1Options.map { $0.id } == ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"], "option ids in info")
    // A declared recode: an export that numbers the RSES answers 1..4 from "strongly disagree".
    let spec = CodeMapSpec(all: ["1": .id(id: "strongly_disagree"), "2": .id(id: "disagree"), "3": .id(id: "agree"), "4": .id(id: "strongly_agree")])
    let map = try rses.codeMap(spec: spec)
    check(map.instrument() == "rses", "code map instrument")
    var fours: [String: Answer] = [:]
    for i in 1...10 { fours[String(i)] = .code(code: 4) }
    let allSa = try rses.scoreWithCodeMap(response: Response(answers: fours), map: map)
    check(allSa.scale(id: "total")?.raw == "15", "recoded RSES")
    check(try rses.scoreAnswersWithCodeMap(answers: Array(repeating: .code(code: 4), count: 10), map: map) == allSa, "recoded positional")
    let mapJson = try rses.codeMapJson(json: "{\"all\": {\"1\": \"strongly_disagree\", \"2\": \"disagree\", \"3\": \"agree\", \"4\": \"strongly_agree\"}}")
    check(try rses.scoreWithCodeMap(response: Response(answers: fours), map: mapJson) == allSa, "code map from JSON")
    expectError("score.code_map_not_bijective") { try rses.codeMap(spec: CodeMapSpec(all: ["1": .code(code: 0), "2": .code(code: 0)])) }
    expectError("score.code_map_invalid") { try rses.codeMapJson(json: "{\"al\": {}}") }
    expectError("score.code_map_mismatch") { try phq9.scoreWithCodeMap(response: Response(answers: [:]), map: map) }
    // Batch: the recode, the parallel path, and verdict codes per row (indeterminate is not false).
    let codes = Data(repeating: 4, count: 30)
    let batch = try rses.scoreBatch(request: BatchRequest(codes: codes, nItems: 10, missing: -1, codeMap: map))
    check(batch.scales.first { $0.id == "total" }?.raw == [15, 15, 15], "recoded batch")
    check(try rses.scoreBatch(request: BatchRequest(codes: codes, nItems: 10, missing: -1, codeMap: map, threads: 0)) == batch, "parallel batch equals single")
    let asqRows: [Int8] = [0, -1, 0, 0, -1, 1, 0, 0, 0, -1, 0, 0, 0, 0, -1]
    let ab = try asq.scoreBatch(request: BatchRequest(codes: Data(asqRows.map { UInt8(bitPattern: $0) }), nItems: 5, missing: -1, threads: 2))
    check([UInt8](ab.screen) == [2, 1, 0], "ASQ batch screen codes \([UInt8](ab.screen))")
    check(batchFlagVerdicts(result: ab, flagId: "positive").map { [UInt8]($0) } == [2, 1, 0] && batchFlagColumn(result: ab, flagId: "positive") == [false, true, false], "ASQ batch flag verdicts")
    check(ab.flagsIndeterminate.count == 3 && batchFlagVerdicts(result: ab, flagId: "nope") == nil, "flags_indeterminate")
    check(try rses.scoreBatch(request: BatchRequest(codes: Data(repeating: 3, count: 30), nItems: 10, missing: -1)).screen.isEmpty, "no screen rule: empty screen column")
}

func statusName(_ s: ComplianceStatus) -> String {
    switch s {
    case .pass: return "pass"
    case .fail: return "fail"
    case .notApplicable: return "not_applicable"
    case .insufficientEvidence: return "insufficient_evidence"
    }
}

/// Replays tests/vectors/compliance: the report bytes, the typed records against them, the hand-written expectations and invariants.
func replayComplianceVectors(_ root: URL) throws -> Int {
    let dir = root.appendingPathComponent("tests/vectors/compliance")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return 0 }
    var cases = 0
    for file in names.filter({ $0.hasSuffix(".json") }).sorted() {
        let doc = try JSONReader.parse(try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8))
        check(doc["format"]?.string == "changkaixin.vectors/1" && doc["kind"]?.string == "compliance", "\(file): format")
        let packId = String((doc["pack"]?.string ?? "").dropFirst("builtin:".count))
        let pack = try CompliancePack.builtin(id: packId)
        check(pack.id() == packId && !pack.version().isEmpty && !pack.requirementIds().isEmpty, "\(file): pack")
        check(try CompliancePack.fromJson(json: pack.packJson()).requirementIds() == pack.requirementIds(), "\(file): pack from JSON")
        for c in doc["cases"]?.array ?? [] {
            cases += 1
            let n = "\(file) / \(c["name"]?.string ?? "?")"
            let facts = (c["facts"] ?? .null).canonical
            let asOf = c["as_of"]?.string ?? ""
            let wantErr = c["expect_error"]
            do {
                let json = try pack.checkToJson(factsJson: facts, asOf: asOf)
                let rep = try pack.check(factsJson: facts, asOf: asOf)
                guard wantErr == nil, let want = c["report"] else { check(false, "\(n): expected an error"); continue }
                let got = try JSONReader.parse(json)
                check(got.canonical == want.canonical, "\(n): report differs\n  want \(want.canonical)\n  got  \(got.canonical)")
                // The typed records agree with the stored document.
                check(rep.format == want["format"]?.string && rep.packId == want["pack"]?["id"]?.string && rep.packVersion == want["pack"]?["version"]?.string &&
                      rep.asOf == want["as_of"]?.string && rep.school.id == want["school"]?["id"]?.string && rep.summary.zh == want["summary"]?["zh"]?.string, "\(n): report header")
                let wc = want["counts"]
                check([rep.counts.pass, rep.counts.fail, rep.counts.notApplicable, rep.counts.insufficientEvidence].map { String($0) } ==
                      ["pass", "fail", "not_applicable", "insufficient_evidence"].map { wc?[$0]?.int ?? "?" }, "\(n): counts")
                let wf = want["findings"]?.array ?? []
                check(rep.findings.count == wf.count, "\(n): finding count")
                for (f, w) in zip(rep.findings, wf) {
                    let fn = "\(n) / \(f.requirement)"
                    check(f.requirement == w["requirement"]?.string && f.clause == w["clause"]?.string && statusName(f.status) == w["status"]?.string &&
                          (f.method == .measured ? "measured" : "attestation") == w["method"]?.string && f.severity == w["severity"]?.string &&
                          f.period == w["period"]?.string && f.metric == w["metric"]?.string, "\(fn): finding fields")
                    check(f.measured?.value == w["measured"]?["value"]?.string && f.measured?.unit == w["measured"]?["unit"]?.string, "\(fn): measured")
                    check(f.required.op == w["required"]?["op"]?.string && f.required.value == w["required"]?["value"]?.string && f.required.unit == w["required"]?["unit"]?.string, "\(fn): required")
                    check(f.shortfall == w["shortfall"]?.string && f.sources.map { $0.id } == (w["sources"]?.array ?? []).map { $0["id"]?.string ?? "" }, "\(fn): shortfall/sources")
                    let wu = w["units"]
                    check([f.units.assessed, f.units.passed, f.units.failed, f.units.missing, f.units.pending].map { String($0) } ==
                          ["assessed", "passed", "failed", "missing", "pending"].map { wu?[$0]?.int ?? "?" }, "\(fn): units")
                    check(f.failures.map { "\($0.scope)|\($0.id ?? "-")|\($0.from ?? "-")|\($0.to ?? "-")|\($0.measured)|\($0.shortfall)|\($0.lacking)" } ==
                          (w["failures"]?.array ?? []).map { "\($0["scope"]?.string ?? "")|\($0["id"]?.string ?? "-")|\($0["from"]?.string ?? "-")|\($0["to"]?.string ?? "-")|\($0["measured"]?.string ?? "")|\($0["shortfall"]?.string ?? "")|\(($0["lacking"]?.array ?? []).map { $0.string ?? "" })" }, "\(fn): failures")
                    check(f.missing.map { "\($0.fact)|\($0.scope)|\($0.id ?? "-")|\($0.from ?? "-")|\($0.to ?? "-")" } ==
                          (w["missing"]?.array ?? []).map { "\($0["fact"]?.string ?? "")|\($0["scope"]?.string ?? "")|\($0["id"]?.string ?? "-")|\($0["from"]?.string ?? "-")|\($0["to"]?.string ?? "-")" }, "\(fn): missing")
                    check(f.reason?.zh == w["reason"]?["zh"]?.string && f.explanation.zh == w["explanation"]?["zh"]?.string && f.attestation?.by == w["attestation"]?["by"]?.string, "\(fn): reason/explanation/attestation")
                    // A finding never says fail without measured and required values, nor pass without evidence.
                    switch f.status {
                    case .fail: check(f.measured != nil && f.shortfall != nil && !f.failures.isEmpty, "\(fn): a fail without measured, shortfall and units")
                    case .pass: check(f.measured != nil && f.units.passed > 0, "\(fn): a pass without evidence")
                    case .insufficientEvidence: check(!f.missing.isEmpty, "\(fn): insufficient evidence without the missing facts")
                    case .notApplicable: check(f.reason != nil, "\(fn): not applicable without a reason")
                    }
                }
                // The hand-written expectations.
                for (id, w) in c["expect"]?.object ?? [] {
                    guard let f = rep.findings.first(where: { $0.requirement == id }) else { check(false, "\(n): no finding \(id)"); continue }
                    if let s = w["status"]?.string { check(statusName(f.status) == s, "\(n) / \(id): status \(statusName(f.status)), expected \(s)") }
                    if let m = w["measured"]?.string { check(f.measured?.value == m, "\(n) / \(id): measured \(f.measured?.value ?? "-"), expected \(m)") }
                    if let m = w["shortfall"]?.string { check(f.shortfall == m, "\(n) / \(id): shortfall") }
                    if let m = w["failed_units"]?.int { check(String(f.units.failed) == m, "\(n) / \(id): failed units") }
                    if let m = w["assessed"]?.int { check(String(f.units.assessed) == m, "\(n) / \(id): assessed units") }
                    if let m = w["pending"]?.int { check(String(f.units.pending) == m, "\(n) / \(id): pending units") }
                    if let m = w["missing_units"]?.int { check(String(f.units.missing) == m, "\(n) / \(id): missing units") }
                    if let m = w["missing"]?.array { check(Set(m.compactMap { $0.string }).isSubset(of: Set(f.missing.map { $0.fact })), "\(n) / \(id): missing facts") }
                    if let l = w["lacking"]?.array { check(f.failures.flatMap { $0.lacking } == l.compactMap { $0.string }, "\(n) / \(id): lacking") }
                }
            } catch let e as ChangkaixinError {
                check(wantErr != nil && e.errorCode() == wantErr?["code"]?.string && e.errorPath() == wantErr?["path"]?.string, "\(n): error \(e.errorCode()) at \(e.errorPath())")
                if case .Facts = e {} else { check(false, "\(n): error category \(e)") }
            }
        }
    }
    // Bad input: an unknown pack, a bad day, facts that are not facts.
    expectError("compliance.unknown_ref") { try CompliancePack.builtin(id: "nope") }
    let cz = try CompliancePack.builtin(id: "changzhou_2022_2024")
    expectError("time.invalid") { try cz.check(factsJson: "{\"format\": \"changkaixin.compliance-facts/1\", \"school\": {\"id\": \"s\"}}", asOf: "someday") }
    expectError("facts.parse") { try cz.check(factsJson: "[]", asOf: "2024-03-01") }
    return cases
}

func badInput() throws {
    let phq9 = try Catalog.builtin().instrument(id: "phq9")
    let e = expectError("score.unknown_option") { try phq9.score(response: Response(answers: ["1": .code(code: 7)])) }
    if case .Score(_, let path, let item, _, _)? = e { check(item == 1 && path == "/answers/1", "unknown option item/path") } else { check(false, "unknown option is .Score") }
    let e2 = expectError("score.unknown_item") { try phq9.score(response: Response(answers: ["11": .code(code: 0)])) }
    check(e2.flatMap(itemOf) == 11, "unknown item names the item")
    expectError("score.wrong_item_count") { try phq9.scoreAnswers(answers: [.code(code: 1)]) }
    expectError("score.parse") { try phq9.scoreJson(responseJson: "{not json") }
    expectError("score.invalid_time") {
        try phq9.score(response: Response(answers: [:], startedAt: "2026-09-01T10:00:00+08:00", finishedAt: "2026-09-01T09:00:00+08:00"))
    }
    let c = expectError("catalog.unknown_instrument") { try Catalog.builtin().instrument(id: "nope") }
    if case .Catalog? = c {} else { check(false, "catalog error is .Catalog") }
    expectError("spec.unknown_setting") { try Catalog.builtin().instrumentWith(id: "phq9", settings: ["no_such_setting": "x"]) }
    expectError("spec.parse") { try Instrument.fromJson(json: "{\"format\": \"nope\"}", settings: [:]) }
    expectError("batch.shape") { try phq9.scoreBatch(request: BatchRequest(codes: Data(count: 7), nItems: 10, missing: -1)) }
    var bad = [UInt8](repeating: 0, count: 20); bad[11] = 9
    let b = expectError("batch.unknown_option") { try phq9.scoreBatch(request: BatchRequest(codes: Data(bad), nItems: 10, missing: -1)) }
    check(b.flatMap(rowOf) != nil, "batch error names the row")
    expectError("fhir.parse") { try phq9.scoreQuestionnaireResponse(json: "{\"resourceType\": \"Patient\"}") }
    expectError("fhir.parse") { try Instrument.fromFhirQuestionnaire(json: "not json") }
    expectError("policy.parse") { try AlertPolicy.fromJson(json: "{", catalog: Catalog.builtin()) }
    expectError("policy.parse") { try lintAlertPolicy(json: "[]", catalog: Catalog.builtin()) }
    let policy = try AlertPolicy.changzhouDefault()
    expectError("time.invalid") { try policy.evaluate(evidence: StudentEvidence(student: "s"), at: "yesterday") }
    expectError("time.invalid") { try policy.evaluateJson(evidenceJson: "{\"student\": \"s\"}", at: "yesterday") }
    expectError("evidence.invalid") { try policy.evaluateJson(evidenceJson: "{\"students\": 1}", at: "2026-09-01T10:00:00Z") }
    expectError("evidence.invalid") { try studentEvidenceFromJson(json: "{\"students\": 1}") }
    let bj = expectError("evidence.invalid") { try policy.evaluateBatchJson(evidenceJsons: ["{\"student\": \"a\"}", "{\"students\": 1}"], at: "2026-09-01T10:00:00Z") }
    check(bj?.errorPath().hasPrefix("/1") == true, "batch JSON error names the document: \(bj?.errorPath() ?? "-")")
    // Typed evidence: the path points into the record (snake_case field names, as in the JSON document).
    let role = expectError("evidence.invalid") {
        try policy.evaluate(evidence: StudentEvidence(student: "s", observations: [
            StaffObservation(category: "withdrawal", at: "2026-09-01T08:00:00Z", observedBy: Person(name: "李老师", role: "janitor"))]), at: "2026-09-01T10:00:00Z")
    }
    if case .Evidence(_, let path, _, _, _)? = role { check(path == "/observations/0/observed_by/role", "typed evidence error path \(path)") } else { check(false, "typed evidence error is .Evidence") }
    let skip = expectError("evidence.invalid") {
        try policy.evaluate(evidence: StudentEvidence(student: "s", agencyNotices: [AgencyNotice(agency: "police", severity: .urgent, at: "2026-09-01T08:00:00Z")],
            reviews: [Review(by: Person(name: "王老师", role: "psychology_teacher"), at: "2026-09-01T09:00:00Z", fromTier: "crisis", toTier: "none", reason: "ok")]), at: "2026-09-01T10:00:00Z")
    }
    check(skip?.errorPath() == "/reviews/0/to_tier", "review path \(skip?.errorPath() ?? "-")")
    let period = expectError("evidence.invalid") {
        try policy.evaluate(evidence: StudentEvidence(student: "s", specialPeriods: [SpecialPeriod(kind: "exam", from: "2026-09-02T00:00:00Z", to: "2026-09-01T00:00:00Z")]), at: "2026-09-01T10:00:00Z")
    }
    check(period?.errorPath() == "/special_periods/0/to", "period path \(period?.errorPath() ?? "-")")
    let done = expectError("evidence.invalid") {
        try policy.evaluate(evidence: StudentEvidence(student: "s", completedActions: [CompletedAction(action: "case_assessment", doneAt: "not a time")]), at: "2026-09-01T10:00:00Z")
    }
    check(done?.errorPath() == "/completed_actions/0/done_at", "completed action path \(done?.errorPath() ?? "-")")
    // A decimal that is not a decimal, handed back inside a typed report, is an error too (not a crash).
    let good = try phq9.score(response: Response(answers: ["1": .code(code: 1)]))
    let brokenScales = good.scales.map { s in
        ScaleResult(id: s.id, scored: s.scored, raw: "1.2.3", rawExact: s.rawExact, score: s.score, answered: s.answered, of: s.of,
                    prorated: s.prorated, band: s.band, unscoredReason: s.unscoredReason)
    }
    let broken = ScoreReport(instrument: good.instrument, validity: good.validity, items: good.items, durationSeconds: good.durationSeconds,
                             scales: brokenScales, flags: good.flags, screenPositive: good.screenPositive)
    expectError("spec.invalid_value") { try phq9.exportObservation(report: broken, scaleId: "total", subject: "Patient/x", effective: "2026-09-01T09:00:00+08:00") }
    // ... and inside typed evidence: refused when the record crosses the boundary, before any rule runs.
    expectError("spec.invalid_value") {
        try policy.evaluate(evidence: StudentEvidence(student: "s", screenings: [Screening(at: "2026-09-01T09:00:00+08:00", report: broken)]), at: "2026-09-01T10:00:00Z")
    }
    // Reports are verified, not trusted: a hand-edited PHQ-9 total of 99, an unknown instrument.
    let full = try phq9.scoreAnswers(answers: Array(repeating: .code(code: 1), count: 9))
    let tamperedScales = full.scales.map { s in
        s.id != "total" ? s : ScaleResult(id: s.id, scored: s.scored, raw: "99", rawExact: s.rawExact, score: "99", answered: s.answered, of: s.of,
                                          prorated: s.prorated, band: s.band, unscoredReason: s.unscoredReason)
    }
    let tampered = ScoreReport(instrument: full.instrument, validity: full.validity, items: full.items, durationSeconds: full.durationSeconds,
                               scales: tamperedScales, flags: full.flags, screenPositive: full.screenPositive)
    try Catalog.builtin().verifyReport(report: full)
    try phq9.verifyReport(report: full)
    try policy.verifyReport(report: full)
    check(expectError("evidence.out_of_range") { try phq9.verifyReport(report: tampered) }?.errorPath() == "/scales/0/raw", "tampered path")
    expectError("evidence.out_of_range") { try Catalog.builtin().verifyReport(report: tampered) }
    let relabelled = ScoreReport(instrument: InstrumentRef(id: "asq_v2", version: full.instrument.version, settings: full.instrument.settings), validity: full.validity,
                                 items: full.items, durationSeconds: full.durationSeconds, scales: full.scales, flags: full.flags, screenPositive: full.screenPositive)
    check(expectError("evidence.unknown_instrument") { try Catalog.builtin().verifyReport(report: relabelled) }?.errorPath() == "/instrument/id", "unknown instrument path")
    let unknown = expectError("evidence.unknown_instrument") {
        try policy.evaluate(evidence: StudentEvidence(student: "s", screenings: [Screening(at: "2026-09-01T09:00:00+08:00", report: relabelled)]), at: "2026-09-01T10:00:00Z")
    }
    if case .Evidence(_, let path, _, _, _)? = unknown { check(path == "/screenings/0/report/instrument/id", "evidence path \(path)") } else { check(false, "unknown instrument is .Evidence") }
    // A screening that carries the answers is scored by the engine with the named instrument version.
    let ref = InstrumentRef(id: "phq9", version: phq9.version(), settings: [:])
    check(try policy.scoreScreening(instrument: ref, response: Response(answers: ["9": .code(code: 2)])).hasFlag(id: "item9_self_harm"), "scoreScreening")
    let byAnswers = try policy.evaluate(evidence: StudentEvidence(student: "s", screenings: [Screening(at: "2026-09-01T09:00:00+08:00", instrument: ref, response: Response(answers: ["9": .code(code: 2)]))]), at: "2026-09-01T10:00:00Z")
    check(byAnswers.tier().index >= 2 && !byAnswers.firedRules().isEmpty, "answers-carrying screening tier")
    expectError("evidence.version_mismatch") {
        try policy.evaluate(evidence: StudentEvidence(student: "s", screenings: [Screening(at: "2026-09-01T09:00:00+08:00", instrument: InstrumentRef(id: "phq9", version: "0.0.1", settings: [:]), response: Response(answers: [:]))]), at: "2026-09-01T10:00:00Z")
    }
    // A panic inside Rust arrives as an ordinary thrown error.
    let p = expectError("internal.panic") { try selftestPanic(message: "boom") }
    if case .Internal(_, let detail)? = p { check(detail.contains("boom"), "panic detail") } else { check(false, "panic is .Internal") }
    check(Set(["score.unknown_option", "spec.band_gap", "fhir.unknown_link_id"]).isSubset(of: Set(errorCodes())), "error codes")
}

func appFlow(_ root: URL) throws {
    // A counsellor's tablet: load the catalog, render PHQ-9, score a response with item 9 positive.
    let catalog = Catalog.builtin()
    check(catalog.ids().count == 16 && catalog.ids().contains("phq9"), "catalog ids")
    let phq9 = try catalog.instrument(id: "phq9")
    let info = phq9.info()
    check(info.id == "phq9" && info.items.count == 10 && info.scales.first?.id == "total", "phq9 info")
    let opts: [OptionInfo]
    switch info.items[8].options {
    case .named(let name): opts = info.optionSets[name] ?? []
    case .inline(let options): opts = options
    }
    check(opts.map { $0.code } == [0, 1, 2, 3], "item 9 options")
    check(phq9.itemCount() == 10 && phq9.optionCodes(item: 9) == [0, 1, 2, 3] && phq9.optionCodes(item: 11) == nil, "option codes")
    check(phq9.optionValue(item: 9, code: 3) == 3 && phq9.optionValue(item: 9, code: 7) == nil, "option value")
    check(phq9.scaleRange(scaleId: "total") == ScaleRange(min: "0", max: "27") && phq9.scaleRange(scaleId: "nope") == nil, "scale range")
    check(info.scales.first?.bands.map { $0.id } == ["minimal", "mild", "moderate", "moderately_severe", "severe"], "bands")
    check(info.flags.contains { $0.id == "item9_self_harm" && $0.level == .critical }, "item 9 flag declared")
    check(phq9.specJson().contains("\"changkaixin.instrument/1\""), "spec JSON")

    let codes: [Int64] = [1, 2, 1, 2, 1, 1, 1, 2, 1]
    var answers: [String: Answer] = ["10": .missing]
    for (i, c) in codes.enumerated() { answers[String(i + 1)] = .code(code: c) }
    let report = try phq9.score(response: Response(answers: answers, startedAt: "2026-09-01T09:00:00+08:00", finishedAt: "2026-09-01T09:04:10+08:00"))
    let total = report.scale(id: "total")
    check(total?.raw == "12" && total?.band?.id == "moderate" && total?.band?.severity == .moderate, "total \(String(describing: total))")
    let flag = report.flags.first { $0.id == "item9_self_harm" }
    check(flag?.level == .critical && flag?.items == [9] && !(flag?.evidence.isEmpty ?? true), "item 9 flag")
    check(report.durationSeconds == 250 && report.validity.status == .valid, "duration/validity")
    check(try scoreReportFromJson(json: report.toJson()) == report, "report JSON round trip")
    check(try responseFromJson(json: "{\"answers\": {\"9\": 1, \"10\": \"refused\"}}").answers["10"] == .refused, "response JSON")
    check(info.settings.allSatisfy { s in s.options.contains { $0.id == s.defaultOption } }, "setting defaults")
    check(phq9.id() == "phq9" && phq9.version() == report.instrument.version && phq9.settings() == info.chosenSettings, "id/version/settings")
    let k10 = try catalog.instrument(id: "k10")
    check(k10.settings() == ["bands": "abs"], "k10 default setting")
    let k10alt = try k10.withSettings(settings: ["bands": "crufad_vphs"])
    check(k10alt.settings()["bands"] == "crufad_vphs" && k10alt.info().chosenSettings["bands"] == "crufad_vphs", "withSettings")
    check(k10alt.info().settings.first { $0.id == "bands" }?.options.map { $0.id } == ["abs", "crufad_vphs"], "setting options")
    check(Catalog.empty().ids().isEmpty, "empty catalog")

    // A head teacher's class dashboard: a batch of 3 rows (-1 = missing).
    let rows: [Int8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 3, 3, 3, 3, 3, 3, 3, 3, 1, 2, 1, 2, 1, 2, 1, 1, 1, 2, 1, -1]
    let batch = try phq9.scoreBatch(request: BatchRequest(codes: Data(rows.map { UInt8(bitPattern: $0) }), nItems: 10, missing: -1))
    let bt = batch.scales.first { $0.id == "total" }
    check(batch.nRows == 3 && bt?.raw == [0, 25, 12] && bt?.band == [0, 4, 2], "batch total")
    check(batchFlagColumn(result: batch, flagId: "item9_self_harm") == [false, true, true], "batch flag column")
    check(batchFlagColumn(result: batch, flagId: "nope") == nil, "unknown flag column")
    check(unscoredMantissa() == Int64.min, "unscored sentinel")
    let single = try phq9.scoreAnswers(answers: codes.map { .code(code: $0) } + [.missing])
    check(single.scale(id: "total")?.raw == bt.map { String($0.raw[2]) }, "batch equals single")

    // FHIR: a QuestionnaireResponse, then an Observation for the record.
    let qr = try String(contentsOf: root.appendingPathComponent("tests/fixtures/fhir/phq9_response_synthetic.json"), encoding: .utf8)
    let fr = try phq9.scoreQuestionnaireResponse(json: qr)
    check(fr.scale(id: "total")?.raw == "7" && fr.scale(id: "total")?.band?.id == "mild" && fr.hasFlag(id: "item9_self_harm"), "FHIR score")
    check(try phq9.responseFromQuestionnaireResponse(json: qr).answers["9"] == .code(code: 1), "FHIR response")
    let obs = try JSONReader.parse(try phq9.exportObservation(report: fr, scaleId: "total", subject: "Patient/synthetic-0001", effective: "2026-09-01T09:00:00+08:00"))
    check(obs["resourceType"]?.string == "Observation" && obs["valueInteger"]?.int == "7", "observation")
    let q = try String(contentsOf: root.appendingPathComponent("tests/fixtures/fhir/phq9_loinc_44249-1_lhncbc_lforms-fhir-app.json"), encoding: .utf8)
    let imported = try Instrument.fromFhirQuestionnaire(json: q)
    let importedReport = try imported.scoreQuestionnaireResponse(json: qr)
    check(imported.info().items.count == 10 && importedReport.scale(id: "total")?.raw == "7", "FHIR import")
    check(catalog.withInstrument(instrument: imported).ids().count == 17, "catalog with an imported instrument")
    check(!libraryVersion().isEmpty, "version")

    // The school psychologist's view: the PHQ-9 above (item 9 positive) becomes evidence; evaluate the tier.
    let policy = try AlertPolicy.changzhouDefault()
    check(policy.id() == "changzhou_default" && !policy.version().isEmpty && policy.tierIds() == ["none", "watch", "key", "crisis"], "policy")
    check(policy.ruleIds().contains("key.phq_item9"), "policy rules")
    check(try lintAlertPolicy(json: policy.policyJson(), catalog: catalog).isEmpty, "built-in policy lints clean")
    check(try AlertPolicy.fromJson(json: policy.policyJson(), catalog: catalog).tierIds() == policy.tierIds(), "policy from JSON")
    // Typed evidence, as the app builds it from its own records.
    let evidence = StudentEvidence(student: "s-demo", screenings: [Screening(id: "scr-1", at: "2026-09-01T09:04:10+08:00", report: report)])
    let decision = try policy.evaluate(evidence: evidence, at: "2026-09-01T10:00:00+08:00")
    check(decision.tier().id == "key" && decision.tier().level == "school" && decision.change() == .raised, "tier \(decision.tier())")
    check(decision.firedRules().contains { $0.rule == "key.phq_item9" && !$0.sources.isEmpty && $0.evidence.contains { $0.kind == "screening" && $0.path == "/screenings/0" } }, "reasons")
    check(!decision.actions().isEmpty && decision.actions().allSatisfy { !$0.dueAt.isEmpty }, "deadlines")
    check(decision.nextReviewAt() != nil && !(decision.summary().zh ?? "").isEmpty && decision.requiresConfirmation(), "review/summary")
    let late = try decision.overdueAt(at: "2030-01-01T00:00:00Z")
    let early = try decision.overdueAt(at: "2026-09-01T10:00:00+08:00")
    check(!late.isEmpty && early.count <= late.count, "overdue")
    // The same evidence as the JSON document a server would send: same decision.
    check(try studentEvidenceFromJson(json: evidence.toJson()) == evidence, "evidence JSON round trip")
    check(try policy.evaluateJson(evidenceJson: evidence.toJson(), at: "2026-09-01T10:00:00+08:00").toJson() == decision.toJson(), "evaluateJson equals evaluate")
    // A week later the psychology teacher has assessed the case and the guardian has been informed; the tier holds.
    let later = StudentEvidence(student: evidence.student, screenings: evidence.screenings,
        observations: [StaffObservation(id: "obs-1", category: "withdrawal", at: "2026-09-03T15:00:00+08:00", observedBy: Person(name: "李老师", role: "head_teacher"))],
        previous: PreviousTier(tier: "key", since: decision.tierSince(), confirmedBy: Person(name: "王老师", role: "psychology_teacher")),
        completedActions: [CompletedAction(action: "case_assessment", doneAt: "2026-09-01T16:00:00+08:00", by: Person(name: "王老师", role: "psychology_teacher")),
                           CompletedAction(action: "notify:guardian", doneAt: "2026-09-01T17:00:00+08:00")])
    let d2 = try policy.evaluate(evidence: later, at: "2026-09-08T10:00:00+08:00")
    check(d2.tier().id == "key" && d2.previousTier()?.id == "key", "tier a week later")
    check(d2.actions().first { $0.id == "case_assessment" }?.doneAt != nil && d2.notifications().first { $0.who == "guardian" }?.doneAt != nil, "completed obligations")
    // A class: three students, one with bad evidence.
    let classBatch = try policy.evaluateBatch(students: [evidence, StudentEvidence(student: "s-calm"),
        StudentEvidence(student: "s-bad", previous: PreviousTier(tier: "nope", since: "2026-09-01T00:00:00Z"))], at: "2026-09-01T10:00:00+08:00")
    check(classBatch.errors.count == 1 && classBatch.errors.first?.error.errorPath() == "/previous/tier" && classBatch.errors.first?.student == "s-bad", "batch error path")
    check(try policy.evaluateBatchJson(evidenceJsons: [evidence.toJson(), "{\"student\": \"s-calm\"}", "{\"student\": \"s-bad\", \"previous\": {\"tier\": \"nope\", \"since\": \"2026-09-01T00:00:00Z\"}}"], at: "2026-09-01T10:00:00+08:00") == classBatch, "batch JSON equals typed")
    check(classBatch.tiers == policy.tierIds() && Array(classBatch.rowTiers.prefix(2)) == ["key", "none"], "batch tiers")
    check(classBatch.tierCounts.first { $0.tier == "key" }?.count == 1, "tier counts")
    check(classBatch.errors.count == 1 && classBatch.errors.first?.row == 2 && classBatch.errors.first?.error.errorCode() == "evidence.invalid", "batch errors")
    check(classBatch.overdue.allSatisfy { !$0.dueAt.isEmpty && !$0.kind.isEmpty }, "batch overdue")
}

// Archive (issue 12): every vector through validateRecordJson; typed counselling record and duty log; views; pseudonyms.
struct Pair: Hashable { let code: String; let path: String }

func replayArchiveVectors(_ root: URL) throws -> Int {
    let dir = root.appendingPathComponent("tests/vectors/archive")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
    check(names.count == 10, "archive vector files \(names.count)")
    var cases = 0
    var views: [ViewerRole: Int] = [:]
    for file in names {
        let doc = try JSONReader.parse(try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8))
        check(doc["format"]?.string == "changkaixin.vectors/1" && doc["kind"]?.string == "archive", "\(file): format")
        for c in doc["cases"]?.array ?? [] {
            cases += 1
            let n = "\(file) / \(c["name"]?.string ?? "?")"
            let record = (c["record"] ?? .null).canonical
            let v = validateRecordJson(json: record)
            let got = Set(v.problems.map { Pair(code: $0.code, path: $0.path) })
            check(v.problems.allSatisfy { !$0.message.isEmpty && $0.code.contains(".") }, "\(n): problem messages")
            if c["expect"]?.string == "valid" {
                check(v.ok && v.problems.isEmpty && v.kind == doc["record_kind"]?.string, "\(n): expected valid, got \(v.problems)")
                check(v.schemaVersion.map { String($0) } == c["record"]?["schema_version"]?.int, "\(n): schema version")
                let canon = try v.canonicalJson.map { try JSONReader.parse($0).canonical }
                check(canon != nil && canon == c["canonical"]?.canonical, "\(n): canonical differs")
                check(try migrateRecordJson(json: record) == v.canonicalJson, "\(n): migrateRecordJson")
                if let canonText = v.canonicalJson, let kind = doc["record_kind"]?.string {
                    let canonDoc = try JSONReader.parse(canonText)
                    try checkViews(n, kind, record, canonDoc, &views)
                    if kind == "counselling_record" { try typedCounsellingRoundTrip(n, record, v, canonDoc) }
                    if kind == "duty_log" { try typedDutyLogRoundTrip(n, record, v, canonDoc) }
                }
            } else {
                check(!v.ok && v.canonicalJson == nil, "\(n): expected errors, validated")
                func pairs(_ j: JSON?) -> Set<Pair>? {
                    j?.array.map { Set($0.map { Pair(code: $0["code"]?.string ?? "", path: $0["path"]?.string ?? "") }) }
                }
                if let w = pairs(c["expect_errors"]) { check(got == w, "\(n): errors \(got), expected \(w)") }
                if let w = pairs(c["expect_errors_include"]) { check(w.isSubset(of: got), "\(n): errors \(got) lack \(w)") }
                check(c["expect_errors"] != nil || c["expect_errors_include"] != nil, "\(n): no expectation")
                if let first = v.problems.first, let e = expectError(first.code, { try migrateRecordJson(json: record) }) {
                    if case .Archive = e { check(first.code.hasPrefix("archive."), "\(n): migrate error category \(e)") }
                    check(e.errorPath() == first.path, "\(n): migrate error path")
                }
                // The typed readers refuse what the core refuses, with the same first problem.
                if let first = v.problems.first, let kind = doc["record_kind"]?.string, kind == "counselling_record" || kind == "duty_log" {
                    let te = kind == "duty_log" ? expectError(first.code, { try dutyLogFromJson(json: record) })
                                                : expectError(first.code, { try counsellingRecordFromJson(json: record) })
                    if case .Archive(_, let path, _, _, _)? = te { check(path == first.path, "\(n): typed reader path \(path)") } else { check(false, "\(n): typed reader error \(String(describing: te))") }
                    typedReads += 1
                }
            }
        }
    }
    // Every role that sees records saw some, the aggregate-only roles none; both typed records were read.
    for r in [ViewerRole.headTeacher, .psychologyTeacher, .principal, .district, .city, .receivingSchool] {
        let k = views[r] ?? 0
        if r == .district || r == .city { check(k == 0, "\(r) got \(k) record views") } else { check(k > 0, "\(r) got no view of any vector") }
    }
    check((views[.headTeacher] ?? 0) >= 4 && (views[.receivingSchool] ?? 0) >= 1, "views per role \(views)")
    check(typedRounds >= 7 && typedReads >= 20, "typed archive records: \(typedRounds) round trips, \(typedReads) refusals")
    let perRole = [ViewerRole.headTeacher, .psychologyTeacher, .principal, .receivingSchool].map { "\($0)=\(views[$0] ?? 0)" }.joined(separator: ", ")
    print("swift: archive views \(perRole), \(typedRounds) typed round trips, \(typedReads) typed refusals")
    return cases
}

var typedRounds = 0
var typedReads = 0

/// The viewers of the Rust property test: every role at sch-01 / c-8-2 / d-01 (a receiving school at sch-02), and the counsellors named in the fixtures.
let archiveSubject = Subject(school: "sch-01", classId: "c-8-2", district: "d-01")
let archiveViewers: [Viewer] = [ViewerRole.headTeacher, .psychologyTeacher, .principal, .district, .city, .receivingSchool].map {
    Viewer(role: $0, school: $0 == .receivingSchool ? "sch-02" : "sch-01", classId: "c-8-2", staffId: "staff-07", district: "d-01")
} + ["staff-03", "cc-02", "exp-01"].map { Viewer(role: .psychologyTeacher, school: "sch-01", classId: "c-8-2", staffId: $0, district: "d-01") }

/// The value at a JSON pointer (no escapes: the records' keys are plain), or nil when absent.
func at(_ v: JSON, _ pointer: String) -> JSON? {
    var cur = v
    for seg in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
        switch cur {
        case .object: guard let c = cur[String(seg)] else { return nil }; cur = c
        case .array(let a): guard let i = Int(seg), a.indices.contains(i) else { return nil }; cur = a[i]
        default: return nil
        }
    }
    return cur
}

/// Leaf pointers of a JSON value, walked here (an empty object or array is a leaf, as in the core).
func leafPointers(_ v: JSON, _ prefix: String = "") -> [String] {
    switch v {
    case .object(let kv) where !kv.isEmpty: return kv.flatMap { leafPointers($0.1, "\(prefix)/\($0.0)") }
    case .array(let a) where !a.isEmpty: return a.enumerated().flatMap { leafPointers($0.1, "\(prefix)/\($0.0)") }
    default: return [prefix]
    }
}

/// Every viewer's view of a valid vector: refused only as out of scope (district and city always), and
/// otherwise holding exactly the fields the role is cleared for and in the audience of — each leaf of the
/// view has a declared class within viewerRoleClearance(role) and names the role in its audience, carries
/// the record's own value, and no permitted leaf of the record is missing; a head teacher never sees answers,
/// reports, counselling parts, instruments, fired rules or evidence, a principal never answers, reports,
/// parts or reason texts.
func checkViews(_ name: String, _ kind: String, _ json: String, _ canon: JSON, _ views: inout [ViewerRole: Int]) throws {
    let recordLeaves = try leafClasses(kind: kind, json: canon.canonical)
    check(recordLeaves.map { $0.path }.sorted() == leafPointers(canon).sorted(), "\(name): leafClasses walks the record's leaves")
    check(recordLeaves.allSatisfy { $0.sensitivity != nil }, "\(name): undeclared fields")
    for viewer in archiveViewers {
        let who = "\(name) as \(viewer.role)/\(viewer.staffId ?? "-")"
        let view: RecordView
        do { view = try viewRecordJson(viewer: viewer, json: json, subject: archiveSubject) } catch let e as ChangkaixinError {
            if case .Privacy(let code, _, _, _, _) = e { check(code == "privacy.out_of_scope" || code == "privacy.invalid", "\(who): \(code)") } else { check(false, "\(who): \(e)") }
            continue
        }
        views[viewer.role, default: 0] += 1
        check(viewer.role != .district && viewer.role != .city, "\(who): an aggregate-only role got a record view")
        check(view.kind == kind && view.role == viewer.role, "\(who): view kind/role")
        let data = try JSONReader.parse(view.dataJson)
        let clearance = viewerRoleClearance(role: viewer.role)
        let leaves = try leafClasses(kind: kind, json: view.dataJson)
        check(leaves.map { $0.path }.sorted() == leafPointers(data).sorted(), "\(who): view leaves")
        for l in leaves {
            check(l.sensitivity.map { clearance.contains($0) } ?? false, "\(who) sees \(l.path) (\(l.sensitivity ?? "undeclared")) above its clearance \(clearance)")
            check(l.audience.contains(viewer.role), "\(who) is not in the audience of \(l.path)")
            check(at(canon, l.path) != nil && at(canon, l.path) == at(data, l.path), "\(who): \(l.path) is not the record's value")
        }
        for l in recordLeaves where l.sensitivity.map({ clearance.contains($0) }) ?? false && l.audience.contains(viewer.role) {
            check(at(data, l.path) != nil, "\(who): permitted \(l.path) missing from the view")
        }
        if viewer.role == .headTeacher {
            for banned in ["answers", "report", "parts", "instrument", "fired_rules", "evidence"] { check(!view.dataJson.contains("\"\(banned)\""), "\(who): head teacher view holds \(banned)") }
        }
        if viewer.role == .principal {
            for banned in ["answers", "report", "parts", "reason_text"] { check(data[banned] == nil, "\(who): principal view holds \(banned)") }
        }
    }
}

func wireName(_ s: String) -> String {
    // Swift's enum case names (lowerCamelCase) as the core's snake_case wire names.
    var out = ""
    for ch in s { if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) } }
    return out.replacingOccurrences(of: "hotline96111", with: "hotline_96111")
}

/// A counselling-record vector read into the typed record, written back, validated and read again.
func typedCounsellingRoundTrip(_ name: String, _ json: String, _ v: ArchiveValidation, _ canon: JSON) throws {
    let typed = try counsellingRecordFromJson(json: json)
    // Field by field against the canonical document (independently of counsellingRecordToJson).
    check(typed.recordId == canon["record_id"]?.string && typed.student == canon["student"]?.string &&
          typed.counsellor.id == canon["counsellor"]?["id"]?.string && wireName("\(typed.counsellor.role)") == canon["counsellor"]?["role"]?.string &&
          wireName("\(typed.modality)") == canon["modality"]?.string && typed.startedAt == canon["started_at"]?.string &&
          typed.endedAt == canon["ended_at"]?.string && wireName("\(typed.caseStatus)") == canon["case_status"]?.string, "\(name): typed header \(typed)")
    let parts = canon["parts"]
    check(typed.parts.currentState == parts?["current_state"]?.string && typed.parts.mainProblem == parts?["main_problem"]?.string &&
          typed.parts.assessment == parts?["assessment"]?.string && typed.parts.analysis == parts?["analysis"]?.string &&
          typed.parts.countermeasures == parts?["countermeasures"]?.string && typed.parts.effectEvaluation == parts?["effect_evaluation"]?.string, "\(name): typed parts")
    check(typed.informedConsent.given == canon["informed_consent"]?["given"]?.bool && typed.informedConsent.recordedAt == canon["informed_consent"]?["recorded_at"]?.string, "\(name): typed consent")
    let brk = canon["confidentiality_break"]
    check((typed.confidentialityBreak == nil) == (brk == nil), "\(name): typed break")
    if let b = typed.confidentialityBreak, let want = brk {
        let informed = (want["informed"]?.array ?? []).map { "\($0["party"]?.string ?? "?") \($0["at"]?.string ?? "?")" }
        check(b.risk == want["risk"]?.string && b.informed.map { "\(wireName("\($0.party)")) \($0.at)" } == informed, "\(name): typed break parties")
    }
    let back = counsellingRecordToJson(record: typed)
    check(try JSONReader.parse(back) == canon, "\(name): typed record writes the canonical document")
    let again = validateCounsellingRecord(record: typed)
    check(again.ok && again.canonicalJson == v.canonicalJson && validateRecordJson(json: back) == again, "\(name): typed record validates to the same canonical JSON")
    check(try counsellingRecordFromJson(json: back) == typed, "\(name): typed -> JSON -> typed")
    if case .Archive(_, let path, _, _, _)? = expectError("archive.invalid_value", { try dutyLogFromJson(json: json) }) { check(path == "/schema", "\(name): read as a duty log") } else { check(false, "\(name): read as a duty log") }
    typedRounds += 1
}

/// A duty-log vector read into the typed record, written back, validated and read again.
func typedDutyLogRoundTrip(_ name: String, _ json: String, _ v: ArchiveValidation, _ canon: JSON) throws {
    let typed = try dutyLogFromJson(json: json)
    check(typed.recordId == canon["record_id"]?.string && typed.school == canon["school"]?.string && typed.room == canon["room"]?.string &&
          typed.date == canon["date"]?.string && String(typed.visits) == canon["visits"]?.int, "\(name): typed duty log \(typed)")
    let want = (canon["shifts"]?.array ?? []).map { [$0["staff"]?["id"]?.string ?? "?", $0["staff"]?["role"]?.string ?? "?", $0["from"]?.string ?? "?", $0["to"]?.string ?? "?"] }
    check(typed.shifts.map { [$0.staff.id, wireName("\($0.staff.role)"), $0.from, $0.to] } == want, "\(name): typed shifts")
    let back = dutyLogToJson(log: typed)
    check(try JSONReader.parse(back) == canon, "\(name): typed duty log writes the canonical document")
    let again = validateDutyLog(log: typed)
    check(again.ok && again.canonicalJson == v.canonicalJson && validateRecordJson(json: back) == again, "\(name): typed duty log validates to the same canonical JSON")
    check(try dutyLogFromJson(json: back) == typed, "\(name): typed -> JSON -> typed")
    if case .Archive(_, let path, _, _, _)? = expectError("archive.invalid_value", { try counsellingRecordFromJson(json: json) }) { check(path == "/schema", "\(name): read as a counselling record") } else { check(false, "\(name): read as a counselling record") }
    typedRounds += 1
}

func archiveFlow(_ root: URL) throws {
    // A counselling session as the psychology teacher's app records it (synthetic).
    let counsellor = StaffRef(id: "staff-07", role: .psychologyTeacher)
    let parts = CounsellingParts(currentState: "synthetic: tired", mainProblem: "synthetic: exam stress", assessment: "synthetic: moderate distress",
                                 analysis: "synthetic: workload", countermeasures: "synthetic: sleep plan", effectEvaluation: nil)
    let consent = InformedConsent(given: true, recordedAt: "2024-03-06T15:00:00+08:00")
    let breakRecord = ConfidentialityBreak(risk: "synthetic: stated plan of self-harm",
        informed: [PartyInformed(party: .guardian, at: "2024-03-06T16:00:00+08:00"), PartyInformed(party: .headTeacher, at: "2024-03-06T16:10:00+08:00")])
    // Records are immutable: one helper builds the variants.
    func record(modality: Modality = .faceToFace, startedAt: String = "2024-03-06T15:00:00+08:00", parts p: CounsellingParts? = nil, status: CaseStatus = .open) -> CounsellingRecord {
        CounsellingRecord(recordId: "cns-app-1", student: "stu-0001", counsellor: counsellor, modality: modality,
                          startedAt: startedAt, endedAt: "2024-03-06T15:45:00+08:00", parts: p ?? parts, informedConsent: consent,
                          confidentialityBreak: breakRecord, caseStatus: status)
    }
    let session = record()
    let ok = validateCounsellingRecord(record: session)
    check(ok.ok && ok.problems.isEmpty && ok.kind == "counselling_record" && ok.schemaVersion == 2, "typed counselling record \(ok.problems)")
    let canon = try JSONReader.parse(ok.canonicalJson ?? "null")
    check(canon["started_at"]?.string == "2024-03-06T07:00:00Z" && canon["modality"]?.string == "face_to_face", "canonical counselling record")
    check(validateRecordJson(json: counsellingRecordToJson(record: session)) == ok, "typed equals JSON validation")
    let closed = validateCounsellingRecord(record: record(status: .closed))
    check(!closed.ok && closed.problems.map { Pair(code: $0.code, path: $0.path) } == [Pair(code: "archive.required_when", path: "/parts/effect_evaluation")], "closed without effect \(closed.problems)")
    let withEffect = CounsellingParts(currentState: parts.currentState, mainProblem: parts.mainProblem, assessment: parts.assessment,
                                      analysis: parts.analysis, countermeasures: parts.countermeasures, effectEvaluation: "synthetic: sleeping better")
    check(validateCounsellingRecord(record: record(parts: withEffect, status: .closed)).ok, "closed with effect")
    check(validateCounsellingRecord(record: record(modality: .hotline96111, startedAt: "not a time")).problems.contains { $0.path == "/started_at" }, "bad time")
    // The counselling room's duty log for the day.
    let shift = DutyShift(staff: counsellor, from: "2024-03-06T12:00:00+08:00", to: "2024-03-06T13:00:00+08:00")
    let log = DutyLog(recordId: "dut-app-1", school: "sch-01", room: "room-1", date: "2024-03-06", shifts: [shift], visits: 2)
    let lv = validateDutyLog(log: log)
    check(lv.ok && lv.kind == "duty_log" && validateRecordJson(json: dutyLogToJson(log: log)) == lv, "duty log \(lv.problems)")
    let bad = validateDutyLog(log: DutyLog(recordId: "dut-app-1", school: "sch-01", room: "room-1", date: "2024-03-06", shifts: [], visits: 2))
    check(!bad.ok && bad.problems.contains { $0.path.hasPrefix("/shifts") }, "empty duty log \(bad.problems)")
    // Views: the head teacher sees their class's student file without counselling content, never a counselling record.
    let subject = Subject(school: "sch-01", classId: "c-8-2", district: nil)
    let head = Viewer(role: .headTeacher, school: "sch-01", classId: "c-8-2", staffId: "staff-02", district: nil)
    if let e = expectError("privacy.out_of_scope", { try viewRecordJson(viewer: head, json: counsellingRecordToJson(record: session), subject: subject) }) {
        if case .Privacy = e {} else { check(false, "head teacher on a counselling record: category \(e)") }
    }
    let fileDoc = try JSONReader.parse(try String(contentsOf: root.appendingPathComponent("tests/vectors/archive/student_file.json"), encoding: .utf8))
    let fileJson = (fileDoc["cases"]?.array?.first { $0["expect"]?.string == "valid" }?["record"] ?? .null).canonical
    let hv = try viewRecordJson(viewer: head, json: fileJson, subject: subject)
    check(hv.kind == "student_file" && hv.role == .headTeacher && hv.dataJson.contains("c-8-2"), "head teacher view \(hv.dataJson)")
    check(!["parts", "counselling", "consents", "current_state", "countermeasures"].contains { hv.dataJson.contains($0) }, "head teacher view holds counselling content")
    let principal = Viewer(role: .principal, school: "sch-01", classId: nil, staffId: "staff-01", district: nil)
    let pv = try JSONReader.parse(try viewRecordJson(viewer: principal, json: counsellingRecordToJson(record: session), subject: subject).dataJson)
    check(pv["parts"] == nil && pv["case_status"]?.string == "open", "principal view")
    let mine = Viewer(role: .psychologyTeacher, school: "sch-01", classId: "c-8-2", staffId: "staff-07", district: nil)
    let own = try JSONReader.parse(try viewRecordJson(viewer: mine, json: counsellingRecordToJson(record: session), subject: subject).dataJson)
    check(own["parts"]?["main_problem"]?.string == "synthetic: exam stress", "counsellor's own view")
    for r in [ViewerRole.district, .city, .receivingSchool] {
        let other = Viewer(role: r, school: "sch-01", classId: "c-8-2", staffId: "staff-02", district: "d-1")
        expectError("privacy.out_of_scope") { try viewRecordJson(viewer: other, json: fileJson, subject: subject) }
    }
    expectError("archive.unknown_schema") { try viewRecordJson(viewer: head, json: "{\"schema\": \"x\", \"schema_version\": 1}", subject: subject) }
    check(expectError("archive.unknown_schema", { try leafClasses(kind: "no_such_kind", json: "{}") })?.errorPath() == "/kind", "leafClasses: unknown kind")
    if case .Archive? = expectError("archive.parse", { try leafClasses(kind: "duty_log", json: "{\"visits\": ") }) {} else { check(false, "leafClasses: not JSON") }
    let undeclared = try leafClasses(kind: "duty_log", json: "{\"visits\": 2, \"nurse\": \"x\"}")
    check(undeclared.map { "\($0.path)=\($0.sensitivity ?? "nil")" }.sorted() == ["/nurse=nil", "/visits=operational"], "leafClasses: an undeclared field has no class")
    check(viewerRoleClearance(role: .city).isEmpty && viewerRoleClearance(role: .headTeacher).count == 4, "clearances")
    // Pseudonyms: stable per key, different across keys; a short key is refused.
    let k1 = Data("synthetic-key-0123456789abcdef".utf8)
    let k2 = Data("another-synthetic-key-987654321".utf8)
    let a = try pseudonymise(key: k1, ids: ["stu-0001", "stu-0002", "stu-0001"])
    check(a.count == 3 && a[0] == a[2] && a[0] != a[1] && a.allSatisfy { $0.hasPrefix("p-") && $0.count == 34 }, "pseudonyms \(a)")
    check(try pseudonymise(key: k1, ids: ["stu-0001"]) == [a[0]], "stable per key")
    check(try pseudonymise(key: k2, ids: ["stu-0001"])[0] != a[0], "different across keys")
    if let e = expectError("privacy.invalid", { try pseudonymise(key: Data("short".utf8), ids: ["stu-0001"]) }) {
        if case .Privacy = e {} else { check(false, "short key: category \(e)") }
    }
}

// City report (issue 13): every case of tests/vectors/report/*.json, groups expanded to columns as
// tests/src/report.rs does, aggregated in chunks of 7 rows (previous rounds in chunks of 1000) and merged.

/// Plain columns of expanded rows; `chunk` builds the typed chunk.
struct ReportRowsBuffer {
    let k: Int
    var district: [UInt16] = [], school: [UInt32] = [], grade: [UInt8] = [], sex: [UInt8] = [], tiers: [UInt8] = []
    var band: [[UInt8]], screen: [[UInt8]], flags: [[UInt64]], flagsInd: [[UInt64]]
    init(k: Int) { self.k = k; band = Array(repeating: [], count: k); screen = band; flags = Array(repeating: [], count: k); flagsInd = flags }
    var count: Int { school.count }
    func chunk(_ from: Int, _ to: Int) -> ReportColumns {
        ReportColumns(district: Array(district[from..<to]), school: Array(school[from..<to]), grade: Data(grade[from..<to]), sex: Data(sex[from..<to]),
                      tiers: Data(tiers[from..<to]),
                      instruments: (0..<k).map { i in
                          InstrumentColumns(band: Data(band[i][from..<to]), screen: Data(screen[i][from..<to]), flags: Array(flags[i][from..<to]),
                                            flagsIndeterminate: Array(flagsInd[i][from..<to])) })
    }
}

/// `n` identical rows per group; the district is the school's unless the group names one; band 255, screen 0, flags 0 when absent.
func expandGroups(_ schoolDistricts: [UInt16], _ groups: [JSON]) -> ReportRowsBuffer {
    func u(_ g: JSON, _ key: String) -> UInt64 { g[key]?.int.flatMap { UInt64($0) } ?? 0 }
    func list(_ g: JSON, _ key: String) -> [UInt64] { (g[key]?.array ?? []).compactMap { $0.int.flatMap { UInt64($0) } } }
    let k = groups.map { max(list($0, "band").count, list($0, "screen").count) }.max() ?? 0
    var c = ReportRowsBuffer(k: k)
    for g in groups {
        let s = u(g, "school")
        let d: UInt16 = g["district"]?.int.flatMap { UInt16($0) } ?? (Int(s) < schoolDistricts.count ? schoolDistricts[Int(s)] : 0)
        let (band, screen, flags, ind) = (list(g, "band"), list(g, "screen"), list(g, "flags"), list(g, "flags_indeterminate"))
        for _ in 0..<u(g, "n") {
            c.district.append(d); c.school.append(UInt32(s)); c.grade.append(UInt8(u(g, "grade"))); c.sex.append(UInt8(u(g, "sex"))); c.tiers.append(UInt8(u(g, "tier")))
            for i in 0..<k {
                c.band[i].append(i < band.count ? UInt8(band[i]) : 255); c.screen[i].append(i < screen.count ? UInt8(screen[i]) : 0)
                c.flags[i].append(i < flags.count ? flags[i] : 0); c.flagsInd[i].append(i < ind.count ? ind[i] : 0)
            }
        }
    }
    return c
}

/// Aggregate in chunks of `chunk` rows, merging the partial aggregates.
func aggregateRows(_ spec: CityReportSpec, _ rows: ReportRowsBuffer, _ chunk: Int) throws -> ReportAggregator {
    let total = try ReportAggregator(spec: spec)
    var start = 0
    while start < rows.count {
        let end = min(start + chunk, rows.count)
        let part = try ReportAggregator(spec: spec)
        // The core numbers an error's row within the chunk; the vectors number rows from the first group.
        do { try part.add(columns: rows.chunk(start, end)) } catch ChangkaixinError.Report(let code, let path, let item, let row, let detail) {
            throw ChangkaixinError.Report(code: code, path: path, item: item, row: row.map { $0 + UInt64(start) }, detail: detail)
        }
        check(part.screened() == UInt64(end - start), "chunk screened")
        try total.merge(other: part)
        start = end
    }
    return total
}

/// The cell a hand-written expectation names (measure, table, row, col, category), as tests/tests/report_vectors.rs finds it.
func findCell(_ rep: JSON, _ want: JSON) -> JSON? {
    guard let m = rep["measures"]?.array?.first(where: { $0["id"] == want["measure"] }),
          let tname = want["table"]?.string, let t = m[tname],
          let rows = t["rows"]?.array, let cols = t["cols"]?.array, let cats = m["categories"]?.array,
          let r = rows.firstIndex(where: { $0["id"] == want["row"] }), let c = cols.firstIndex(where: { $0["id"] == want["col"] }),
          let k = cats.firstIndex(where: { $0["id"] == want["category"] }), let cells = t["cells"]?.array else { return nil }
    let i = (r * cols.count + c) * cats.count + k
    return i < cells.count ? cells[i] : nil
}

/// The hand-written `expect` (screened, chosen cells published with their values or suppressed, coverage) on the report JSON.
func checkReportExpect(_ name: String, _ rep: JSON, _ expect: JSON) {
    if let n = expect["screened"] { check(rep["screened"] == n, "\(name): screened") }
    for want in expect["cells"]?.array ?? [] {
        guard let cell = findCell(rep, want) else { check(false, "\(name): no cell \(want.canonical)"); continue }
        if want["count"] == nil || want["count"]!.isNull {
            check(cell["state"]?.string == "suppressed", "\(name): \(want.canonical) expected suppressed, got \(cell.canonical)")
        } else {
            check(cell["state"]?.string == "published" && cell["count"] == want["count"], "\(name): \(want.canonical) got \(cell.canonical)")
            for key in ["pct", "lo", "hi", "change", "change_pct", "previous_pct"] where want[key] != nil {
                check(cell[key] == want[key], "\(name): \(want.canonical) \(key)")
            }
        }
    }
    for want in expect["coverage"]?.array ?? [] {
        guard let tname = want["table"]?.string, let t = rep["coverage"]?[tname], let cols = t["cols"]?.array,
              let r = t["rows"]?.array?.firstIndex(where: { $0["id"] == want["row"] }), let c = cols.firstIndex(where: { $0["id"] == want["col"] }),
              let cell = t["cells"]?.array?[r * cols.count + c] else { check(false, "\(name): no coverage cell \(want.canonical)"); continue }
        for key in ["screened", "enrolled", "coverage"] where want[key] != nil { check(cell[key] == want[key], "\(name): coverage \(want.canonical) \(key)") }
    }
}

/// No suppressed cell carries a value, and the HTML shows each as the suppression mark and draws no bar for it. Returns the suppressed cells seen.
func checkNoLeak(_ name: String, _ rep: JSON, _ html: String) -> Int {
    var suppressed = 0
    for m in rep["measures"]?.array ?? [] {
        let cats = m["categories"]?.array ?? []
        for table in ["district_grade", "school_grade", "grade_sex"] {
            let t = m[table]
            let rows = t?["rows"]?.array ?? [], cols = t?["cols"]?.array ?? [], cells = t?["cells"]?.array ?? []
            check(cells.count == rows.count * cols.count * cats.count && !cells.isEmpty, "\(name): \(table) has \(cells.count) cells")
            guard cells.count == rows.count * cols.count * cats.count else { continue }
            for r in rows.indices { for c in cols.indices { for k in cats.indices {
                let cell = cells[(r * cols.count + c) * cats.count + k]
                guard cell["state"]?.string == "suppressed" else { continue }
                suppressed += 1
                check(["count", "pct", "lo", "hi", "change", "change_pct", "previous_pct"].allSatisfy { cell[$0] == nil || cell[$0]!.isNull }, "\(name): suppressed cell carries a value \(cell.canonical)")
                let key = "\(m["id"]?.string ?? "?")|\(table)|\(rows[r]["id"]?.string ?? "?")|\(cols[c]["id"]?.string ?? "?")|\(cats[k]["id"]?.string ?? "?")"
                check(html.contains("<td class=\"sup\" data-k=\"\(key)\" title=\"已抑制 suppressed\">S</td>"), "\(name): \(key): the HTML cell is not the suppression mark")
                check(!html.contains("<rect class=\"bar\" data-k=\"\(key)\""), "\(name): \(key): a chart draws a suppressed cell")
            } } }
        }
    }
    return suppressed
}

func replayReportVectors(_ root: URL) throws -> Int {
    let dir = root.appendingPathComponent("tests/vectors/report")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
    check(!names.isEmpty, "no report vectors")
    var cases = 0, reports = 0, errors = 0, suppressed = 0
    for file in names {
        let doc = try JSONReader.parse(try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8))
        check(doc["format"]?.string == "changkaixin.vectors/1" && doc["kind"]?.string == "city_report", "\(file): format")
        for c in doc["cases"]?.array ?? [] {
            cases += 1
            let n = "\(file) / \(c["name"]?.string ?? "?")"
            let spec = try CityReportSpec.fromJson(json: (c["spec"] ?? .null).canonical)
            check(try CityReportSpec.fromJson(json: spec.toJson()).toJson() == spec.toJson(), "\(n): spec round trip")
            let districts = spec.schoolDistricts()
            let groups = c["groups"]?.array ?? []
            var request: [(String, JSON)] = [("round", c["round"] ?? .null)]
            if let s = c["settings"] { request.append(("settings", s)) }
            if let e = c["enrolment"] { request.append(("enrolment", e)) }
            let wantError = c["expect_error"]
            do {
                let rows = expandGroups(districts, groups)
                let agg = try aggregateRows(spec, rows, 7)
                let total = groups.reduce(UInt64(0)) { $0 + ($1["n"]?.int.flatMap { UInt64($0) } ?? 0) }
                check(agg.screened() == total, "\(n): screened \(agg.screened())")
                // One chunk gives the same aggregate as chunks of 7; the JSON reads back verified and equal.
                let whole = try ReportAggregator(spec: spec)
                try whole.add(columns: rows.chunk(0, rows.count))
                check(whole.toJson() == agg.toJson(), "\(n): chunked and whole aggregates differ")
                check(try ReportAggregator.fromJson(spec: spec, json: agg.toJson()).toJson() == agg.toJson(), "\(n): aggregate JSON round trip")
                if let p = c["previous"] {
                    let prev = try aggregateRows(spec, expandGroups(districts, p["groups"]?.array ?? []), 1000)
                    request.append(("previous", .object([("round", p["round"] ?? .null), ("aggregate", try JSONReader.parse(prev.toJson()))])))
                }
                let requestJson = JSON.object(request).canonical
                let report = try agg.reportJson(requestJson: requestJson)
                check(wantError == nil, "\(n): expected error, got a report")
                if wantError != nil { continue }
                reports += 1
                let rep = try JSONReader.parse(report)
                check(rep.canonical == (c["report"] ?? .null).canonical, "\(n): report differs from the stored one")
                check(try cityReportJson(specJson: spec.toJson(), aggregateJson: agg.toJson(), requestJson: requestJson) == report, "\(n): cityReportJson gives other bytes")
                checkReportExpect(n, rep, c["expect"] ?? .null)
                let html = try cityReportHtml(reportJson: report)
                check(html.lowercased().hasPrefix("<!doctype html>"), "\(n): HTML")
                suppressed += checkNoLeak(n, rep, html)
            } catch let e as ChangkaixinError {
                check(wantError != nil, "\(n): unexpected error \(e)")
                guard let want = wantError else { continue }
                errors += 1
                if case .Report(let code, _, _, _, _) = e { check(code == want["code"]?.string, "\(n): error \(code)") } else { check(false, "\(n): not a Report error \(e)") }
                if let r = want["row"]?.int { check(rowOf(e).map { String($0) } == r, "\(n): error row \(String(describing: rowOf(e)))") }
                check(errorJson(e).canonical == (c["error"] ?? .null).canonical, "\(n): error \(errorJson(e).canonical) differs from the stored one")
            }
        }
    }
    check(reports >= 4 && errors >= 4 && suppressed > 0, "report vectors: \(reports) reports, \(errors) errors, \(suppressed) suppressed cells")
    print("swift: city report: \(reports) reports compared with the stored ones after normalisation, \(errors) errors, \(suppressed) suppressed cells checked in JSON and HTML")
    return cases
}

/// Bad report input: each surfaces as ChangkaixinError.Report with its code.
func reportBadInput(_ root: URL) throws {
    let doc = try JSONReader.parse(try String(contentsOf: root.appendingPathComponent("tests/vectors/report/city_report.json"), encoding: .utf8))
    let case0 = doc["cases"]?.array?.first ?? .null
    func isReport(_ e: ChangkaixinError?) -> Bool { if case .Report? = e { return true }; return false }
    check(isReport(expectError("report.parse", { try CityReportSpec.fromJson(json: "[]") })), "spec not an object")
    let spec = try CityReportSpec.fromJson(json: (case0["spec"] ?? .null).canonical)
    let agg = try ReportAggregator(spec: spec)
    let inst = InstrumentColumns(band: Data([0]), screen: Data([1]), flags: [0], flagsIndeterminate: [])
    let one = ReportColumns(district: [0], school: [0], grade: Data([0]), sex: Data([0]), tiers: Data([0]), instruments: [inst])
    try agg.add(columns: one)
    check(agg.screened() == 1, "one row counted")
    let wrongLength = ReportColumns(district: [0], school: [0], grade: Data([0, 0]), sex: Data([0]), tiers: Data([0]), instruments: [inst])
    check(expectError("report.shape", { try agg.add(columns: wrongLength) })?.errorPath() == "grade", "grade column of the wrong length")
    let two = ReportColumns(district: [0, 0], school: [0, 7], grade: Data([0, 0]), sex: Data([0, 0]), tiers: Data([0, 0]),
                            instruments: [InstrumentColumns(band: Data([0, 0]), screen: Data([1, 1]), flags: [0, 0], flagsIndeterminate: [])])
    let bad = expectError("report.invalid_code", { try agg.add(columns: two) })
    check(isReport(bad) && bad.flatMap(rowOf) == 1 && bad?.errorPath() == "school", "school code outside the layout: row 1")
    check(agg.screened() == 1, "a refused chunk counts nothing")
    try agg.merge(other: agg)
    check(agg.screened() == 2, "merging an aggregator into itself doubles it")
    let text = agg.toJson()
    check(isReport(expectError("report.shape", { try ReportAggregator.fromJson(spec: spec, json: text.replacingOccurrences(of: "\"screened\":[2,", with: "\"screened\":[3,")) })), "forged aggregate")
    check(expectError("report.parse", { try ReportAggregator.fromJson(spec: spec, json: text.replacingOccurrences(of: "report-aggregate/1", with: "report-aggregate/9")) })?.errorPath() == "/format", "aggregate format")
    let other = try CityReportSpec.fromJson(json: spec.toJson().replacingOccurrences(of: "\"en\":\"grade 9\"}", with: "\"en\":\"grade 9\"},{\"id\":\"g10\",\"zh\":\"十年级\",\"en\":\"grade 10\"}"))
    check(isReport(expectError("report.shape", { try agg.merge(other: try ReportAggregator(spec: other)) })), "merge of another layout")
    check(isReport(expectError("report.shape", { try ReportAggregator.fromJson(spec: other, json: text) })), "aggregate of another layout")
    check(isReport(expectError("report.parse", { try agg.reportJson(requestJson: "{\"round\": 1}") })), "request without a round object")
    check(expectError("report.parse", { try cityReportHtml(reportJson: "{") })?.errorPath().hasPrefix("line ") == true, "HTML of text that is not a report")
    check(isReport(expectError("report.parse", { try cityReportJson(specJson: spec.toJson(), aggregateJson: "{}", requestJson: "{}") })), "cityReportJson with an empty aggregate")
}

/// Compact batches carry the wide batch's decisions for every built-in instrument (gaps, refusals, two threads), and both verdict columns equal the codes of the bitsets.
func compactBatches() throws {
    let catalog = Catalog.builtin()
    var compared = 0
    var sawIndeterminate = false
    for id in catalog.ids() {
        let inst = try catalog.instrument(id: id)
        let n = Int(inst.itemCount())
        if n == 0 { continue }
        let opts = (1...n).map { inst.optionCodes(item: UInt32($0)) }
        if opts.contains(where: { o in o == nil || o!.isEmpty || o!.contains { $0 < 0 || $0 > 127 } }) { continue }
        let rows = 700
        // The first 200 rows complete; then a deterministic mix of options, gaps (-1) and refusals (-2).
        var codes = [Int8](repeating: 0, count: rows * n)
        for r in 0..<rows {
            for i in 0..<n {
                let o = opts[i]!
                let pick = (r * 131 + i * 17 + r / 7 * i) % (o.count + 2)
                codes[r * n + i] = r < 200 ? Int8(o[(r + i) % o.count]) : pick == o.count ? -1 : pick == o.count + 1 ? -2 : Int8(o[pick])
            }
        }
        let req = BatchRequest(codes: Data(codes.map { UInt8(bitPattern: $0) }), nItems: UInt32(n), missing: -1, refused: -2, threads: 2)
        let wide: BatchResult
        do { wide = try inst.scoreBatch(request: req) } catch let e as ChangkaixinError {
            let c = expectError(e.errorCode()) { try inst.scoreBatchCompact(request: req) }
            check(c?.errorPath() == e.errorPath(), "\(id): the compact batch's error differs from \(e.errorCode())")
            continue
        }
        let compact = try inst.scoreBatchCompact(request: req)
        check(compact.nRows == wide.nRows && compact.flagIds == wide.flagIds && compact.validity == wide.validity && compact.screen == wide.screen, "\(id): compact rows, flags, validity or screen differ")
        let fb = Int(compact.flagBytes)
        check(fb == (wide.flagIds.count + 7) / 8 && compact.flags.count == rows * fb, "\(id): flag bytes \(fb)")
        let pos = [UInt8](compact.flags), und = [UInt8](compact.flagsIndeterminate)
        func word(_ v: [UInt8], _ r: Int) -> UInt64 { (0..<fb).reduce(UInt64(0)) { $0 | UInt64(v[r * fb + $1]) << UInt64(8 * $1) } }
        check((0..<rows).allSatisfy { word(pos, $0) == wide.flags[$0] && word(und, $0) == wide.flagsIndeterminate[$0] }, "\(id): compact flag bytes differ from the bitsets")
        check(wide.verdicts.count == wide.flagIds.count && compact.verdicts.count == wide.flagIds.count, "\(id): one verdict column per flag")
        for (i, f) in wide.flagIds.enumerated() {
            check(wide.verdicts[i] == batchFlagVerdicts(result: wide, flagId: f) && compact.verdicts[i] == wide.verdicts[i], "\(id): verdict column \(f) differs")
            sawIndeterminate = sawIndeterminate || wide.verdicts[i].contains(2)
        }
        check(compact.scales.count == wide.scales.count, "\(id): scales")
        for (c, w) in zip(compact.scales, wide.scales) {
            check(c.id == w.id && c.rawDecimals == w.rawDecimals && c.scoreDecimals == w.scoreDecimals && widen(c.raw) == w.raw && (c.score.map(widen) ?? w.raw) == w.score
                  && c.band == w.band && c.bandIds == w.bandIds && (c.prorated ?? [Bool](repeating: false, count: rows)) == w.prorated, "\(id)/\(c.id): the compact scale differs from the wide one")
        }
        compared += 1
    }
    print("swift: compact batch equals wide for \(compared) built-in instruments")
    check(compared == catalog.ids().count && sawIndeterminate, "compact batches compared for \(compared) of \(catalog.ids().count) instruments (indeterminate verdicts seen: \(sawIndeterminate))")
}

let root = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : ".")
do {
    let cases = try replayVectors(root)
    let fhirCases = try replayFhirVectors(root)
    let alertCases = try replayAlertVectors(root)
    let complianceCases = try replayComplianceVectors(root)
    let archiveCases = try replayArchiveVectors(root)
    let reportCases = try replayReportVectors(root)
    print("swift: \(batchReplays) scoring cases replayed as a batch row, wide and compact")
    check(batchReplays >= 100, "only \(batchReplays) scoring cases replayed through batches")
    print("swift: replayed \(cases) scoring, \(fhirCases) FHIR, \(alertCases) alert, \(complianceCases) compliance, \(archiveCases) archive and \(reportCases) city report golden-vector cases")
    if alertCases == 0 || fhirCases == 0 || complianceCases == 0 || archiveCases == 0 || reportCases == 0 { failed += 1 }
    try badInput()
    try verdictsAndCodes()
    try compactBatches()
    try appFlow(root)
    try archiveFlow(root)
    try reportBadInput(root)
    if cases == 0 { failed += 1 }
} catch {
    failed += 1
    print("swift: unexpected error \(error)")
}
print("swift: \(passed) passed, \(failed) failed")
exit(failed == 0 ? 0 : 1)
