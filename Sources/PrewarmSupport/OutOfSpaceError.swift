import Foundation

/// An error that knows whether it came from a full file system (`ENOSPC`, `EDQUOT`): the failure that
/// fails every node writing after it, which a reader is told once, with what to do (free space, then
/// resume), rather than once per node.
///
/// Like ``TransientError``, this is a fact the thrower knows and the edge renders: nothing searches an
/// error's text for "space".
public protocol OutOfSpaceError: Error {
    /// Whether the file system that was written to is full (or the user's quota is spent).
    var isOutOfSpace: Bool { get }
}

extension Error {
    /// Whether this error says a file system is full: what it says when it is an ``OutOfSpaceError``;
    /// for a system error (`POSIXError`, a Foundation file error and the POSIX error under it), whether
    /// its code is `ENOSPC` or `EDQUOT`; `false` for every other error.
    public var ranOutOfSpace: Bool {
        if let error = self as? any OutOfSpaceError { return error.isOutOfSpace }
        if let posix = self as? POSIXError { return Self.isOutOfSpaceCode(posix.code.rawValue) }
        let object = self as NSError
        if object.domain == NSPOSIXErrorDomain { return Self.isOutOfSpaceCode(Int32(object.code)) }
        guard object.domain == NSCocoaErrorDomain else { return false }
        if let underlying = object.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return Self.isOutOfSpaceCode(Int32(underlying.code))
        }
        return object.code == CocoaError.Code.fileWriteOutOfSpace.rawValue
    }

    private static func isOutOfSpaceCode(_ code: Int32) -> Bool {
        code == ENOSPC || code == EDQUOT
    }
}

extension POSIXError {
    /// The error of `errno` as it is now (`EIO` for a value the system does not name), for a system call that
    /// just failed: call it before anything else can change `errno`.
    public static var current: POSIXError {
        POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }
}
