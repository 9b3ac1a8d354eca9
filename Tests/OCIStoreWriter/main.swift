import Foundation
import PrewarmImage

// A test helper: a process that writes to an OCI store until it is killed, so that tests can
// kill -9 it in the middle of a write and check what the store holds afterwards.
//
//   OCIStoreWriter STORE blob    streams a blob of 1 MB blocks that never ends
//   OCIStoreWriter STORE names   names one manifest again and again (the names log, index.json)
//
// Prints "writing" once the first write is under way.
let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: OCIStoreWriter STORE blob|names\n".utf8))
    exit(64)
}
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
do {
    let store = try OCIStore(path: arguments[1])
    switch arguments[2] {
    case "blob":
        try store.writeBlob(expected: nil) { append in
            var block = Data(count: 1 << 20)
            var number: UInt8 = 0
            while true {
                block[0] = number
                number &+= 1
                try append(block)
                if number == 1 { say("writing") }
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
    case "names":
        let (config, size) = try store.writeBlob(Data("{}".utf8))
        let document =
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","#
            + #""config":{"mediaType":"application/vnd.oci.image.config.v1+json","#
            + #""digest":"\#(config)","size":\#(size)},"layers":[]}"#
        let manifest = try store.addManifest(
            Data(document.utf8), mediaType: "application/vnd.oci.image.manifest.v1+json", names: [])
        var number = 0
        while true {
            try store.setName("img:\(number % 500)", to: manifest)
            if number == 0 { say("writing") }
            number += 1
        }
    default:
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("OCIStoreWriter: \(error)\n".utf8))
    exit(1)
}
