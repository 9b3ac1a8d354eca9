// A separate process that fetches one layer into a cache the way prewarm does, so that tests can run
// several processes on one cache (see Tests/PrewarmImageTests/LayerStoreTests.swift).
//
//   LayerRacer <base> <name> <sha256> <url> <go-file>
//       Waits until <go-file> exists, then calls LayerStore.layer and prints
//       `layer <path> <content digest>`; on failure prints the error on standard error and exits 1.

import Foundation
import PrewarmHTTP
import PrewarmLayers

let arguments = CommandLine.arguments
guard arguments.count == 6 else {
    FileHandle.standardError.write(Data("usage: LayerRacer BASE NAME SHA256 URL GO-FILE\n".utf8))
    exit(64)
}
while !FileManager.default.fileExists(atPath: arguments[5]) {
    try await Task.sleep(for: .milliseconds(1))
}
do {
    let layer = try await LayerStore(baseDirectory: arguments[1]).layer(
        named: arguments[2], expectedSHA256: arguments[3], download: arguments[4], client: HTTPClient())
    print("layer \(layer.path) \(layer.contentDigest)")
} catch {
    FileHandle.standardError.write(Data("LayerRacer: \(error)\n".utf8))
    exit(1)
}
