import Foundation
import PrewarmTestKit
import Testing

@testable import PrewarmJournal

/// A journal damaged from outside (a garbage page in the middle, a page of zeros, a cut): refused
/// when it is opened, before anything is written, with one line that says what to do, and the
/// file left exactly as it was.
@Suite struct JournalDamageTests {
    enum Damage: String, CaseIterable, Sendable {
        case garbagePage, zeroedPage, cutInHalf, lastPageCut
    }

    /// A journal of several pages: runs with long template paths.
    static func writeJournal(at path: String) async throws {
        let journal = try await Journal(path: path)
        for index in 0..<120 {
            _ = try await journal.beginTestRun("/work/app-\(index)/" + String(repeating: "t", count: 200) + ".yaml")
        }
    }

    @Test(arguments: Damage.allCases)
    func aDamagedJournalIsRefusedBeforeAnyWriteAndLeftAlone(_ damage: Damage) async throws {
        let directory = try TemporaryDirectory("prewarm-journal-damage")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        try await Self.writeJournal(at: path)
        var bytes = try contents(of: path)
        let pageSize = 4096
        try #require(bytes.count >= 6 * pageSize, "the journal has \(bytes.count) bytes")
        let middle = bytes.count / pageSize / 2 * pageSize
        switch damage {
        case .garbagePage:
            var generator = SystemRandomNumberGenerator()
            for offset in middle..<(middle + pageSize) { bytes[offset] = UInt8.random(in: 0...255, using: &generator) }
        case .zeroedPage:
            for offset in middle..<(middle + pageSize) { bytes[offset] = 0 }
        case .cutInHalf:
            bytes = bytes.prefix(middle)
        case .lastPageCut:
            bytes = bytes.prefix(bytes.count - pageSize / 2)
        }
        try bytes.write(to: URL(fileURLWithPath: path))

        let error = await #expect(throws: JournalError.self) { try await Journal(path: path) }
        #expect(error?.code == .damaged, "\(error?.description ?? "")")
        #expect(
            error?.description
                == "the journal at \(path) is damaged (SQLite cannot read all of its pages); it was left as it is: "
                + "move it away or pass `journalPath` to start a new one",
            "what SQLite found stays out of the message")
        #expect(try contents(of: path) == bytes, "the damaged journal is left as it is")
    }
}
