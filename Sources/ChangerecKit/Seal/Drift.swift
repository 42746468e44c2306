import ChangerecSystem

/// A path whose state in ROOT no longer matches what the seal recorded after the step.
public struct Drift: Sendable, Equatable, CustomStringConvertible {
    public var path: RelativePath
    public var reason: String
    public var description: String { "\(path) (\(reason))" }
}

extension Drift {
    /// Why the object `now` no longer matches its `sealed` state, in the words and order the layer reports
    /// them (`type, mode, owner, size, mtime, symlink target, device number, xattrs`); empty when it matches.
    /// A field counts only where it means something for the object as it is now: the size of a regular file,
    /// the mtime of anything but a directory (whose mtime moves with its entries), the target of a symbolic
    /// link, the number of a device. The content is not compared here: it is checked while it is copied.
    static func reasons(sealed: FinalState, now: FinalState) -> [String] {
        let differing = FinalState.differences(sealed, now)
        let device = now.type == .characterDevice || now.type == .blockDevice
        let checks: [(FinalState.Fields, Bool, String)] = [
            (.type, true, "type"),
            (.permissions, true, "mode"),
            (.owner, true, "owner"),
            (.size, now.type == .regular, "size"),
            (.mtime, now.type != .directory, "mtime"),
            (.symlinkTarget, now.type == .symlink, "symlink target"),
            (.rdev, device, "device number"),
            (.xattrDigest, true, "xattrs"),
        ]
        return checks.filter { differing.contains($0.0) && $0.1 }.map(\.2)
    }
}
