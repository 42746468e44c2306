/// A test tree declared as data, as containerd continuity's `fstest.Apply(CreateDir(…), CreateFile(…))`:
///
///     let tree: [TreeSpec] = [
///         .dir("a", [.file("f", "x"), .symlink("l", "f"), .fifo("p")]),
///         .hardLink("h", to: "a/f"),
///         .file("old", "abcd").mtime("2001-02-03 04:05:06").mode(0o600).xattr("user.k", "v"),
///     ]
///     try tree.materialise(in: directory)
///
/// Names are one path component; a hard link's target is a path relative to the directory the tree is
/// materialised in. Hard links are made after every other object, and times are set last, deepest first,
/// so that making a directory's entries does not move a time the declaration gave it.
public struct TreeSpec: Sendable {
    public enum Kind: Sendable {
        case directory([TreeSpec])
        case file([UInt8])
        case symlink([UInt8])
        case hardLink(String)
        case fifo
    }

    public var name: [UInt8]
    public var kind: Kind
    /// Permission bits; `nil` leaves what creation gave (the umask's), and a symbolic link has none.
    public var permissions: UInt32?
    /// The modification time, seconds since the epoch; `nil` leaves the time of creation.
    public var mtimeSeconds: Int64?
    public var xattrs: [(name: String, value: [UInt8])] = []

    public init(name: [UInt8], kind: Kind) {
        self.name = name
        self.kind = kind
    }

    public static func dir(_ name: String, _ children: [TreeSpec] = []) -> TreeSpec {
        TreeSpec(name: Array(name.utf8), kind: .directory(children))
    }

    public static func file(_ name: String, _ content: String = "") -> TreeSpec {
        TreeSpec(name: Array(name.utf8), kind: .file(Array(content.utf8)))
    }

    /// A file whose name or content need not be UTF-8.
    public static func file(bytes name: [UInt8], _ content: [UInt8]) -> TreeSpec {
        TreeSpec(name: name, kind: .file(content))
    }

    public static func symlink(_ name: String, _ target: String) -> TreeSpec {
        TreeSpec(name: Array(name.utf8), kind: .symlink(Array(target.utf8)))
    }

    /// Another name for the object at `target`, a path relative to the tree's top.
    public static func hardLink(_ name: String, to target: String) -> TreeSpec {
        TreeSpec(name: Array(name.utf8), kind: .hardLink(target))
    }

    public static func fifo(_ name: String) -> TreeSpec {
        TreeSpec(name: Array(name.utf8), kind: .fifo)
    }

    /// This object with permission bits `mode`.
    public func mode(_ mode: UInt32) -> TreeSpec {
        var copy = self
        copy.permissions = mode
        return copy
    }

    /// This object with the modification time `seconds` since the epoch.
    public func mtime(_ seconds: Int64) -> TreeSpec {
        var copy = self
        copy.mtimeSeconds = seconds
        return copy
    }

    /// This object with the modification time `date`, `YYYY-MM-DD hh:mm:ss` in UTC.
    public func mtime(_ date: String) -> TreeSpec {
        mtime(Self.seconds(date))
    }

    /// This object with the extended attribute `name` set to `value`.
    public func xattr(_ name: String, _ value: String) -> TreeSpec {
        var copy = self
        copy.xattrs.append((name, Array(value.utf8)))
        return copy
    }

    /// Seconds since the epoch of `YYYY-MM-DD hh:mm:ss` in UTC (days from civil, proleptic Gregorian).
    static func seconds(_ date: String) -> Int64 {
        let numbers = date.split(whereSeparator: { "- :".contains($0) }).compactMap { Int64($0) }
        precondition(numbers.count == 6, "a TreeSpec time is YYYY-MM-DD hh:mm:ss: \(date)")
        let (month, day) = (numbers[1], numbers[2])
        let year = month <= 2 ? numbers[0] - 1 : numbers[0]
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + numbers[3] * 3_600 + numbers[4] * 60 + numbers[5]
    }
}
