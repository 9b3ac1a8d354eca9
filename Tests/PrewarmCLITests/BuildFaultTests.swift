import Foundation
import PrewarmJournal
import PrewarmTestKit
import Testing

/// `prewarm build` when something is wrong: no engine, an engine that refuses, a missing base
/// image or emulator, a build the engine fails, an unusable journal, bad flags. Every case must
/// end with one clear line on standard error (no backtrace), prewarm's exit code, and a journal
/// that is either untouched or tells how the run ended, with no node left running.
///
/// The engines are those ci/test starts (`PREWARM_TEST_DOCKER_HOST`, `PREWARM_TEST_PODMAN_HOST`,
/// with the six default base images loaded). Every test builds images under names of its own
/// (a layer of its own, or a base image of its own) and removes them afterwards, so that tests
/// running at the same time never see each other's images.
extension EngineTests {
    @Suite struct BuildFaultTests {
        /// A Docker-compatible engine the tests can run against.
        enum Engine: String, CaseIterable, CustomTestStringConvertible {
            case dockerd, podman

            /// The environment variable that holds its socket.
            var variable: String {
                switch self {
                case .dockerd: "PREWARM_TEST_DOCKER_HOST"
                case .podman: "PREWARM_TEST_PODMAN_HOST"
                }
            }

            var testDescription: String { rawValue }

            /// The engine's `unix://` address, or `nil` when it is not configured. With
            /// `PREWARM_REQUIRE_ENGINES=1` (ci/test) a missing engine is a failure, not a skip.
            func host(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
                let environment = ProcessInfo.processInfo.environment
                if let host = environment[variable], !host.isEmpty { return host }
                if environment["PREWARM_REQUIRE_ENGINES"] == "1" {
                    Issue.record(
                        "\(variable) is not set, but PREWARM_REQUIRE_ENGINES=1 requires \(rawValue)",
                        sourceLocation: sourceLocation)
                }
                return nil
            }
        }

        // MARK: - No engine

        /// 1. The socket does not exist.
        @Test func aMissingEngineSocketIsOneLineThatSaysHowToPointAtAnEngine() async throws {
            let directory = try TemporaryDirectory("prewarm-fault")
            defer { directory.remove() }
            let app = try App.write(in: directory, functions: [.init("Python", "python3.12", "x86_64")])

            let result = try await app.build(host: "unix:///nonexistent/docker.sock")
            #expect(result.status == 2, "\(result.stderr)")
            let error = Self.singleErrorLine(result)
            #expect(error.contains("/nonexistent/docker.sock"), "names the socket")
            #expect(error.contains("does not exist"))
            #expect(error.contains("--docker-host") && error.contains("DOCKER_HOST"), "says how to point at an engine")
            #expect(try await app.recordedRunOutcomes().allSatisfy { $0 != "succeeded" })
        }

        /// What stands at the socket's path when nothing accepts connections there.
        enum RefusingSocket: String, CaseIterable, CustomTestStringConvertible {
            /// A socket a process bound and left behind when it ended, as a crashed engine does.
            case abandonedSocket
            /// A plain file.
            case plainFile

            var testDescription: String { rawValue }
        }

