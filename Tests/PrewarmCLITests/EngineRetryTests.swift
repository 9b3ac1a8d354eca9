import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build --retries` against the test dockerd (`PREWARM_TEST_DOCKER_HOST`), reached through
/// `Tests/Fixtures/engine/cutting_proxy.py`, which breaks the first `POST /images/load` of the build (the
/// request that makes the image on Docker) and forwards everything else. A lost connection, an answer cut
/// before the end of its header block, or a 5xx answer is retried by the scheduler, and the build still ends
/// with the image in the engine; a refusal (4xx) and a build the engine fails are not retried.
extension EngineTests {
    @Suite struct EngineRetryTests {
        typealias App = BuildFaultTests.App
        typealias EngineTool = BuildFaultTests.EngineTool

        /// Faults an engine may recover from.
        enum TransientFault: String, CaseIterable, CustomTestStringConvertible {
            /// The connection is closed in the middle of the request's body, with no answer.
            case cut
            /// The answer stops after its status line and one header field: the connection closes before the
            /// header block's end.
            case halfAnswered = "half"
            /// The engine answers 503.
            case status503 = "503"

            var testDescription: String {
                switch self {
                case .cut: "a lost connection"
                case .halfAnswered: "a half-answered request"
                case .status503: "503"
                }
            }
        }

        @Test(arguments: TransientFault.allCases)
        func aTransientEngineFailureInTheMiddleOfABuildIsRetriedAndTheBuildFinishes(_ fault: TransientFault)
            async throws
        {
            guard let host = BuildFaultTests.Engine.dockerd.host() else { return }
            let directory = try TemporaryDirectory("prewarm-retry")
            defer { directory.remove() }
            let app = try App.write(in: directory, functions: [.init("Python", "python3.12", "x86_64")])
            // 4 MB more in the layer, so that the request's body is still being sent when it is cut.
            try Data((0..<4_000_000).map { _ in UInt8.random(in: 0...255) })
                .write(to: URL(fileURLWithPath: directory.path + "/layers/own/python/blob.bin"))
            let node = try #require(try await app.plannedImageNodes()["Python"])
            let image = String(node.dropFirst("image:".count))
            let proxy = try await CuttingProxy.start(in: directory, upstream: host, fault: fault.rawValue)
            defer { proxy.server.stop() }

            let result = try await app.build(host: proxy.host, ["--progress", "json", "--retries", "2"])
            do {
                try await Self.checkRetried(result, fault: fault, node: node, proxy: proxy, app: app, host: host)
            } catch {
                await EngineTool.remove([image], at: host)
                throw error
            }
            await EngineTool.remove([image], at: host)
        }

        /// The checks of a build that met `fault` once and retried `node` (`image:NAME`).
        static func checkRetried(
            _ result: CommandResult, fault: TransientFault, node: String, proxy: CuttingProxy, app: App, host: String
        ) async throws {
            let image = String(node.dropFirst("image:".count))
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")

            let events = try Self.events(result.stdout)
            let retries = events.filter { $0["event"] as? String == "retrying" }
            #expect(retries.count == 1, "\(retries)")
            let retry = try #require(retries.first)
            #expect(retry["node"] as? String == node)
            #expect(retry["kind"] as? String == "image")
            #expect(retry["attempt"] as? Int == 1)
            let error = retry["error"] as? String ?? ""
            #expect(error.contains(image), "names the image: \(error)")
            #expect(error.contains(fault == .status503 ? "503" : "images/load"), "says what failed: \(error)")
            #expect((retry["seconds"] as? Double).map { $0 > 0 } == true)
            let starts = events.filter { $0["event"] as? String == "started" && $0["node"] as? String == node }
            #expect(starts.compactMap { $0["attempt"] as? Int } == [1, 2])
            let finished = try #require(
                events.first { $0["event"] as? String == "finished" && $0["node"] as? String == node })
            #expect(finished["outcome"] as? String == "built")
            let output = try #require(finished["output"] as? String)

            let counts = try proxy.counts()
            #expect(counts.faulted == 1, "one request was broken")
            #expect(counts.matched == 2, "the load was sent again, once")

            let status = try await Self.status(of: app)
            #expect(status.nodes.first { $0.id == node }?.attempts == 2, "the journal counts both attempts")

            // In the engine, with its content key: a build at the engine itself finds it up to date.
            let inspected = try await Self.inspect(image, at: host)
            #expect(inspected.id == output)
            #expect(inspected.contentKey?.hasPrefix("sha256:") == true)
            let again = try await app.build(host: host, ["--progress", "json"])
            #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
            let second = try Self.events(again.stdout).first {
                $0["event"] as? String == "finished" && $0["node"] as? String == node
            }
            #expect(second?["outcome"] as? String == "up-to-date")
            #expect(second?["output"] as? String == output)

        }

        @Test func aRefusalOfTheEngineIsNotRetried() async throws {
            guard let host = BuildFaultTests.Engine.dockerd.host() else { return }
            let directory = try TemporaryDirectory("prewarm-retry")
            defer { directory.remove() }
            let app = try App.write(in: directory, functions: [.init("Python", "python3.12", "x86_64")])
            let node = try #require(try await app.plannedImageNodes()["Python"])
            let proxy = try await CuttingProxy.start(in: directory, upstream: host, fault: "400")
            defer { proxy.server.stop() }

            let result = try await app.build(host: proxy.host, ["--progress", "json", "--retries", "2"])
            await EngineTool.remove([String(node.dropFirst("image:".count))], at: host)
            #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
            let events = try Self.events(result.stdout)
            #expect(!events.contains { $0["event"] as? String == "retrying" }, "\(result.stdout)")
            let starts = events.filter { $0["event"] as? String == "started" && $0["node"] as? String == node }
            #expect(starts.count == 1, "one attempt")
            let finished = events.first { $0["event"] as? String == "finished" && $0["node"] as? String == node }
            #expect(finished?["outcome"] as? String == "failed")
            #expect(
                (finished?["error"] as? String)?.contains("cutting_proxy: 400") == true,
                "\(String(describing: finished))")
            let counts = try proxy.counts()
            #expect(counts.matched == 1 && counts.faulted == 1)
            #expect(try await Self.status(of: app).nodes.first { $0.id == node }?.attempts == 1)
        }

        /// The engine answers 200 and fails the build in its stream: the base's `ONBUILD COPY` wants a
        /// file no context has. It would fail the same way again.
        @Test func aBuildTheEngineFailsIsNotRetried() async throws {
            guard let host = BuildFaultTests.Engine.dockerd.host() else { return }
            let directory = try TemporaryDirectory("prewarm-retry")
            defer { directory.remove() }
            let unique = App.uniqueSuffix()
            let base = "prewarm-retry/onbuild-\(unique):1"
            let app = try App.write(
                in: directory, functions: [.init("Broken", "python3.12", "x86_64", layered: false)])
            let arguments = ["--invoke-image", "Broken=\(base)"]
            let node = try #require(try await app.plannedImageNodes(arguments)["Broken"])
            let made = try await EngineTool.run(
                ["onbuild-base", base, "public.ecr.aws/lambda/python:3.12-x86_64", "missing-\(unique)"], at: host)
            try #require(made.status == 0, "cannot make the base image: \(made.stdout) \(made.stderr)")

            let result = try await app.build(host: host, arguments + ["--progress", "json", "--retries", "2"])
            await EngineTool.remove([String(node.dropFirst("image:".count)), base], at: host)
            #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
            let events = try Self.events(result.stdout)
            #expect(!events.contains { $0["event"] as? String == "retrying" }, "\(result.stdout)")
            let starts = events.filter { $0["event"] as? String == "started" && $0["node"] as? String == node }
            #expect(starts.count == 1, "one attempt")
            let finished = events.first { $0["event"] as? String == "finished" && $0["node"] as? String == node }
            #expect(finished?["outcome"] as? String == "failed")
            #expect((finished?["error"] as? String)?.contains("missing-\(unique)") == true)
        }

        // MARK: - Helpers

        /// The proxy in front of the engine at `upstream` (`unix://…`), faulting the first `POST /images/load`.
        struct CuttingProxy {
            let server: FixtureServer
            let host: String
            let report: String

            static func start(in directory: TemporaryDirectory, upstream: String, fault: String) async throws
                -> CuttingProxy
            {
                let socket = directory.path + "/proxy.sock"
                let report = directory.path + "/proxy-report.json"
                let server = try await FixtureServer.startPython(
                    Fixtures.path("engine/cutting_proxy.py"),
                    [
                        "--listen", socket, "--upstream", String(upstream.dropFirst("unix://".count)),
                        "--match", "POST /images/load", "--fault", fault, "--report", report,
                    ],
                    in: directory)
                return CuttingProxy(server: server, host: "unix://" + socket, report: report)
            }

            struct Counts: Decodable {
                var requests: Int
                var matched: Int
                var faulted: Int
            }

            func counts() throws -> Counts {
                try JSONDecoder().decode(Counts.self, from: Data(contentsOf: URL(fileURLWithPath: report)))
            }
        }

        /// The lines of `--progress json`, each an object.
        static func events(_ stdout: String) throws -> [[String: Any]] {
            try stdout.split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            }
        }

        /// The image's ID and its `dev.prewarm.content-key` label, as the engine itself says.
        static func inspect(_ image: String, at host: String) async throws -> (id: String, contentKey: String?) {
            let python = try #require(CommandRunner.which("python3"))
            let script = """
                import http.client, json, socket, sys
                class Conn(http.client.HTTPConnection):
                    def connect(self):
                        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])
                c = Conn("localhost"); c.request("GET", "/v1.41/images/" + sys.argv[2] + "/json")
                r = c.getresponse(); assert r.status == 200, r.status
                image = json.load(r)
                labels = image["Config"]["Labels"] or {}
                print(json.dumps({"id": image["Id"], "key": labels.get("dev.prewarm.content-key")}))
                """
            let result = try await CommandRunner.run(
                python, ["-c", script, String(host.dropFirst("unix://".count)), image])
            try #require(result.status == 0, "\(result.stderr)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            return (try #require(object["id"] as? String), object["key"] as? String)
        }

        struct Status: Decodable {
            struct Node: Decodable {
                var id: String
                var attempts: Int
            }
            var nodes: [Node]
        }

        /// The latest run's nodes with their attempts, from `prewarm status --format json`.
        static func status(of app: App) async throws -> Status {
            let result = try await PrewarmExecutable.run(["status", "--journal", app.journal, "--format", "json"])
            try #require(result.status == 0, "\(result.stderr)")
            return try JSONDecoder().decode(Status.self, from: Data(result.stdout.utf8))
        }
    }
}
