import Foundation
import PrewarmSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The build context SAM CLI 1.170 itself sends to `POST /build` for an image without layers
/// (`samcli/local/docker/lambda_image.py`, `_build_image`): SAM's own Dockerfile
/// ```
/// FROM <base>
/// ADD aws-lambda-rie-<arch> /var/rapid/
/// RUN mv /var/rapid/aws-lambda-rie-<arch> /var/rapid/aws-lambda-rie && chmod +x /var/rapid/aws-lambda-rie
/// ```
/// and the emulator's directory under the name `aws-lambda-rie-<arch>`, entry by entry as Python's
/// `tarfile` writes it (sorted names; each file's mode, owner and group, by number and by name).
///
/// SAM builds every function without a runtime (every Image function) on every invoke. Built once this
/// way, with the classic builder and the same emulator directory (SAM's own `samcli/local/rapid`), each of
/// SAM's builds is a cache hit: the classic builder keys `ADD` by a hash of each file's header fields
/// (name, mode, owner, group, not times) and content, and `RUN` by its parent and command.
public struct SAMDockerfileContext: Sendable {
    public var baseImage: String
    /// The directory holding `aws-lambda-rie-x86_64` and `aws-lambda-rie-arm64`.
    public var emulatorDirectory: String
    /// `x86_64` or `arm64`.
    public var architecture: String

    public init(baseImage: String, emulatorDirectory: String, architecture: String) {
        self.baseImage = baseImage
        self.emulatorDirectory = emulatorDirectory
        self.architecture = architecture
    }

    /// SAM's Dockerfile for an image without layers, byte for byte.
    public var dockerfile: String {
        let name = "aws-lambda-rie-\(architecture)"
        return "FROM \(baseImage)\nADD \(name) /var/rapid/\n"
            + "RUN mv /var/rapid/\(name) /var/rapid/aws-lambda-rie && chmod +x /var/rapid/aws-lambda-rie\n"
    }

    /// Writes the context tar to `path`.
    ///
    /// - Throws: `EngineError` `.io` when the emulator directory cannot be read or `path` written.
    public func write(to path: String) throws {
        var archive = Data()
        var header = Self.Header(name: "Dockerfile", mode: 0o644, size: 0, mtime: Int(Date().timeIntervalSince1970))
        header.uid = Int(getuid())
        header.gid = Int(getgid())
        let dockerfileData = Data(dockerfile.utf8)
        header.size = dockerfileData.count
        archive.append(header.encoded())
        Self.appendPadded(dockerfileData, to: &archive)
        try appendTree(emulatorDirectory, as: "aws-lambda-rie-\(architecture)", to: &archive)
        archive.append(Data(count: 1024))
        guard FileManager.default.createFile(atPath: path, contents: archive) else {
            throw EngineError(.io, "cannot write the build context \(path): \(systemErrorMessage())")
        }
    }

    /// Appends `source` (and, for a directory, its entries in sorted order) as `name`, following symbolic
    /// links as SAM does (`dereference=True`).
    private func appendTree(_ source: String, as name: String, to archive: inout Data) throws {
        var status = stat()
        guard stat(source, &status) == 0 else {
            throw EngineError(.io, "cannot read \(source): \(systemErrorMessage())")
        }
        var header = Self.Header(
            name: name, mode: Int(status.st_mode & 0o7777), size: 0, mtime: Int(status.st_mtim.tv_sec))
        header.uid = Int(status.st_uid)
        header.gid = Int(status.st_gid)
        if status.st_mode & S_IFMT == S_IFDIR {
            // Python's tarfile writes a directory's name with a trailing slash.
            header.name = name + "/"
            header.typeflag = UInt8(ascii: "5")
            archive.append(header.encoded())
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
            } catch {
                throw EngineError(.io, "cannot list \(source)", cause: error)
            }
            for entry in names { try appendTree(source + "/" + entry, as: name + "/" + entry, to: &archive) }
            return
        }
        guard let contents = FileManager.default.contents(atPath: source) else {
            throw EngineError(.io, "cannot read \(source): \(systemErrorMessage())")
        }
        header.size = contents.count
        archive.append(header.encoded())
        Self.appendPadded(contents, to: &archive)
    }

    private static func appendPadded(_ data: Data, to archive: inout Data) {
        archive.append(data)
        let remainder = data.count % 512
        if remainder != 0 { archive.append(Data(count: 512 - remainder)) }
    }

    /// A POSIX ustar header, with the owner's and group's names as Python's `tarfile` records them.
    struct Header {
        var name: String
        var mode: Int
        var size: Int
        var mtime: Int
        var uid = 0
        var gid = 0
        var typeflag = UInt8(ascii: "0")

        init(name: String, mode: Int, size: Int, mtime: Int) {
            self.name = name
            self.mode = mode
            self.size = size
            self.mtime = mtime
        }

        func encoded() -> Data {
            var block = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int, width: Int) {
                for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
            }
            func octal(_ value: Int, at offset: Int, width: Int) {
                let digits = String(value, radix: 8)
                put(
                    String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset,
                    width: width - 1)
            }
            put(name, at: 0, width: 100)
            octal(mode, at: 100, width: 8)
            octal(uid, at: 108, width: 8)
            octal(gid, at: 116, width: 8)
            octal(size, at: 124, width: 12)
            octal(mtime, at: 136, width: 12)
            block[156] = typeflag
            put("ustar", at: 257, width: 6)
            put("00", at: 263, width: 2)
            put(Self.userName(uid) ?? "", at: 265, width: 32)
            put(Self.groupName(gid) ?? "", at: 297, width: 32)
            for index in 148..<156 { block[index] = UInt8(ascii: " ") }
            let checksum = block.reduce(0) { $0 + Int($1) }
            let digits = String(checksum, radix: 8)
            put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, width: 6)
            block[154] = 0
            block[155] = UInt8(ascii: " ")
            return Data(block)
        }

        static func userName(_ uid: Int) -> String? {
            guard let entry = getpwuid(uid_t(uid)), let name = entry.pointee.pw_name else { return nil }
            return String(cString: name)
        }

        static func groupName(_ gid: Int) -> String? {
            guard let entry = getgrgid(gid_t(gid)), let name = entry.pointee.gr_name else { return nil }
            return String(cString: name)
        }
    }
}
