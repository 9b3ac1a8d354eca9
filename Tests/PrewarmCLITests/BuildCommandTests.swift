import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build` end to end against the real engines that ci/test starts (dockerd and
/// Podman's compatible API, each with locally created base images and no network).
extension EngineTests {
    @Suite struct BuildCommandTests {
        /// The engines to test: `PREWARM_TEST_DOCKER_HOST` and `PREWARM_TEST_PODMAN_HOST`.
        static let engines: [(String, String)] = {
            let environment = ProcessInfo.processInfo.environment
            return [("dockerd", "PREWARM_TEST_DOCKER_HOST"), ("podman", "PREWARM_TEST_PODMAN_HOST")].compactMap {
                name, key in
                environment[key].map { (name, $0) }
            }
        }()

        /// With ci/test the engines must be there: a missing one fails instead of skipping.
        @Test func enginesAreAvailableWhenRequired() {
            if ProcessInfo.processInfo.environment["PREWARM_REQUIRE_ENGINES"] == "1" {
                #expect(Self.engines.count == 2, "ci/test starts dockerd and podman and exports their sockets")
            }
        }

        /// A template of 32 functions over three runtimes, both architectures and shared layers.
        static func writeApp(in directory: TemporaryDirectory) throws -> String {
            try directory.write("layers/common/python/common.py", "version = 'common'\n")
            try directory.write("layers/common/shared.txt", "from common\n")
            try directory.write("layers/extra/shared.txt", "from extra, which comes later\n")
            try directory.write("layers/extra/bin/tool", "#!/bin/sh\necho tool\n")
            chmod(directory.path + "/layers/extra/bin/tool", 0o755)
            // A stand-in emulator unique to this test, so that no image of an earlier run is up to date.
            let unique = UUID().uuidString
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\necho emulator x86_64 \(unique)\n")
            try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho emulator arm64 \(unique)\n")
            var yaml = """
                Transform: AWS::Serverless-2016-10-31
                Globals:
                  Function:
                    Handler: app.handler
                    CodeUri: src/
                Resources:
                  Common:
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: layers/common}
                  Extra:
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: layers/extra}

                """
            let runtimes = ["python3.12", "nodejs20.x", "provided.al2023"]
            let layerSets = ["[]", "[!Ref Common]", "[!Ref Common, !Ref Extra]", "[!Ref Extra]"]
            for index in 0..<32 {
                yaml += "  Fn\(index):\n    Type: AWS::Serverless::Function\n    Properties:\n"
                yaml +=
                    "      Runtime: \(runtimes[index % 3])\n      Architectures: [\(index % 2 == 0 ? "x86_64" : "arm64")]\n"
                yaml += "      Layers: \(layerSets[(index / 2) % 4])\n"
            }
            return try directory.write("template.yaml", yaml)
        }

        @Test(arguments: engines.map(\.0))
        func buildsEveryImageSAMLooksForAndASecondRunBuildsNothing(_ engine: String) async throws {
            let host = try #require(Self.engines.first { $0.0 == engine }?.1)
            let directory = try TemporaryDirectory("prewarm-build")
            defer { directory.remove() }
            let template = try Self.writeApp(in: directory)
            let common = ["--docker-host", host, "--rie-dir", directory.path + "/rie", "--skip-pull-image"]

            let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            let planned = try #require(
                (try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["functions"]
                    as? [[String: Any]])
            #expect(planned.count == 32)

            // An image of an older SAM CLI in a repository prewarm builds into: removed, as SAM does.
            let python = try #require(CommandRunner.which("python3"))
            let engineAPI = try directory.write("api.py", Self.apiScript)
            let stale = "public.ecr.aws/lambda/python:3.12-rapid-1.60.0-x86_64"
            let tagged = try await CommandRunner.run(
                python, [engineAPI, host, "tag", "public.ecr.aws/lambda/python:3.12-x86_64", stale])
            #expect(tagged.status == 0, "\(tagged.stderr)")

            let first = try await PrewarmExecutable.run(["build", template, "--progress", "json"] + common)
            #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
            let images = Set(planned.compactMap { $0["image"] as? String })
            #expect(first.stdout.contains("\"built\":\(images.count)"), "\(first.stdout.suffix(400))")

            let afterwards = try await CommandRunner.run(python, [engineAPI, host, "exists", stale])
            #expect(afterwards.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "no", "\(afterwards.stderr)")
            let base = try await CommandRunner.run(
                python, [engineAPI, host, "exists", "public.ecr.aws/lambda/python:3.12-x86_64"])
            #expect(base.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "yes")

            // Every image: the emulator of its architecture, 0755; the layers merged under /opt.
            let checker = try directory.write("check.py", Self.checkScript)
            for function in planned {
                let image = try #require(function["image"] as? String)
                let architecture = try #require(function["architecture"] as? String)
                let layers = function["layers"] as? [String] ?? []
                let result = try await CommandRunner.run(
                    try #require(CommandRunner.which("python3")),
                    [checker, host, image, architecture, directory.path + "/rie", layers.joined(separator: ",")])
                #expect(result.status == 0, "\(image): \(result.stdout) \(result.stderr)")
            }

            let second = try await PrewarmExecutable.run(["build", template, "--progress", "json"] + common)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("\"built\":0"), "\(second.stdout.suffix(400))")
        }

        /// Tags an image or says whether one exists, through the Engine API.
        static let apiScript = #"""
            import http.client, socket, sys, urllib.parse
            host, action, name = sys.argv[1], sys.argv[2], sys.argv[3]
            class Conn(http.client.HTTPConnection):
                def connect(self):
                    self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(host[len("unix://"):])
            c = Conn("localhost")
            if action == "tag":
                repo, tag = sys.argv[4].rsplit(":", 1)
                c.request("POST", "/v1.41/images/" + name + "/tag?" + urllib.parse.urlencode({"repo": repo, "tag": tag}))
                r = c.getresponse(); r.read(); sys.exit(0 if r.status == 201 else r.status)
            c.request("GET", "/v1.41/images/" + name + "/json")
            r = c.getresponse(); r.read(); print("yes" if r.status == 200 else "no")
            """#

        /// Exports an image through the Engine API (create a container, export it, remove it) and
        /// checks its files with Python's tarfile.
        static let checkScript = #"""
            import http.client, io, json, socket, sys, tarfile, urllib.parse
            host, image, arch, rie_dir, layers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
            path = host[len("unix://"):]
            class Conn(http.client.HTTPConnection):
                def connect(self):
                    self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(path)
            def call(method, url, body=None):
                c = Conn("localhost"); c.request(method, "/v1.41" + url, body=body,
                    headers={"Content-Type": "application/json"} if body else {})
                r = c.getresponse(); data = r.read(); return r.status, data
            status, data = call("GET", "/images/" + image + "/json")
            assert status == 200, (status, data)
            info = json.loads(data)
            want = "amd64" if arch == "x86_64" else "arm64"
            assert info["Architecture"] == want, info["Architecture"]
            status, data = call("POST", "/containers/create", json.dumps({"Image": image, "Cmd": ["true"]}))
            assert status == 201, (status, data)
            cid = json.loads(data)["Id"]
            try:
                status, data = call("GET", "/containers/" + cid + "/export")
                assert status == 200, status
            finally:
                call("DELETE", "/containers/" + cid + "?force=1")
            files = {}
            with tarfile.open(fileobj=io.BytesIO(data)) as t:
                for m in t.getmembers():
                    name = m.name.lstrip("./").lstrip("/")
                    files[name] = (m, t.extractfile(m).read() if m.isfile() else None)
            rie, content = files["var/rapid/aws-lambda-rie"]
            assert rie.mode & 0o777 == 0o755, oct(rie.mode)
            assert content == open(rie_dir + "/aws-lambda-rie-" + arch, "rb").read(), content
            assert "bin/busybox" in files, "base image files are there"
            layers = [l for l in layers.split(",") if l]
            shared = files.get("opt/shared.txt")
            if layers:
                want_shared = {"Common": b"from common\n", "Extra": b"from extra, which comes later\n"}[layers[-1]]
                assert shared and shared[1] == want_shared, shared
            if "Extra" in layers:
                tool = files["opt/bin/tool"][0]
                assert tool.mode & 0o777 == 0o755, oct(tool.mode)
            if "Common" in layers:
                assert "opt/python/common.py" in files
            if not layers:
                assert shared is None, "no layer files in a function without layers"
            print("ok", image)
            """#
    }
}
