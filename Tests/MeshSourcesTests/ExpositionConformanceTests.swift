import Foundation
import Testing
@testable import MeshSources

/// Prometheus text 0.0.4 as mesh-apis.md §4.1 states it, read the way the Prometheus Go parser
/// reads it (prometheus/common `expfmt/text_parse.go`, the parser of `promtool check metrics`).
/// Each case was written from the spec, not from our output. Where Go's parser and §4.1 disagree
/// the case follows §4.1 and says so. Every rejection names its line and column (1-based, in
/// bytes from the first byte of the line). Every case also goes through the Istio stats scanner,
/// which must accept and reject exactly what the parser does and read the same counters.
@Suite("Prometheus text 0.0.4 conformance (mesh-apis.md §4.1)")
struct ExpositionConformanceTests {
    /// An input the parser must accept, with every sample it must read, in input order, written
    /// `name{label="value",…} value [timestamp]` (label values escaped as in the input format,
    /// integral values without a fraction, `nan`/`inf`/`-inf` for the special values).
    struct Accepted: CustomTestStringConvertible, Sendable {
        var name: String
        var input: [UInt8]
        var samples: [String]
        var testDescription: String { name }

        init(_ name: String, _ input: String, _ samples: [String]) {
            self.name = name
            self.input = Array(input.utf8)
            self.samples = samples
        }
    }

    /// An input the parser must reject, with the line and column of the first offence.
    struct Rejected: CustomTestStringConvertible, Sendable {
        var name: String
        var input: [UInt8]
        var line: Int
        var column: Int
        var testDescription: String { name }

        init(_ name: String, _ input: String, line: Int, column: Int) {
            self.init(name, bytes: Array(input.utf8), line: line, column: column)
        }

        init(_ name: String, bytes: [UInt8], line: Int, column: Int) {
            self.name = name
            self.input = bytes
            self.line = line
            self.column = column
        }
    }

