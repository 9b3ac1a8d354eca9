import Foundation
import PrewarmRun

// Pre-warm the quickstart's images in an OCI store beside it: no Docker engine, no network.
var configuration = BuildConfiguration(templatePath: "examples/quickstart/template.yaml")
configuration.engineSelection.engine = .oci
let session = try await BuildSession(configuration)
let report = try await session.run { event in
    if case .node(.finished(let node, _, _)) = event { print("finished \(node.id)") }
}
print("run \(report.runID): \(report.images.count) image(s) in \(report.ociStore ?? report.engine)")
exit(report.succeeded ? 0 : 1)
