import ChangerecSystem

extension RootfsAccounts {
    /// `USER[:GROUP]` as the owner a COPY or ADD `--chown` gives, each a name or a number, as BuildKit
    /// resolves it: a user named without a group gets the user's primary group from `/etc/passwd`, a user
    /// given as a number without a group gets the same number as its group (Docker's documented rule), and
    /// a name that is not in the root file system's files is an error naming it.
    func owner(_ spec: String) throws(ChangerecError) -> (uid: UInt32, gid: UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let userPart = parts.first, !userPart.isEmpty, parts.count < 2 || !parts[1].isEmpty else {
            throw ChangerecError(.usage, "--chown '\(spec)' is not USER or USER:GROUP")
        }
        let (uid, user) = try lookUp(userPart)
        var gid = UInt32(userPart) != nil ? uid : user?.gid ?? uid
        if parts.count == 2 { gid = try group(parts[1]) }
        return (uid, gid)
    }
}
