// The README's Swift example, built by SwiftPM against the package: score a PHQ-9 with item 9 positive.
import Changkaixin

let phq9 = try Catalog.builtin().instrument(id: "phq9")
var answers: [String: Answer] = ["10": .missing]
for (i, code) in [1, 2, 1, 2, 1, 1, 1, 2, 1].enumerated() { answers[String(i + 1)] = .code(code: Int64(code)) }
let report = try phq9.score(response: Response(answers: answers))
let total = report.scale(id: "total")!
print("PHQ-9 total \(total.raw ?? "-") band \(total.band?.id ?? "-")")
for flag in report.flags where flag.level == .critical { print("critical flag \(flag.id): \(flag.reason.en ?? "")") }
do { _ = try phq9.score(response: Response(answers: ["1": .code(code: 7)])) } catch let e as ChangkaixinError { print("error \(e.errorCode()) at \(e.errorPath())") }
