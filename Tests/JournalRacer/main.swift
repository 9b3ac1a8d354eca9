// A separate process that uses a journal the way prewarm does, so that tests can run several
// processes on one journal file (see Tests/PrewarmJournalTests/JournalProcessTests.swift).
//
//   JournalRacer build <journal> <go-file> <key-count>
//       Waits until <go-file> exists, begins a run, and makes sure every key `key-0` … is built,
//       following the protocol of `Journal.claim`: claim, look for an earlier build, build. Prints
//       `built <key>` for each key it built and `reused <key>` for each it found already built.
//   JournalRacer hold <journal> <key>
//       Begins a run, claims <key> and starts its node, prints `holding <run id>`, and sleeps
//       until it is killed.

import Foundation
import PrewarmJournal
import PrewarmSupport

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func nodeID(_ key: String) -> NodeID { NodeID("image:samcli/lambda-racer:\(key)") }

func build(journalPath: String, goFile: String, keyCount: Int) async throws {
    let journal = try await Journal(path: journalPath)
    let keys = (0..<keyCount).map { "key-\($0)" }
    while !FileManager.default.fileExists(atPath: goFile) {
        try await Task.sleep(for: .milliseconds(1))
    }
    let run = try await journal.beginRun(
        templatePath: "/race/template.yaml", optionsJSON: "{}", prewarmVersion: "racer")
    try await journal.addNodes(keys.map { PlannedNode(id: nodeID($0), kind: .image, contentKey: $0) }, to: run.id)

    var remaining = keys
    while !remaining.isEmpty {
        var held: [String] = []
        for key in remaining {
            guard try await journal.claim(contentKey: key, for: run.id).isAcquired else {
                held.append(key)
                continue
            }
            if let earlier = try await journal.latestSucceededNode(contentKey: key) {
                try await journal.finishNode(
                    nodeID(key), in: run.id, result: .skipped(reused: earlier.output, reason: "built before"))
                say("reused \(key)")
            } else {
                try await journal.startNode(nodeID(key), in: run.id)
                try await Task.sleep(for: .microseconds(500))
                try await journal.finishNode(
                    nodeID(key), in: run.id, result: .succeeded(NodeOutput(digest: "sha256:\(key)", name: key)))
                say("built \(key)")
            }
        }
        remaining = held
        if !remaining.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
    }
    try await journal.finishRun(run.id, outcome: .succeeded)
}

func hold(journalPath: String, key: String) async throws {
    let journal = try await Journal(path: journalPath)
    let run = try await journal.beginRun(
        templatePath: "/hold/template.yaml", optionsJSON: "{}", prewarmVersion: "racer")
    try await journal.addNodes([PlannedNode(id: nodeID(key), kind: .image, contentKey: key)], to: run.id)
    guard try await journal.claim(contentKey: key, for: run.id).isAcquired else {
        throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "\(key) is held by another run"])
    }
    try await journal.startNode(nodeID(key), in: run.id)
    say("holding \(run.id)")
    while true { try await Task.sleep(for: .seconds(60)) }
}

let arguments = CommandLine.arguments
do {
    switch (arguments.count, arguments.dropFirst().first) {
    case (5, "build"):
        try await build(journalPath: arguments[2], goFile: arguments[3], keyCount: Int(arguments[4]) ?? 0)
    case (4, "hold"):
        try await hold(journalPath: arguments[2], key: arguments[3])
    default:
        FileHandle.standardError.write(
            Data("usage: JournalRacer build <journal> <go-file> <keys> | hold <journal> <key>\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("JournalRacer: \(error)\n".utf8))
    exit(1)
}