        /// 2. Something is at the socket's path, but nothing accepts connections.
        @Test(arguments: RefusingSocket.allCases)
        func anEngineThatRefusesIsOneLine(_ kind: RefusingSocket) async throws {
            let directory = try TemporaryDirectory("prewarm-fault")
            defer { directory.remove() }
            let app = try App.write(in: directory, functions: [.init("Python", "python3.12", "x86_64")])
            let socket = directory.path + "/engine.sock"
            switch kind {
            case .abandonedSocket:
                let python = try #require(CommandRunner.which("python3"))
                let bind = try await CommandRunner.run(
                    python, ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", socket])
                #expect(bind.status == 0, "\(bind.stderr)")
                var status = stat()
                #expect(lstat(socket, &status) == 0, "a socket is left behind")
                #expect(UInt32(status.st_mode) & UInt32(S_IFMT) == UInt32(S_IFSOCK), "it is a socket")
            case .plainFile:
                try directory.write("engine.sock", "")
            }

            let result = try await app.build(host: "unix://" + socket)
            #expect(result.status == 2, "\(result.stderr)")
            let error = Self.singleErrorLine(result)
            #expect(error.contains(socket), "names the socket")
            #expect(error.contains("refused"), "says what the socket did")
            #expect(error.contains("--docker-host"), "says how to point at an engine")
            #expect(try await app.recordedRunOutcomes().allSatisfy { $0 != "succeeded" })
        }

        // MARK: - A node fails, the others are built

        /// 3. The ruby base is not loaded and pulls are off: its image fails, the others are built.
        @Test(arguments: Engine.allCases)
        func aMissingBaseWithPullsOffFailsItsImageAndTheOthersAreStillBuilt(_ engine: Engine) async throws {
            guard let host = engine.host() else { return }
            let directory = try TemporaryDirectory("prewarm-fault")
            defer { directory.remove() }
            let app = try App.write(
                in: directory,
                functions: [
                    .init("Python", "python3.12", "x86_64"), .init("Node", "nodejs20.x", "arm64"),
                    .init("Ruby", "ruby3.3", "x86_64"),
                ])
            let images = try await app.plannedImageNodes()

            let result = try await app.build(host: host)
            await EngineTool.remove(images.values.map { String($0.dropFirst("image:".count)) }, at: host)

            #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
            let error = Self.singleErrorLine(result)
            #expect(error.contains("public.ecr.aws/lambda/ruby:3.3-x86_64"), "names the base")
            #expect(error.contains("--skip-pull-image"), "says why it was not pulled")

            let status = try await app.status()
            Self.expectSettled(status, outcome: "failed")
            let base = status.nodes.first { $0.id.hasPrefix("base:public.ecr.aws/lambda/ruby:3.3-x86_64@") }
            #expect(base?.state == "failed")
            #expect(base?.error?.contains("--skip-pull-image") == true, "\(String(describing: base))")
            #expect(status.node(images["Ruby"])?.state == "skipped")
            for function in ["Python", "Node"] {
                #expect(status.node(images[function])?.state == "succeeded", "\(function) is still built")
            }
        }

        /// 5. The engine fails the build itself, answering 200 with an error in the build stream: the
        /// function's base carries an `ONBUILD COPY` of a file that no build context has.
        @Test(arguments: Engine.allCases)
        func aBuildTheEngineFailsCarriesTheEnginesWords(_ engine: Engine) async throws {
            guard let host = engine.host() else { return }
            let directory = try TemporaryDirectory("prewarm-fault")
            defer { directory.remove() }
            let unique = App.uniqueSuffix()
            let base = "prewarm-fault/onbuild-\(unique):1"
            let missing = "prewarm-fault-missing-\(unique)"
            let app = try App.write(
                in: directory,
                functions: [
                    .init("Broken", "python3.12", "x86_64", layered: false), .init("Fine", "python3.12", "x86_64"),
                ])
            let arguments = ["--invoke-image", "Broken=\(base)"]
            let images = try await app.plannedImageNodes(arguments)
            let made = try await EngineTool.run(
                ["onbuild-base", base, "public.ecr.aws/lambda/python:3.12-x86_64", missing], at: host)
            try #require(made.status == 0, "cannot make the base image: \(made.stdout) \(made.stderr)")

            let result = try await app.build(host: host, arguments)
            await EngineTool.remove(images.values.map { String($0.dropFirst("image:".count)) } + [base], at: host)

            #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
            let error = Self.singleErrorLine(result)
            #expect(error.contains("failed in the engine"))
            // Only the engine knows the file its ONBUILD trigger wanted.
            #expect(error.contains(missing), "carries the engine's words")

            let status = try await app.status()
            Self.expectSettled(status, outcome: "failed")
            let broken = status.node(images["Broken"])
            #expect(broken?.state == "failed")
            #expect(broken?.error?.contains(missing) == true, "\(String(describing: broken))")
            #expect(status.node(images["Fine"])?.state == "succeeded", "the other function is still built")
        }

        // MARK: - Unusable input

        /// 4. The emulator directory is empty.
        @Test func aMissingEmulatorIsOneLineThatSaysHowToProvideIt() async throws {
            guard let host = Engine.dockerd.host() else { return }
            let directory = try TemporaryDirectory("prewarm-fault")
            defer { directory.remove() }
            let app = try App.write(in: directory, functions: [.init("Python", "python3.12", "x86_64")])
            let empty = directory.path + "/no-emulators"
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)

            let result = try await app.build(host: host, rieDirectory: empty)
            #expect(result.status == 2, "\(result.stderr)")
            let error = Self.singleErrorLine(result)
            #expect(error.contains(empty) && error.contains("aws-lambda-rie-x86_64"), "says what is missing where")
            for way in ["--rie-dir", "PREWARM_RIE_DIR", "pip install aws-sam-cli"] {
                #expect(error.contains(way), "says how to provide it: \(way)")
            }
            #expect(result.stdout.isEmpty, "nothing was built")
            #expect(try await app.recordedRunOutcomes().allSatisfy { $0 != "succeeded" })
        }

