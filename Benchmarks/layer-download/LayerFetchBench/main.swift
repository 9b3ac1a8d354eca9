// Downloads one layer zip with prewarm's own code, for Benchmarks/layer-download/run.sh.
//
// Usage: LayerFetchBench download URL SHA256 FILE   stream to FILE while hashing, and check the digest
//        LayerFetchBench layer URL SHA256 BASE      the whole path: download, verify, extract, record
// Prints `bytes=N seconds=S` on success; exits 1 with the error on standard error otherwise.
import Foundation
import PrewarmHTTP
import PrewarmLayers

let arguments = CommandLine.arguments
guard arguments.count == 5, ["download", "layer"].contains(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: LayerFetchBench download|layer URL SHA256 FILE|BASE\n".utf8))
    exit(64)
}
let (mode, url, sha256, target) = (arguments[1], arguments[2], arguments[3], arguments[4])
let client = HTTPClient()
let clock = ContinuousClock()
let start = clock.now
do {
    let path: String
    if mode == "download" {
        let store = LayerStore(baseDirectory: (target as NSString).deletingLastPathComponent)
        try await store.download(name: "bench", url: url, expectedSHA256: sha256, to: target, client: client)
        path = target
    } else {
        let layer = try await LayerStore(baseDirectory: target).layer(
            named: "bench", expectedSHA256: sha256, download: url, client: client)
        path = layer.path
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print("bytes=\(size) seconds=\(String(format: "%.3f", seconds))")
} catch {
    FileHandle.standardError.write(Data("LayerFetchBench: \(error)\n".utf8))
    exit(1)
}
