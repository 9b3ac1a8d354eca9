#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `close(2)`, named apart from the methods called `close` that use it. Returns its result.
@discardableResult
func closeDescriptor(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}