    static let accepted: [Accepted] = [
        // Lines, blanks and separators.
        Accepted("a plain sample", "a 1\n", ["a 1"]),
        Accepted("a final line without a line feed", "a 1\nb 2", ["a 1", "b 2"]),
        Accepted("CRLF line ends are tolerated", "a 1\r\nb{c=\"d\"} 2 3\r\n", ["a 1", #"b{c="d"} 2 3"#]),
        Accepted("empty and blank-only lines are ignored", "\n \t\na 1\n\n\t\n", ["a 1"]),
        Accepted("leading and trailing blanks are ignored (Go rejects a blank after the value or the timestamp; §4.1 ignores trailing blanks)",
                 "  a 1  \n\tb 2 3\t\n", ["a 1", "b 2 3"]),
        Accepted("tabs and runs of blanks separate tokens", "a\t1\t 2\nb  \t3\n", ["a 1 2", "b 3"]),
        Accepted("blanks between a metric name and {", "a {b=\"c\"} 1\nd\t{} 2\n", [#"a{b="c"} 1"#, "d 2"]),
        Accepted("blanks around = and , inside {}", "a{ b = \"c\" , d\t=\t\"e\" } 1\n", [#"a{b="c",d="e"} 1"#]),
        Accepted("a trailing comma inside {}", "a{b=\"c\",} 1\nd{b=\"c\" , } 2\n", [#"a{b="c"} 1"#, #"d{b="c"} 2"#]),
        Accepted("an empty label set", "a{} 1\nb{ } 2\n", ["a 1", "b 2"]),
        // Names.
        Accepted("metric names with colons and underscores", "a:b_c:1 1\n_x 2\n:y 3\n", ["a:b_c:1 1", "_x 2", ":y 3"]),
        Accepted("label names with underscores and digits; `__` names other than __name__ (reserved, but Go accepts them)",
                 "a{_b1=\"x\",__meta_y=\"z\"} 1\n", [#"a{_b1="x",__meta_y="z"} 1"#]),
        // Label values.
        Accepted("the three label value escapes", #"a{b="x\\y\"z\nw"} 1"# + "\n", [#"a{b="x\\y\"z\nw"} 1"#]),
        Accepted("label values hold any UTF-8 and the bytes that delimit labels", "a{b=\"ünï ☃\",c=\"}{,=# \"} 1\n", [#"a{b="ünï ☃",c="}{,=# "} 1"#]),
        Accepted("an empty label value", "a{b=\"\"} 1\n", [#"a{b=""} 1"#]),
        // Values and timestamps (Go's ParseFloat syntax, int64 milliseconds).
        Accepted("decimal, signed and exponent values", "a 1.5e3\nb -0.5\nc +3\nd .5\ne 5.\nf 1E-3\ng 007\n",
                 ["a 1500", "b -0.5", "c 3", "d 0.5", "e 5", "f 0.001", "g 7"]),
        Accepted("NaN and the infinities in any case", "a NaN\nb nan\nc +Inf\nd -Inf\ne inf\nf Infinity\ng -infinity\nh INF\n",
                 ["a nan", "b nan", "c inf", "d -inf", "e inf", "f inf", "g -inf", "h inf"]),
        Accepted("integers beyond 64 bits, the largest double and an underflow to zero",
                 "a 9223372036854775808\nb 1.7976931348623157e308\nc 1e-400\n",
                 ["a 9223372036854775808", "b 1.7976931348623157e+308", "c 0"]),
        Accepted("timestamps may be negative or signed, down to int64's least", "a 1 -1\nb 2 +5\nc 3 -9223372036854775808\n",
                 ["a 1 -1", "b 2 5", "c 3 -9223372036854775808"]),
        // Comments and metadata.
        Accepted("free comments and bare # lines", "# just a comment\n#no space\n#\n  # indented\n# EOF\na 1\n", ["a 1"]),
        Accepted("# HELP and # TYPE with nothing after the keyword or the name are no-ops",
                 "# HELP\n# TYPE\n# HELP \n# HELP a\n# TYPE a\n# TYPE a \na 1\n", ["a 1"]),
        Accepted("# HELP for a name that has no samples", "# HELP nothing here are no samples\na 1\n", ["a 1"]),
        Accepted("# HELP name with an empty docstring, then a real one (an empty HELP sets nothing)",
                 "# HELP a\n# HELP a \n# HELP a the real one\na 1\n", ["a 1"]),
        Accepted("HELP docstring escapes \\\\ and \\n; HELP after the samples", #"a 1"# + "\n" + #"# HELP a back\\slash\nnewline"# + "\n", ["a 1"]),
        Accepted("#HELP without a blank after # is still HELP; # TYPE in any case (as Go reads it)",
                 "#HELP a doc\n#\tTYPE a Counter\na 1\n# TYPE b GAUGE\nb 2\n", ["a 1", "b 2"]),
        Accepted("the five 0.0.4 types", "# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n# TYPE d summary\n# TYPE e untyped\na 1\nb 2\ne 3\n",
                 ["a 1", "b 2", "e 3"]),
        // Histograms and summaries.
        Accepted("histogram le values are float text", """
            # TYPE h histogram
            h_bucket{le="1"} 1
            h_bucket{le="1.0e1"} 2
            h_bucket{le="1e+06"} 3
            h_bucket{le="+Inf"} 4
            h_sum 2.5
            h_count 4

            """, [#"h_bucket{le="1"} 1"#, #"h_bucket{le="1.0e1"} 2"#, #"h_bucket{le="1e+06"} 3"#, #"h_bucket{le="+Inf"} 4"#, "h_sum 2.5", "h_count 4"]),
        Accepted("summary quantile values are float text; a negative _sum is allowed", """
            # TYPE s summary
            s{quantile="0.99"} 7
            s{quantile="1e-1"} 2
            s_sum -3
            s_count 9

            """, [#"s{quantile="0.99"} 7"#, #"s{quantile="1e-1"} 2"#, "s_sum -3", "s_count 9"]),
        Accepted("le and quantile are ordinary labels outside histograms and summaries", "x_bucket{le=\"abc\"} 1\ny{quantile=\"high\"} 2\n",
                 [#"x_bucket{le="abc"} 1"#, #"y{quantile="high"} 2"#]),
        Accepted("a family split by another (as real Envoy writes it) and a repeated series", """
            # TYPE a counter
            a{x="1"} 1
            b 2
            a{x="2"} 3
            a{x="1"} 4

            """, [#"a{x="1"} 1"#, "b 2", #"a{x="2"} 3"#, #"a{x="1"} 4"#]),
        // What the Istio stats scanner reads itself: it must read it as the parser does.
        Accepted("Istio requests with blanks around = and before {", """
            # TYPE istio_requests_total counter
            istio_requests_total {reporter = "source", destination_service_name= "a" ,response_code ="200"} 3
            istio_requests_total{reporter="source",destination_service_name="a",response_code="200"}  4 1700000000000

            """, [#"istio_requests_total{reporter="source",destination_service_name="a",response_code="200"} 3"#,
                  #"istio_requests_total{reporter="source",destination_service_name="a",response_code="200"} 4 1700000000000"#]),
        Accepted("Istio requests without labels and with an escaped label the scanner does not keep", #"""
            istio_requests_total 5
            istio_requests_total{reporter="destination",request_path="/a\\b"} 6

            """#, ["istio_requests_total 5", #"istio_requests_total{reporter="destination",request_path="/a\\b"} 6"#]),
        Accepted("Istio buckets: shared prefixes, a tab before the count, a timestamp, seconds converted", """
            # TYPE istio_request_duration_seconds histogram
            istio_request_duration_seconds_bucket{reporter="source",le="0.005"} 1
            istio_request_duration_seconds_bucket{reporter="source",le="0.5"}\t2
            istio_request_duration_seconds_bucket{reporter="source",le="+Inf"} 3 1700000000000
            istio_request_duration_seconds_count{reporter="source"} 3

            """, [#"istio_request_duration_seconds_bucket{reporter="source",le="0.005"} 1"#,
                  #"istio_request_duration_seconds_bucket{reporter="source",le="0.5"} 2"#,
                  #"istio_request_duration_seconds_bucket{reporter="source",le="+Inf"} 3 1700000000000"#,
                  #"istio_request_duration_seconds_count{reporter="source"} 3"#]),
        Accepted("Istio buckets without a TYPE line are not a histogram (the parser's counters ignore them)", """
            istio_request_duration_milliseconds_bucket{reporter="source",le="5"} 1
            istio_request_duration_milliseconds_bucket{reporter="source",le="+Inf"} 2

            """, [#"istio_request_duration_milliseconds_bucket{reporter="source",le="5"} 1"#,
                  #"istio_request_duration_milliseconds_bucket{reporter="source",le="+Inf"} 2"#]),
        Accepted("Istio milliseconds and seconds histograms together (the parser reads milliseconds only)", """
            # TYPE istio_request_duration_milliseconds histogram
            istio_request_duration_milliseconds_bucket{reporter="source",le="+Inf"} 2
            # TYPE istio_request_duration_seconds histogram
            istio_request_duration_seconds_bucket{reporter="source",le="+Inf"} 7

            """, [#"istio_request_duration_milliseconds_bucket{reporter="source",le="+Inf"} 2"#,
                  #"istio_request_duration_seconds_bucket{reporter="source",le="+Inf"} 7"#]),
        Accepted("a histogram the scanner skips: lines that repeat a bucket line's prefix; le text outside histograms", """
            # TYPE e histogram
            e_bucket{c="x",le="1"} 1
            e_bucket{c="x",le="+Inf"}	2
            e_count{c="x"} 2
            u_bucket{le="a"} 1
            u_bucket{le="b"} 2

            """, [#"e_bucket{c="x",le="1"} 1"#, #"e_bucket{c="x",le="+Inf"} 2"#, #"e_count{c="x"} 2"#, #"u_bucket{le="a"} 1"#, #"u_bucket{le="b"} 2"#]),
        Accepted("Istio requests whose last label is le, line after line, all count", """
            istio_requests_total{reporter="source",le="1"} 1
            istio_requests_total{reporter="source",le="2"} 2

            """, [#"istio_requests_total{reporter="source",le="1"} 1"#, #"istio_requests_total{reporter="source",le="2"} 2"#]),
        Accepted("Envoy's server state: the first sample counts, labels or not", """
            # TYPE envoy_server_state gauge
            envoy_server_state{zone="a"} 1
            envoy_server_state 2

            """, [#"envoy_server_state{zone="a"} 1"#, "envoy_server_state 2"]),
    ]

    static let rejected: [Rejected] = [
        // Label values: only \\, \" and \n are escapes.
        Rejected("a label value escape \\t", #"a{b="x\ty"} 1"#, line: 1, column: 7),
        Rejected("a label value escape \\u", "a 1\n" + #"b{c="\u00e9"} 2"#, line: 2, column: 6),
        Rejected("a label value ending in a lone backslash", #"a{b="x\"#, line: 1, column: 7),
        Rejected("a label value that is not UTF-8", bytes: Array("a{b=\"x".utf8) + [0xC3, 0x28] + Array("\"} 1\n".utf8), line: 1, column: 7),
        Rejected("a label value cut by the end of the line", "a{b=\"x\n\"} 1\n", line: 1, column: 7),
        // le and quantile must be float text in histograms and summaries.
        Rejected("an le value that is not a float", "# TYPE h histogram\nh_bucket{le=\"abc\"} 1\n", line: 2, column: 14),
        Rejected("an empty le value", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"\"} 2\n", line: 3, column: 14),
        Rejected("a hexadecimal le value (Go's parser refuses p and _)", "# TYPE h histogram\nh_bucket{x=\"y\", le=\"0x1p3\"} 1\n", line: 2, column: 21),
        Rejected("an le value on a histogram's _count", "# TYPE h histogram\nh_count{le=\"1,5\"} 1\n", line: 2, column: 13),
        Rejected("a quantile value that is not a float", "# TYPE s summary\ns{quantile=\"p99\"} 1\n", line: 2, column: 13),
        Rejected("a quantile value on a summary's _sum", "# TYPE s summary\ns_sum{quantile=\"1_0\"} 1\n", line: 2, column: 17),
        // Histogram counts cannot be negative (Go: "negative bucket population", "negative count").
        Rejected("a negative bucket count", "# TYPE h histogram\nh_bucket{le=\"1\"} -1\n", line: 2, column: 18),
        Rejected("a negative histogram count", "# TYPE h histogram\nh_count -0.5\n", line: 2, column: 9),
        // Values and timestamps.
        Rejected("a value that is not a number", "a{b=\"1\"} x\n", line: 1, column: 10),
        Rejected("a hexadecimal value", "a 0x10\n", line: 1, column: 3),
        Rejected("a value with an underscore", "a 1_000\n", line: 1, column: 3),
        Rejected("a value beyond the largest double (Go: out of range)", "a 1e400\n", line: 1, column: 3),
        Rejected("a signed NaN", "a -NaN\n", line: 1, column: 3),
        Rejected("a cut infinity", "a infin\n", line: 1, column: 3),
        Rejected("an exponent without digits", "a 1e\n", line: 1, column: 3),
        Rejected("a missing value", "a\n", line: 1, column: 2),
        Rejected("a missing value after a label set and a blank", "a{} \n", line: 1, column: 5),
        Rejected("a value glued to the label set (Go accepts it; §4.1 separates tokens by blanks)", "a{}1\n", line: 1, column: 4),
        Rejected("a value glued to the name (Go reads `a-1` as a = -1; §4.1 separates tokens by blanks)", "a-1\n", line: 1, column: 2),
        Rejected("a timestamp that is not an integer", "a 1 12.5\n", line: 1, column: 5),
        Rejected("a timestamp beyond int64", "a 1 9223372036854775808\n", line: 1, column: 5),
        Rejected("text after the timestamp", "a 1 2 3\n", line: 1, column: 7),
        Rejected("a comment after the value", "a 1 # no\n", line: 1, column: 5),
        // Names and label sets.
        Rejected("a metric name starting with a digit", "1a 1\n", line: 1, column: 1),
        Rejected("a quoted metric name (only when UTF-8 names are negotiated; Go's parser accepts it)", "{\"a.b\"} 1\n", line: 1, column: 1),
        Rejected("a label name starting with a digit", "a{1b=\"c\"} 1\n", line: 1, column: 3),
        Rejected("a comma with no label", "a{,} 1\n", line: 1, column: 3),
        Rejected("an unquoted label value", "ok 1\nbad{a=1} 2\n", line: 2, column: 7),
        Rejected("a label without =", "a{b \"c\"} 1\n", line: 1, column: 5),
        Rejected("a label set that is not closed", "a{b=\"c\" 1\n", line: 1, column: 9),
        Rejected("a second closing brace", "a{b=\"c\"}} 1\n", line: 1, column: 9),
        Rejected("a repeated label name", "# TYPE a gauge\na 1\na{x=\"1\", x=\"2\"} 1\n", line: 3, column: 10),
        Rejected("the reserved label name __name__", "a{__name__=\"b\"} 1\n", line: 1, column: 3),
        Rejected("binary garbage", "\u{1}\u{2}garbage\n", line: 1, column: 1),
        // Metadata.
        Rejected("a second HELP for a name", "# HELP a one\n# HELP a two\n", line: 2, column: 8),
        Rejected("a second TYPE for a name", "# TYPE a gauge\n# TYPE a counter\n", line: 2, column: 8),
        Rejected("a TYPE after the family's first sample", "a 1\n# TYPE a gauge\n", line: 2, column: 8),
        Rejected("a TYPE for a histogram's _bucket after the histogram's TYPE", "# TYPE h histogram\n# TYPE h_bucket counter\n", line: 2, column: 8),
        Rejected("an unknown type", "# TYPE a bogus\n", line: 1, column: 10),
        Rejected("an OpenMetrics type in 0.0.4 text", "# TYPE a info\n", line: 1, column: 10),
        Rejected("text after the type", "# TYPE a counter extra\n", line: 1, column: 10),
        Rejected("a HELP escape other than \\\\ and \\n", #"# HELP a tab\there"#, line: 1, column: 13),
        Rejected("a HELP escape \\\" (Go's parser accepts it; §4.1 allows \\\\ and \\n only)", #"# HELP a say \"hi\""#, line: 1, column: 14),
        Rejected("a HELP docstring ending in a lone backslash", "# HELP a oops\\\n", line: 1, column: 14),
        Rejected("an invalid metric name in HELP", "# HELP 1a doc\n", line: 1, column: 8),
        Rejected("a metric name in TYPE followed by other characters", "# TYPE a-b counter\n", line: 1, column: 9),
        // Errors on later lines keep their own line numbers.
        Rejected("an error after blank lines and CRLF", "\r\n\na 1\r\nb x\r\n", line: 4, column: 3),
        // Lines the Istio stats scanner reads itself.
        Rejected("Istio requests: a value glued to the labels", "istio_requests_total{reporter=\"source\"}1\n", line: 1, column: 40),
        Rejected("Istio requests: text after the value", "istio_requests_total{reporter=\"source\"} 1 x\n", line: 1, column: 43),
        Rejected("Istio requests: a repeated label", "istio_requests_total{reporter=\"a\",reporter=\"b\"} 1\n", line: 1, column: 35),
        Rejected("Istio requests: a hexadecimal value", "istio_requests_total{reporter=\"a\"} 0x1\n", line: 1, column: 36),
        Rejected("Istio requests: an invalid escape in a label the scanner ignores", #"istio_requests_total{request_path="\d"} 1"#, line: 1, column: 36),
        Rejected("Istio requests: a TYPE after the samples", "istio_requests_total{reporter=\"a\"} 1\n# TYPE istio_requests_total counter\n", line: 2, column: 8),
        Rejected("a malformed line among the lines the scanner skips", "istio_requests_total{reporter=\"a\"} 1\nenvoy_x{a=1} 2\n", line: 2, column: 11),
        Rejected("a skipped histogram: an le that is not a float after a shared prefix",
                 "# TYPE e histogram\ne_bucket{c=\"x\",le=\"1\"} 1\ne_bucket{c=\"x\",le=\"oops\"} 2\n", line: 3, column: 20),
        Rejected("a skipped histogram: a negative count after a shared prefix",
                 "# TYPE e histogram\ne_bucket{c=\"x\",le=\"1\"} 1\ne_bucket{c=\"x\",le=\"2\"} -1\n", line: 3, column: 24),
        Rejected("Istio buckets: a count glued to a shared-prefix line",
                 afterFirstBucket(#"istio_request_duration_milliseconds_bucket{reporter="source",le="10"}2"#), line: 3, column: 70),
        Rejected("Istio buckets: text after the count of a shared-prefix line",
                 afterFirstBucket(#"istio_request_duration_milliseconds_bucket{reporter="source",le="10"} 2 3 4"#), line: 3, column: 75),
        Rejected("Istio buckets: an le that is not a float on a shared-prefix line",
                 afterFirstBucket(#"istio_request_duration_milliseconds_bucket{reporter="source",le="0x10"} 2"#), line: 3, column: 66),
        Rejected("Istio buckets: a negative count on a shared-prefix line",
                 afterFirstBucket(#"istio_request_duration_milliseconds_bucket{reporter="source",le="10"} -2"#), line: 3, column: 71),
    ]

    @Test("Accepted inputs read exactly these samples", arguments: accepted)
    func accepts(_ example: Accepted) throws {
        let exposition = try ExpositionParser.parse(example.input, format: .prometheus)
        let samples = exposition.families.flatMap(\.samples).sorted { $0.line < $1.line }.map(Self.render)
        #expect(samples == example.samples)
    }

    @Test("Rejected inputs name the line and column", arguments: rejected)
    func rejects(_ example: Rejected) {
        do {
            let exposition = try ExpositionParser.parse(example.input, format: .prometheus)
            Issue.record("accepted, read \(exposition.families.flatMap(\.samples).map(Self.render))")
        } catch let error as ExpositionError {
            #expect(error.line == example.line && error.column == example.column, "\(error) (column \(error.column))")
        } catch {
            Issue.record("not an ExpositionError: \(error)")
        }
    }

    @Test("The Istio stats scanner accepts what the parser accepts and reads the same counters", arguments: accepted)
    func scannerAccepts(_ example: Accepted) throws {
        var scanner = IstioStatsScanner()
        let fast = try scanner.counters(at: Self.at, body: example.input)
        let exposition = try ExpositionParser.parse(example.input, format: .prometheus)
        let generic = RequestCounters(at: Self.at, exposition: exposition)
        #expect(fast.requests == generic.requests)
        #expect(fast.durationBuckets == generic.durationBuckets)
        #expect(scanner.lastServerState == exposition.family("envoy_server_state")?.samples.first?.value)
    }

    @Test("The Istio stats scanner rejects what the parser rejects, with the parser's error", arguments: rejected)
    func scannerRejects(_ example: Rejected) {
        var scanner = IstioStatsScanner()
        do {
            _ = try scanner.counters(at: Self.at, body: example.input)
            Issue.record("the scanner accepted it")
        } catch let error as ExpositionError {
            #expect(error.line == example.line && error.column == example.column, "\(error) (column \(error.column))")
        } catch {
            Issue.record("not an ExpositionError: \(error)")
        }
    }

    @Test("Metadata: docstrings are unescaped, an empty HELP sets nothing, TYPE is read in any case")
    func metadata() throws {
        let text = "# HELP a\n# HELP a back\\\\slash\\nnewline\n#\tTYPE a Counter\na 1\n# TYPE b gauge_histogram\nb_bucket{le=\"1\"} 2\n"
        let exposition = try ExpositionParser.parse(text, format: .prometheus)
        #expect(exposition.family("a")?.help == "back\\slash\nnewline")
        #expect(exposition.family("a")?.type == .counter)
        #expect(exposition.family("b")?.type == .gaugehistogram)
        #expect(exposition.family("b")?.samples.count == 1)
    }

    @Test("Content detection: exposition text is recognised after blank lines and leading blanks, not sent to the YAML reader",
          arguments: ["\nfoo 1\n", "\n\n  foo{a=\"b\"} 1\n", "\r\n\t\nfoo {a=\"b\"} 1\n", "\n# TYPE foo gauge\nfoo 1\n", "\n\nfoo{a=1} 2\n"])
    func detection(_ text: String) throws {
        #expect(try CapturedFile.detect(Array(text.utf8), file: "capture").kind == .exposition)
    }

    @Test("Content detection: YAML and JSON captures are still told apart from exposition text")
    func detectionOthers() throws {
        let yaml = "\n\nconfigs:\n- '@type': type.googleapis.com/envoy.admin.v3.BootstrapConfigDump\n  bootstrap: {}\n"
        #expect(try CapturedFile.detect(Array(yaml.utf8), file: "dump.yaml").kind == .configDump)
        #expect(try CapturedFile.detect(Array("\n {\"certificates\": []}".utf8), file: "certs.json").kind == .certs)
    }

    static let at = Date(timeIntervalSince1970: 1_700_000_000)

    /// A duration histogram's TYPE and first bucket line, then `line`: a line that repeats the
    /// first one through `le="` is one the scanner reads by that shared prefix alone.
    static func afterFirstBucket(_ line: String) -> String {
        "# TYPE istio_request_duration_milliseconds histogram\n" + #"istio_request_duration_milliseconds_bucket{reporter="source",le="5"} 1"#
            + "\n" + line + "\n"
    }

    /// `name{label="value",…} value [timestamp]`, label values escaped as the format writes them.
    static func render(_ sample: Sample) -> String {
        var text = sample.name
        if !sample.labels.isEmpty {
            text += "{" + sample.labels.map { label in
                let value = label.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    .replacingOccurrences(of: "\n", with: "\\n")
                return "\(label.name)=\"\(value)\""
            }.joined(separator: ",") + "}"
        }
        text += " " + number(sample.value)
        if let timestamp = sample.timestamp { text += " " + number(timestamp) }
        return text
    }

    /// Integral values without a fraction; `nan`, `inf`, `-inf` and the rest as Swift prints them.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == value.rounded(), abs(value) < 1e20, let integer = Int64(exactly: value) { return String(integer) }
        if value == value.rounded(), abs(value) < 1e20 { return String(format: "%.0f", value) }
        return "\(value)"
    }
}
