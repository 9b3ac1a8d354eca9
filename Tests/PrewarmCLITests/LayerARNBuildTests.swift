import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build` with Lambda layers by ARN, end to end through the command line: the real `prewarm`
/// against dockerd (with `--skip-pull-image` and the stand-in bases of ci/services/base-images), moto's S3
/// and `Tests/Fixtures/aws/lambda_server.py`, which checks every request's SigV4 signature and counts
/// GetLayerVersion calls and downloads. Each test's process gets an environment of the test's own: a HOME
/// and a layer cache in its temporary directory, the fixture's credentials and endpoint, never the real
/// `~/.aws`. Layer names carry a suffix of the test's own, so its images are its own; it removes them.
///
/// The tests are in suites nested in this one, a file each: `+SharedLayers`, `+Credentials`, `+Faults`,
/// `+Resume`, `+ZipsAndLimits`; the app they build is in `+App`.
extension EngineTests {
    @Suite struct LayerARNBuildTests {
        static var dockerd: String? { BuildFaultTests.Engine.dockerd.host() }
    }
}

extension EngineTests.LayerARNBuildTests {
    /// The events of a `--progress json` run.
    struct Progress {
        var events: [[String: Any]]

        init(_ output: String) {
            events = output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.filter { $0["event"] as? String != "summary" }
        }

        /// The nodes of `kind` (image, layer, base) that finished as built.
        func built(kind: String) -> Set<String> {
            var nodes: Set<String> = []
            for event in events
            where event["event"] as? String == "finished" && event["kind"] as? String == kind
                && event["outcome"] as? String == "built"
            {
                if let node = event["node"] as? String { nodes.insert(node) }
            }
            return nodes
        }
    }
}
