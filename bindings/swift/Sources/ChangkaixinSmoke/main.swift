// The README's Swift examples, built by SwiftPM against the package: score a PHQ-9 with item 9 positive,
// then evaluate its alert tier from typed evidence.
import Changkaixin

let phq9 = try Catalog.builtin().instrument(id: "phq9")
var answers: [String: Answer] = ["10": .missing]
for (i, code) in [1, 2, 1, 2, 1, 1, 1, 2, 1].enumerated() { answers[String(i + 1)] = .code(code: Int64(code)) }
let report = try phq9.score(response: Response(answers: answers))
let total = report.scale(id: "total")!
print("PHQ-9 total \(total.raw ?? "-") band \(total.band?.id ?? "-")")
for flag in report.flags where flag.level == .critical { print("critical flag \(flag.id): \(flag.reason.en ?? "")") }
do { _ = try phq9.score(response: Response(answers: ["1": .code(code: 7)])) } catch let e as ChangkaixinError { print("error \(e.errorCode()) at \(e.errorPath())") }

// The README's alert example: the report above as typed evidence, with a head teacher's observation.
let policy = try AlertPolicy.changzhouDefault()
let evidence = StudentEvidence(
    student: "s-0001",
    screenings: [Screening(id: "scr-1", at: "2026-09-01T09:04:10+08:00", report: report)],
    observations: [StaffObservation(category: "withdrawal", at: "2026-09-01T08:30:00+08:00",
                                    observedBy: Person(name: "李老师", role: "head_teacher"))])
let decision = try policy.evaluate(evidence: evidence, at: "2026-09-01T10:00:00+08:00")
print("tier \(decision.tier().id) \(decision.tier().level ?? "-")")
for r in decision.firedRules() { print("\(r.rule): \(r.sources.map { $0.id }.joined(separator: ", "))") }
for a in decision.actions() { print("\(a.id) (\(a.role)) due \(a.dueAt)") }
let bad = StudentEvidence(student: "s-0001", observations: [StaffObservation(category: "withdrawal",
    at: "2026-09-01T08:30:00+08:00", observedBy: Person(name: "李老师", role: "janitor"))])
do { _ = try policy.evaluate(evidence: bad, at: "2026-09-01T10:00:00+08:00") }
catch ChangkaixinError.Evidence(let code, let path, _, _, _) { print("\(code) at \(path)") }
