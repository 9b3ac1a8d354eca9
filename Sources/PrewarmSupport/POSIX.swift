#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `close(2)`, named apart from the methods called `close` that use it. Returns its result.
@discardableResult
public func closeDescriptor(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}

/// The system's text for error number `code` (`strerror(3)`); by default for `errno` as it is
/// now, so call it before anything else can change `errno`.
public func systemErrorMessage(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
