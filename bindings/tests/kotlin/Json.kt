// A small JSON reader and canonical writer for the golden-vector replay (the JDK has no JSON).
// Canonical form = the one the Rust replayer compares: object keys sorted, no whitespace.
package cn.changzhou.changkaixin.test

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
