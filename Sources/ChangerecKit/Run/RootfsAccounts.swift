import ChangerecSystem
import SystemPackage

/// Users and groups as the root file system's own `/etc/passwd` and `/etc/group` name them: a step's
/// `USER` means what it means inside the image, never on the host.
struct RootfsAccounts {
    struct User {
        var name: String
        var uid: UInt32
        var gid: UInt32
        var home: String
    }

    struct Group {
        var name: String
        var gid: UInt32
        var members: [String]
    }

    var users: [User]
    var groups: [Group]

    /// Reads both files through `root` (as if it were `/`); a missing file holds nobody.
    init(root: FileDescriptor) throws(ChangerecError) {
        users = try Self.lines("etc/passwd", root: root).compactMap { fields in
            guard fields.count >= 7, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
            return User(name: fields[0], uid: uid, gid: gid, home: fields[5])
        }
        groups = try Self.lines("etc/group", root: root).compactMap { fields in
            guard fields.count >= 4, let gid = UInt32(fields[2]) else { return nil }
            return Group(
                name: fields[0], gid: gid, members: fields[3].split(separator: ",").map(String.init))
        }
    }

    /// `USER[:GROUP]`, each a name or a number, as the credentials and home directory of the step.
    func resolve(_ spec: String) throws(ChangerecError) -> (credentials: IsolatedSpawn.Credentials, home: String) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let userPart = parts.first, !userPart.isEmpty, parts.count < 2 || !parts[1].isEmpty else {
            throw ChangerecError(.usage, "user '\(spec)' is not USER or USER:GROUP")
        }
        let (uid, user) = try lookUp(userPart)
        var gid = user?.gid ?? 0
        var supplementary: [UInt32] = []
        if parts.count == 2 {
            gid = try group(parts[1])
        } else if let name = user?.name {
            supplementary = groups.filter { $0.members.contains(name) }.map(\.gid)
        }
        let all = [gid] + supplementary.filter { $0 != gid }
        return (IsolatedSpawn.Credentials(uid: uid, gid: gid, groups: all), user?.home ?? "/")
    }

    /// A user name or number: its uid and, when `/etc/passwd` has it, its entry.
    ///
    /// - Throws: `.usage` for a name that is not in `/etc/passwd` (a number needs no entry).
    func lookUp(_ userPart: String) throws(ChangerecError) -> (uid: UInt32, user: User?) {
        if let number = UInt32(userPart) { return (number, users.first { $0.uid == number }) }
        guard let named = users.first(where: { $0.name == userPart }) else {
            throw ChangerecError(
                .usage, "user '\(userPart)' is not in the root file system's /etc/passwd; add it there or give a number"
            )
        }
        return (named.uid, named)
    }

    /// The home directory of root as the file system names it.
    var rootHome: String { users.first { $0.uid == 0 }?.home ?? "/root" }

    func group(_ text: String) throws(ChangerecError) -> UInt32 {
        if let number = UInt32(text) { return number }
        guard let named = groups.first(where: { $0.name == text }) else {
            throw ChangerecError(
                .usage, "group '\(text)' is not in the root file system's /etc/group; add it there or give a number")
        }
        return named.gid
    }

    private static func lines(_ path: String, root: FileDescriptor) throws(ChangerecError) -> [[String]] {
        let bytes: [UInt8]
        do {
            let fd = try FileSystem.openInRoot(Array(path.utf8), root: root, .readOnly)
            defer { FileSystem.close(fd) }
            bytes = try FileSystem.readAll(fd)
        } catch .noSuchFileOrDirectory {
            return []
        } catch {
            throw ChangerecError.system("read the root file system's", path: "/" + path, error)
        }
        return bytes.split(separator: 0x0A).compactMap { line in
            guard line.first != 0x23 else { return nil }
            return line.split(separator: 0x3A, omittingEmptySubsequences: false).map {
                String(decoding: $0, as: UTF8.self)
            }
        }
    }
}
