#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Removing a directory tree however deep it is: `FileManager.removeItem` works with whole paths,
/// which stop at `PATH_MAX`, so a tree nested 2,000 directories deep (a hostile zip) would stay.
public enum FileTree {
    /// Removes `path` and everything under it, walking with directory descriptors (one open at a
    /// time) so that no path grows long; symbolic links are removed, never followed.
    ///
    /// - Returns: `true` when `path` is gone (or was never there).
    @discardableResult
    public static func remove(_ path: String) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0 else { return errno == ENOENT }
        guard status.st_mode & S_IFMT == S_IFDIR else { return unlink(path) == 0 }
        var current = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard current >= 0 else { return false }
        // The names from `path` down to the directory `current` is open on.
        var names: [String] = []
        while true {
            guard let subdirectory = clear(current) else {
                close(current)
                return false
            }
            if let subdirectory {
                let child = openat(current, subdirectory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else {
                    close(current)
                    return false
                }
                close(current)
                current = child
                names.append(subdirectory)
                continue
            }
            // `current` is empty: go up one and remove it.
            guard let name = names.popLast() else {
                close(current)
                return rmdir(path) == 0
            }
            let parent = openat(current, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            close(current)
            guard parent >= 0, unlinkat(parent, name, AT_REMOVEDIR) == 0 else {
                if parent >= 0 { close(parent) }
                return false
            }
            current = parent
        }
    }

    /// Whether `path` is a directory itself, not a symbolic link to one.
    public static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }

    /// Makes `destination` (which must not exist) a tree of the same directories and symbolic links
    /// as `source`, whose files are hard links to `source`'s: the same content without a copy.
    ///
    /// - Returns: `false` when some entry cannot be linked (another file system, a file system
    ///   without hard links, a file that is neither a directory, a link nor a regular file); the
    ///   caller removes what was made and copies instead.
    public static func link(_ source: String, to destination: String) -> Bool {
        var status = stat()
        guard lstat(source, &status) == 0 else { return false }
        switch status.st_mode & S_IFMT {
        case S_IFDIR:
            guard mkdir(destination, status.st_mode & 0o7777 | 0o700) == 0,
                let directory = opendir(source)
            else { return false }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = entryName(entry)
                if name == "." || name == ".." { continue }
                guard link(source + "/" + name, to: destination + "/" + name) else { return false }
            }
            chmod(destination, status.st_mode & 0o7777)
            return true
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(source, &target, target.count - 1)
            guard length >= 0 else { return false }
            target[length] = 0
            return symlink(target, destination) == 0
        case S_IFREG:
            return hardLink(source, destination) == 0
        default:
            return false
        }
    }

    /// Removes every entry of the directory `descriptor` that is not a directory, and returns the
    /// name of one that is (`.some(nil)` when none is left); `nil` when it cannot be read.
    private static func clear(_ descriptor: Int32) -> String?? {
        let copy = dup(descriptor)
        guard copy >= 0, let directory = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return nil
        }
        defer { closedir(directory) }
        var subdirectory: String?
        while let entry = readdir(directory) {
            let name = entryName(entry)
            if name == "." || name == ".." { continue }
            var status = stat()
            guard fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFDIR {
                if subdirectory == nil {
                    // So that it can be entered and emptied whatever mode the archive gave it.
                    fchmodat(descriptor, name, 0o700, 0)
                    subdirectory = name
                }
            } else if unlinkat(descriptor, name, 0) != 0 {
                return nil
            }
        }
        return .some(subdirectory)
    }
}

/// `link(2)`, by another name: inside `FileTree`, `link` is its own method.
private func hardLink(_ existing: String, _ new: String) -> Int32 {
    link(existing, new)
}

/// The name of a directory entry `readdir` returned.
private func entryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
    withUnsafeBytes(of: entry.pointee.d_name) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