        /// What is at the `--journal` path instead of a journal.
        enum CorruptJournal: String, CaseIterable, CustomTestStringConvertible {
            /// Bytes that are not SQLite's at all.
            case randomBytes
            /// SQLite's 16-byte header, then garbage: a journal cut short and overwritten.
            case sqliteHeaderThenGarbage

            var testDescription: String { rawValue }

            var contents: Data {
                var bytes = Data((0..<8192).map { _ in UInt8.random(in: 0...255) })
                switch self {
                case .randomBytes: bytes[0] = UInt8(ascii: "#")  // never SQLite's header by chance
                case .sqliteHeaderThenGarbage: bytes.replaceSubrange(0..<16, with: Data("SQLite format 3\0".utf8))
                }
                return bytes
            }
        }

        /// 6. The journal file is garbage: refused, and left byte for byte as it was.
        @Test(arguments: CorruptJournal.allCases)
        func aCorruptJournalIsRefusedAndLeftAsItWas(_ kind: CorruptJournal) async throws {
            guard let host = Engine.dockerd.host() else { return }
            let directory = try TemporaryDirectory("prewarm-fault")
            defer { directory.remove() }
            let app = try App.write(in: directory, functions: [.init("Python", "python3.12", "x86_64")])
            let before = kind.contents
            try before.write(to: URL(fileURLWithPath: app.journal))

            let result = try await app.build(host: host)
            #expect(result.status == 2, "\(result.stderr)")
            let error = Self.singleErrorLine(result)
            #expect(error.contains(app.journal), "names the file")
            #expect(error.contains("not a SQLite database"))
            #expect(error.contains("move it away") && error.contains("--journal"), "says what to do")
            #expect(result.stdout.isEmpty, "nothing was built")
            #expect(try Data(contentsOf: URL(fileURLWithPath: app.journal)) == before, "the file is unchanged")
            for suffix in ["-wal", "-shm", "-journal"] {
                #expect(!FileManager.default.fileExists(atPath: app.journal + suffix), "no \(suffix) left beside it")
            }
        }

        /// 7. A newer prewarm wrote the journal: refused, and left byte for byte as it was.
        @Test func aJournalOfANewerSchemaIsRefusedAndLeftAsItWas() async throws {
            guard let host = Engine.dockerd.host() else { return }
            let directory = try TemporaryDirectory("prewarm-fault")
            defer { directory.remove() }
            let app = try App.write(in: directory, functions: [.init("Python", "python3.12", "x86_64")])
            try await Self.writeJournalWithOneRun(at: app.journal)
            let newer = Journal.schemaVersion + 1
            let sqlite = try #require(CommandRunner.which("sqlite3"), "the sqlite3 CLI")
            let pragma = try await CommandRunner.run(sqlite, [app.journal, "PRAGMA user_version = \(newer)"])
            try #require(pragma.status == 0, "\(pragma.stderr)")
            let before = try Data(contentsOf: URL(fileURLWithPath: app.journal))

            let result = try await app.build(host: host)
            #expect(result.status == 2, "\(result.stderr)")
            let error = Self.singleErrorLine(result)
            #expect(error.contains(app.journal), "names the file")
            #expect(error.contains("newer prewarm") && error.contains("schema \(newer)"))
            #expect(error.contains("--journal"), "says what to do")
            #expect(result.stdout.isEmpty, "nothing was built")
            #expect(try Data(contentsOf: URL(fileURLWithPath: app.journal)) == before, "the file is unchanged")
        }

