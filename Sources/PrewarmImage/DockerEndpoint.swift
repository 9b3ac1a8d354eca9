import Foundation
import PrewarmHTTP
import PrewarmSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DockerEngine {
    /// Where the engine listens: a unix socket, or TCP with or without TLS.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// The unix socket's path, or `nil` for TCP.
        public var socketPath: String?
        /// `http://host:port` or `https://host:port` for TCP; `http://localhost` for a socket (the host is
        /// only a header).
        public var baseURL: String
        /// The TLS settings of a TCP endpoint; `nil` for plain HTTP and for sockets.
        public var tls: TLS?

        /// The files of a TLS connection to an engine, as Docker keeps them (`ca.pem`, `cert.pem`, `key.pem`
        /// under `DOCKER_CERT_PATH` or a context's TLS directory).
        public struct TLS: Sendable, Hashable {
            /// The certificate authority to trust; `nil` trusts the system's.
            public var caPath: String?
            /// The client certificate, and its key; `nil` presents none.
            public var certificatePath: String?
            public var keyPath: String?
            /// Whether the engine's certificate and host name are checked (`DOCKER_TLS_VERIFY`).
            public var verify: Bool

            public init(caPath: String?, certificatePath: String?, keyPath: String?, verify: Bool) {
                self.caPath = caPath
                self.certificatePath = certificatePath
                self.keyPath = keyPath
                self.verify = verify
            }

            /// The files Docker reads from `directory` (those that exist): `ca.pem`, `cert.pem`, `key.pem`.
            public init(directory: String, verify: Bool) {
                func existing(_ name: String) -> String? {
                    let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
                    return FileManager.default.fileExists(atPath: path) ? path : nil
                }
                self.init(
                    caPath: existing("ca.pem"), certificatePath: existing("cert.pem"), keyPath: existing("key.pem"),
                    verify: verify)
            }
        }

        /// Reads `unix:///path`, `tcp://host:port` or `http://host:port`; a `tcp://` host with `tls`
        /// is reached over https.
        ///
        /// - Throws: `EngineError` with code `.unsupported` for `ssh://` (with how to forward its socket), and
        ///   `.engineUnavailable` for any other form.
        public init(host: String, tls: TLS? = nil) throws {
            self.tls = nil
            if host.hasPrefix("unix://") {
                socketPath = String(host.dropFirst("unix://".count))
                baseURL = "http://localhost"
            } else if host.hasPrefix("tcp://") {
                socketPath = nil
                baseURL = (tls == nil ? "http://" : "https://") + host.dropFirst("tcp://".count)
                self.tls = tls
            } else if host.hasPrefix("http://") {
                socketPath = nil
                baseURL = host
            } else if host.hasPrefix("https://") {
                socketPath = nil
                baseURL = host
                self.tls = tls ?? TLS(caPath: nil, certificatePath: nil, keyPath: nil, verify: true)
            } else if host.hasPrefix("ssh://") {
                let target = host.dropFirst("ssh://".count)
                throw EngineError(
                    .unsupported,
                    "cannot use Docker host '\(host)': ssh:// engines are not supported; forward the engine's "
                        + "socket (ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock \(target)) and use "
                        + "DOCKER_HOST=unix:///tmp/docker.sock")
            } else {
                throw EngineError(
                    .engineUnavailable,
                    "cannot use Docker host '\(host)': write unix:///path/docker.sock or tcp://host:port")
            }
            while baseURL.hasSuffix("/") { baseURL.removeLast() }
        }

        public var description: String {
            if let socketPath { return "unix://\(socketPath)" }
            if tls != nil, baseURL.hasPrefix("https://") {
                return "tcp://" + baseURL.dropFirst("https://".count) + " (TLS)"
            }
            return baseURL.replacingOccurrences(of: "http://", with: "tcp://")
        }

        /// The HTTP client's settings for this endpoint: its socket, or its TLS files.
        var httpConfiguration: HTTPClient.Configuration {
            HTTPClient.Configuration(
                transport: socketPath.map { .unixSocket($0) } ?? .tcp,
                caBundlePath: tls?.caPath,
                clientCertificatePath: tls?.certificatePath,
                clientKeyPath: tls?.keyPath,
                verifiesPeer: tls?.verify ?? true,
                timeouts: HTTPTimeouts(connect: .seconds(10), total: nil, stall: nil))
        }

        /// Why connecting to the socket fails before any HTTP is spoken: `nil` for TCP or when a connection
        /// is accepted; otherwise the system's `errno` of `connect(2)` (`ENOENT`, `EACCES`, `ECONNREFUSED`).
        func socketConnectError() -> Int32? {
            guard let socketPath else { return nil }
            return UnixSocket.connectError(path: socketPath)
        }
    }
}

/// A probe of a unix socket: whether `connect(2)` succeeds, and with which `errno` it does not.
enum UnixSocket {
    /// `nil` when a connection to `path` is accepted (and closed at once), else `connect(2)`'s `errno`;
    /// `ENAMETOOLONG` for a path longer than `sun_path`.
    static func connectError(path: String) -> Int32? {
        #if canImport(Glibc)
            let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return errno }
        defer { closeDescriptor(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
            buffer[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? nil : errno
    }
}
