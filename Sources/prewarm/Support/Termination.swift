import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How prewarm ends its process: standard output and error flushed, then `_exit`.
///
/// `exit` would run the `atexit` handlers and static destructors of the libraries first (OpenSSL's
/// cleanup among them) while other threads may still be working: an HTTP client released just before
/// the end closes its TLS connections to a Docker engine on its own thread, and OpenSSL freeing its
/// state under it aborted the process with "double free or corruption" after a build had succeeded.
/// Nothing prewarm keeps needs those handlers: the journal's transactions are committed (SQLite
/// recovers a WAL file left open, as after a crash), files are written with unbuffered handles, and
/// `print`'s buffer is flushed here.
enum Termination {
    static func exit(_ status: Int32) -> Never {
        fflush(nil)
        _exit(status)
    }
}