        /// 8. Flags that cannot be used are one line and exit 2, before anything is done.
        @Test(arguments: [["--jobs", "0"], ["--progress", "xml"]])
        func badFlagsAreOneLine(_ flags: [String]) async throws {
            let directory = try TemporaryDirectory("prewarm-fault")
            defer { directory.remove() }
            let app = try App.write(in: directory, functions: [.init("Python", "python3.12", "x86_64")])

            // An engine that is not there: had the flags been accepted, this would be the error instead.
            let result = try await app.build(host: "unix:///nonexistent/docker.sock", flags)
            #expect(result.status == 2, "\(result.stderr)")
            let error = Self.singleErrorLine(result)
            #expect(error.contains(flags[0]), "names the flag")
            #expect(!error.contains("nonexistent"), "the flags are checked first")
            #expect(try await app.recordedRunOutcomes().isEmpty)
        }

        // MARK: - Checks

        /// The one error line of a failed command, without its `prewarm: error: ` prefix. Records an
        /// issue when standard error has a line that is not prewarm's (a backtrace, a crash report),
        /// or not exactly one error line.
        static func singleErrorLine(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation)
            -> String
        {
            let lines = result.stderr.split(separator: "\n")
            for line in lines where !line.hasPrefix("prewarm: ") {
                Issue.record("a line on standard error that is not prewarm's: \(line)", sourceLocation: sourceLocation)
            }
            let errors = lines.filter { $0.hasPrefix("prewarm: error: ") }
            #expect(errors.count == 1, "one error line, not:\n\(result.stderr)", sourceLocation: sourceLocation)
            return errors.first.map { String($0.dropFirst("prewarm: error: ".count)) } ?? ""
        }

        /// A finished run: its outcome recorded, with an end, and no node left pending or running.
        static func expectSettled(
            _ status: JournalStatus, outcome: String, sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect(status.run.outcome == outcome, sourceLocation: sourceLocation)
            #expect(status.run.endedAt != nil, "the run's end is recorded", sourceLocation: sourceLocation)
            for node in status.nodes {
                #expect(
                    node.state != "running" && node.state != "pending", "\(node.id) was left \(node.state)",
                    sourceLocation: sourceLocation)
            }
        }

        /// A journal with one succeeded run, written and closed through PrewarmJournal.
        static func writeJournalWithOneRun(at path: String) async throws {
            let journal = try await Journal(path: path)
            let run = try await journal.beginRun(
                templatePath: "template.yaml", optionsJSON: "{}", prewarmVersion: "test")
            try await journal.finishRun(run.id, outcome: .succeeded)
        }
    }
}

extension EngineTests.BuildFaultTests {
    /// `prewarm status --format json`, as far as these tests read it.
    struct JournalStatus: Decodable {
        struct Run: Decodable {
            var outcome: String
            var endedAt: String?
        }
        struct Node: Decodable {
            var id: String
            var state: String
            var output: String?
            var error: String?
        }
        var run: Run
        var nodes: [Node]

        func node(_ id: String?) -> Node? {
            nodes.first { $0.id == id }
        }
    }

    /// A small app in a test's directory: functions that each use a layer of this app alone (so that
    /// their image names are this test's), stand-in emulators for both architectures, and a
    /// journal path.
    struct App {
        struct Function {
            var name: String
            var runtime: String
            var architecture: String
            /// Whether it uses the app's own layer; without it the image's name is the runtime's.
            var layered: Bool

            init(_ name: String, _ runtime: String, _ architecture: String, layered: Bool = true) {
                self.name = name
                self.runtime = runtime
                self.architecture = architecture
                self.layered = layered
            }
        }

