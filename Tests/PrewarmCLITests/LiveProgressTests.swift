import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build` on a terminal (a pseudo-terminal made by `Tests/Fixtures/tty/run_in_pty.py`):
/// a live region redrawn in place while images build, then the function table; lines never wider
/// than the terminal; colour unless `NO_COLOR`; plain lines, without escapes, in a pipe.
extension EngineTests {
    @Suite struct LiveProgressTests {
        static let functions = 40

        /// 40 functions over 8 distinct layers: 8 images, 40 rows in the table.
        static func template() -> String {
            var lines = [
                "Transform: AWS::Serverless-2016-10-31",
                "Globals:",
                "  Function: {Handler: app.handler, CodeUri: src/, Runtime: python3.12}",
                "Resources:",
            ]
            for layer in 0..<8 {
                lines += [
                    "  Layer\(layer):", "    Type: AWS::Serverless::LayerVersion",
                    "    Properties: {ContentUri: layers/l\(layer)}",
                ]
            }
            for function in 0..<functions {
                lines += [
                    "  Function\(function):", "    Type: AWS::Serverless::Function",
                    "    Properties: {Layers: [!Ref Layer\(function % 8)]}",
                ]
            }
            return lines.joined(separator: "\n") + "\n"
        }

        struct App {
            let directory: TemporaryDirectory
            let template: String
            let arguments: [String]
        }

        static func app(host: String) throws -> App {
            let directory = try TemporaryDirectory("prewarm-live")
            for layer in 0..<8 {
                try directory.write(
                    "layers/l\(layer)/python/l\(layer).py", "value = \(UUID().uuidString.debugDescription)\n")
            }
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\n")
            let template = try directory.write("template.yaml", Self.template())
            return App(
                directory: directory, template: template,
                arguments: [
                    "build", template, "--docker-host", host, "--rie-dir", directory.path + "/rie", "--skip-pull-image",
                    "--force-image-build",
                ])
        }

        /// Runs prewarm on a pseudo-terminal `columns` wide, its standard error (messages, which the
        /// terminal wraps) to a file.
        static func onTerminal(_ arguments: [String], columns: Int, environment: [String: String] = [:]) async throws
            -> CommandResult
        {
            let stderr = FileManager.default.temporaryDirectory.appendingPathComponent("pty-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: stderr) }
            let python = try #require(CommandRunner.which("python3"))
            var whole = ProcessInfo.processInfo.environment
            whole.removeValue(forKey: "NO_COLOR")
            whole.merge(environment) { $1 }
            return try await CommandRunner.run(
                python,
                [
                    Fixtures.path("tty/run_in_pty.py"), "--cols", "\(columns)", "--stderr", stderr, "--",
                    PrewarmExecutable.path,
                ]
                    + arguments,
                environment: whole)
        }

        /// What a terminal's screen (and scrollback) holds at the end of `output`: a small emulator of the
        /// sequences the live view writes (`\r`, `\n`, cursor up `ESC[nA`, clear to the end `ESC[J`; colours
        /// ignored).
        static func screen(_ output: String) -> [String] {
            var lines: [[Unicode.Scalar]] = [[]]
            var row = 0
            var column = 0
            var scalars = Array(output.unicodeScalars)[...]
            while let scalar = scalars.popFirst() {
                switch scalar {
                case "\r":
                    column = 0
                case "\n":
                    row += 1
                    column = 0
                    if row == lines.count { lines.append([]) }
                case "\u{1B}":
                    guard scalars.first == "[" else { continue }
                    scalars.removeFirst()
                    var digits = ""
                    while let next = scalars.first, next.properties.numericType != nil || next == ";" {
                        digits.unicodeScalars.append(next)
                        scalars.removeFirst()
                    }
                    guard let command = scalars.popFirst() else { break }
                    if command == "A" { row = max(0, row - (Int(digits) ?? 1)) }
                    if command == "J" {
                        lines[row].removeSubrange(min(column, lines[row].count)...)
                        lines.removeSubrange((row + 1)...)
                    }
                default:
                    if column < lines[row].count {
                        lines[row][column] = scalar
                    } else {
                        lines[row].append(scalar)
                    }
                    column += 1
                }
            }
            return lines.map { String(String.UnicodeScalarView($0)) }.filter { !$0.isEmpty }
        }

        /// Ctrl-C during the live view: the warning goes above the region, and the region goes whole, so
        /// that no `▸` line stays in the scrollback.
        @Test func ctrlCLeavesNoLineOfTheLiveRegion() async throws {
            try await Self.interruptLeavesNoLineOfTheLiveRegion { $0 + ["--jobs", "1"] }
        }

        /// The same in `prewarm watch`, whose first build draws the same live view (its layers are new, so
        /// it builds without `--force-image-build`, which watch does not take).
        @Test func ctrlCInWatchLeavesNoLineOfTheLiveRegion() async throws {
            try await Self.interruptLeavesNoLineOfTheLiveRegion { arguments in
                ["watch"] + arguments.dropFirst().filter { $0 != "--force-image-build" } + ["--jobs", "1"]
            }
        }

        /// Runs prewarm with `arguments(app's build arguments)` on a terminal, Ctrl-C once the live view is
        /// drawn, and checks what stays on the screen.
        static func interruptLeavesNoLineOfTheLiveRegion(_ arguments: ([String]) -> [String]) async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let app = try Self.app(host: host)
            defer { app.directory.remove() }
            let python = try #require(CommandRunner.which("python3"))
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "NO_COLOR")
            let result = try await CommandRunner.run(
                python,
                [
                    Fixtures.path("tty/run_in_pty.py"), "--cols", "100", "--interrupt-after", "▸", "--",
                    PrewarmExecutable.path,
                ] + arguments(app.arguments),
                environment: environment)
            #expect(result.status == 130, "\(result.stdout)")
            let screen = Self.screen(result.stdout)
            #expect(screen.contains { $0.contains("interrupted: finishing the journal") }, "\(screen)")
            #expect(!screen.contains { $0.hasPrefix("▸") }, "a line of the live region stayed: \(screen)")
        }

        /// The lines as a terminal shows them: escapes removed, split at line ends and carriage returns.
        static func visibleLines(_ output: String) -> [String] {
            let plain = output.replacingOccurrences(
                of: "\u{1B}\\[[0-9;]*[A-Za-z]", with: "", options: .regularExpression)
            return plain.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).map(String.init)
        }

        static func hasColour(_ output: String) -> Bool {
            output.range(of: "\u{1B}\\[3[0-9]m", options: .regularExpression) != nil
        }

        @Test func aTerminalSeesALiveRegionThenTheFunctionTable() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let app = try Self.app(host: host)
            defer { app.directory.remove() }
            let result = try await Self.onTerminal(app.arguments, columns: 100)
            #expect(result.status == 0, "\(result.stdout)")
            // Redrawn in place: the cursor goes back over the region, once per event at least.
            let redraws = result.stdout.components(separatedBy: "\u{1B}[J").count - 1
            #expect(redraws >= 8, "\(redraws) redraws")
            #expect(result.stdout.contains("\u{1B}[") && result.stdout.contains("A\u{1B}[J"))
            let lines = Self.visibleLines(result.stdout)
            #expect(lines.allSatisfy { $0.count <= 100 }, "\(lines.filter { $0.count > 100 })")
            // It ends with the table: a row per function, each with its image's outcome, then the summary.
            let header = try #require(lines.lastIndex { $0.hasPrefix("FUNCTION") && $0.contains("OUTCOME") })
            let rows = lines[(header + 1)...].filter { $0.hasPrefix("Function") }
            #expect(rows.count == Self.functions, "\(rows)")
            #expect(rows.allSatisfy { $0.hasSuffix("built") }, "\(rows)")
            #expect(
                lines.last?.hasPrefix("run ") == true && lines.last?.contains("8 built") == true, "\(lines.suffix(3))")
            #expect(Self.hasColour(result.stdout))
        }

        @Test func noColorAndANarrowTerminalAreRespected() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let app = try Self.app(host: host)
            defer { app.directory.remove() }
            let result = try await Self.onTerminal(app.arguments, columns: 40, environment: ["NO_COLOR": "1"])
            #expect(result.status == 0, "\(result.stdout)")
            #expect(!Self.hasColour(result.stdout))
            let lines = Self.visibleLines(result.stdout)
            #expect(lines.allSatisfy { $0.count <= 40 }, "\(lines.filter { $0.count > 40 })")
        }

        /// At 80 columns the table shortens IMAGE, never OUTCOME: a failed function is seen as failed.
        @Test func anEightyColumnTableKeepsEveryOutcome() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let directory = try TemporaryDirectory("prewarm-live-80")
            defer { directory.remove() }
            try directory.write("layers/here/python/here.py", "value = \(UUID().uuidString.debugDescription)\n")
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\n")
            let template = try directory.write(
                "template.yaml",
                """
                Globals:
                  Function: {Handler: app.handler, CodeUri: src/, Runtime: python3.12}
                Resources:
                  Here:
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: layers/here}
                  Gone:
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: layers/gone}
                  OrdersFunctionWithALongName:
                    Type: AWS::Serverless::Function
                    Properties: {Layers: [!Ref Here]}
                  PaymentsFunctionWithALongName:
                    Type: AWS::Serverless::Function
                    Properties: {Layers: [!Ref Gone]}
                """)
            let result = try await Self.onTerminal(
                [
                    "build", template, "--docker-host", host, "--rie-dir", directory.path + "/rie", "--skip-pull-image",
                    "--force-image-build",
                ], columns: 80)
            #expect(result.status == 1, "\(result.stdout)")
            let lines = Self.visibleLines(result.stdout)
            #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines.filter { $0.count > 80 })")
            let header = try #require(lines.lastIndex { $0.hasPrefix("FUNCTION") }, "\(lines)")
            #expect(lines[header].contains("OUTCOME"), "\(lines[header])")
            let orders = try #require(lines[header...].first { $0.hasPrefix("OrdersFunction") })
            let payments = try #require(lines[header...].first { $0.hasPrefix("PaymentsFunction") })
            #expect(orders.hasSuffix(" built"), "\(orders)")
            #expect(payments.contains(" skipped"), "the failed function's outcome is there: \(payments)")
            #expect(orders.contains("…"), "IMAGE shortened in its middle: \(orders)")

            // `status` on the same terminal: every node's outcome shows too.
            let status = try await Self.onTerminal(["status", template], columns: 80)
            #expect(status.status == 0, "\(status.stdout)")
            let statusLines = Self.visibleLines(status.stdout)
            #expect(statusLines.allSatisfy { $0.count <= 80 }, "\(statusLines.filter { $0.count > 80 })")
            let nodes = statusLines.filter { $0.hasPrefix("image:") || $0.hasPrefix("layer:") || $0.hasPrefix("base:") }
            #expect(nodes.count == 5, "\(statusLines)")
            let words = ["built", "up-to-date", "failed", "skipped"]
            // The whole word shows, followed by a space, the end of the line, or the `…` of a cut line.
            func shows(_ word: String, _ line: String) -> Bool {
                line.contains(" \(word) ") || line.contains(" \(word)…") || line.hasSuffix(" \(word)")
            }
            #expect(nodes.allSatisfy { line in words.contains { shows($0, line) } }, "\(nodes)")
            #expect(nodes.contains { shows("failed", $0) }, "the missing layer: \(nodes)")
        }

        @Test func aPipeGetsPlainLines() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let app = try Self.app(host: host)
            defer { app.directory.remove() }
            let result = try await PrewarmExecutable.run(app.arguments)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stdout.contains("\u{1B}"))
            let finished = result.stdout.split(separator: "\n").filter { $0.hasPrefix("[") }
            #expect(finished.count == 8 + 8 + 1, "a line per node: \(finished)")
            #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("Function") }.count == Self.functions)
        }
    }
}
