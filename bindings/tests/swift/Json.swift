// A small JSON reader and canonical writer for the golden-vector replay.
// Canonical form = the one the Rust replayer compares: object keys sorted, no whitespace.
// Integers stay exact (kept as their digits); the vectors hold no floats.
import Foundation

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