        var template: String
        var rieDirectory: String
        var journal: String
        /// Builds' environment: `TMPDIR` in the test's directory, so that the build locks SAM CLI leaves
        /// for this test's unique image names go with it.
        var environment: [String: String]

        /// 16 lowercase hex digits, for names no other test uses.
        static func uniqueSuffix() -> String {
            String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(16))
        }

        static func write(in directory: TemporaryDirectory, functions: [Function]) throws -> App {
            let unique = uniqueSuffix()
            try directory.write("layers/own/python/own.py", "marker = '\(unique)'\n")
            // The functions' code, as in a real app (a missing CodeUri directory is a warning of its own).
            try directory.write("src/app.py", "def handler(event, context):\n    return 1\n")
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\necho emulator x86_64\n")
            try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho emulator arm64\n")
            var yaml = """
                Transform: AWS::Serverless-2016-10-31
                Globals:
                  Function:
                    Handler: app.handler
                    CodeUri: src/
                Resources:
                  Layer\(unique):
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: layers/own}

                """
            for function in functions {
                yaml += "  \(function.name):\n    Type: AWS::Serverless::Function\n    Properties:\n"
                yaml += "      Runtime: \(function.runtime)\n      Architectures: [\(function.architecture)]\n"
                if function.layered { yaml += "      Layers: [!Ref Layer\(unique)]\n" }
            }
            return App(
                template: try directory.write("template.yaml", yaml), rieDirectory: directory.path + "/rie",
                journal: directory.path + "/journal.sqlite", environment: try directory.ownTMPDIR().environment)
        }

        /// `prewarm build` of the app at `host`, with pulls off, the app's emulators unless
        /// `rieDirectory` says otherwise, and `arguments`.
        func build(host: String, rieDirectory: String? = nil, _ arguments: [String] = []) async throws -> CommandResult
        {
            try await PrewarmExecutable.run(
                ["build", template, "--docker-host", host, "--rie-dir", rieDirectory ?? self.rieDirectory]
                    + ["--journal", journal, "--skip-pull-image"] + arguments, environment: environment)
        }

        /// The image node of each function (`image:<name>`), by function name, from `prewarm plan`.
        func plannedImageNodes(_ arguments: [String] = []) async throws -> [String: String] {
            let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"] + arguments)
            try #require(plan.status == 0, "\(plan.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any]
            let functions = try #require(object?["functions"] as? [[String: Any]])
            var nodes: [String: String] = [:]
            for function in functions {
                nodes[try #require(function["name"] as? String)] = try #require(function["node"] as? String)
            }
            return nodes
        }

        /// The latest run in the journal, node by node, from `prewarm status`.
        func status() async throws -> JournalStatus {
            let result = try await PrewarmExecutable.run(["status", "--journal", journal, "--format", "json"])
            try #require(result.status == 0, "\(result.stderr)")
            return try JSONDecoder().decode(JournalStatus.self, from: Data(result.stdout.utf8))
        }

        /// The outcome of every run in the journal; none when there is no journal file.
        func recordedRunOutcomes() async throws -> [String] {
            guard FileManager.default.fileExists(atPath: journal) else { return [] }
            let result = try await PrewarmExecutable.run(["runs", "--journal", journal, "--format", "json"])
            try #require(result.status == 0, "\(result.stderr)")
            let runs = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
            return try #require(runs).compactMap { $0["outcome"] as? String }
        }
    }

    /// Talks to a test engine through its Engine API with `Tests/Fixtures/engine/engine_tool.py`, for what
    /// prewarm itself does not do: tagging an image, making a broken base image, removing a test's images.
    enum EngineTool {
        static func run(_ arguments: [String], at host: String) async throws -> CommandResult {
            let python = try #require(CommandRunner.which("python3"))
            return try await CommandRunner.run(
                python, [Fixtures.path("engine/engine_tool.py"), "--host", host] + arguments)
        }

        /// Removes `images` (tags, not what other tags share), ignoring any that are not there.
        static func remove(_ images: [String], at host: String) async {
            _ = try? await run(["remove"] + images, at: host)
        }
    }
}
