import Foundation

/// One line for an error from Foundation or the system, for people: `permission denied: /path`
/// rather than `Error Domain=NSCocoaErrorDomain Code=513 "…" UserInfo={…}`.
///
/// A Foundation file error says the system's reason (from its underlying POSIX error, else its
/// code) and the path it is about; a `POSIXError` its `strerror` text; any other error its own
/// description.
public func describeSystemError(_ error: any Error) -> String {
    if let posix = error as? POSIXError { return systemErrorMessage(posix.code.rawValue) }
    let object = error as NSError
    guard object.domain == NSCocoaErrorDomain || object.domain == NSPOSIXErrorDomain else { return "\(error)" }
    if object.domain == NSPOSIXErrorDomain { return systemErrorMessage(Int32(object.code)) }
    var reason: String
    if let underlying = object.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        reason = systemErrorMessage(Int32(underlying.code))
    } else {
        switch CocoaError.Code(rawValue: object.code) {
        case .fileReadNoPermission, .fileWriteNoPermission: reason = systemErrorMessage(EACCES)
        case .fileNoSuchFile, .fileReadNoSuchFile: reason = systemErrorMessage(ENOENT)
        case .fileWriteOutOfSpace: reason = systemErrorMessage(ENOSPC)
        case .fileWriteVolumeReadOnly: reason = systemErrorMessage(EROFS)
        case .fileWriteFileExists: reason = systemErrorMessage(EEXIST)
        default: reason = "file error \(object.code)"
        }
    }
    if let path = object.userInfo[NSFilePathErrorKey] as? String { reason += " (\(path))" }
    return reason.prefix(1).lowercased() + reason.dropFirst()
}
