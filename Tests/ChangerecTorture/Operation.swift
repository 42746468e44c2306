/// A path below ROOT as the op log writes it: components joined by `/`, where `@l` and `@m` stand for
/// names of 200 bytes (`l` or `m` repeated), so that a 5 KB path takes a line of the log, not a page.
/// `.` is ROOT itself; a first component `^NAME` is NAME in OUTSIDE instead of ROOT.
struct TorturePath: CustomStringConvertible, Equatable {
    /// Bytes of a long name: 25 of them make a path longer than PATH_MAX.
    static let longNameLength = 200

    var components: [String]

    init(_ components: [String]) { self.components = components }

    init(parsing text: Substring) {
        components = text == "." ? [] : text.split(separator: "/").map(String.init)
    }

    var description: String { components.isEmpty ? "." : components.joined(separator: "/") }

    /// Below OUTSIDE rather than ROOT.
    var isOutside: Bool { components.first?.hasPrefix("^") ?? false }

    /// The real names, long names spelled out, without the `^` of OUTSIDE.
    var names: [[UInt8]] {
        components.map { component in
            switch component {
            case _ where component.hasPrefix("^"): return Array(component.utf8.dropFirst())
            case "@l": return [UInt8](repeating: UInt8(ascii: "l"), count: Self.longNameLength)
            case "@m": return [UInt8](repeating: UInt8(ascii: "m"), count: Self.longNameLength)
            default: return Array(component.utf8)
            }
        }
    }
}

/// One operation of the workload: a verb and its words, exactly as the op log writes it and replay reads it.
/// The words are paths, numbers and names without spaces.
struct Operation: CustomStringConvertible {
    enum Verb: String, CaseIterable {
        case create, write, append, truncate, truncatePath = "truncate-path", mmapWrite = "mmap-write", punch
        case copyRange = "copy-range", rewrite, mkdirs, rmdir, unlink, removeTree = "rm-rf", rename
        case heldWrite = "held-write", renameNoReplace = "rename-noreplace", renameWhiteout = "rename-whiteout"
        case exchange, symlink, retarget, link, chmod, chown, setxattr, removexattr, utime,
            mkfifo, mknod
        case tmpfile, moveOut = "move-out", moveIn = "move-in"
    }

    var verb: Verb
    var words: [String]

    init(_ verb: Verb, _ words: [CustomStringConvertible]) {
        self.verb = verb
        self.words = words.map(\.description)
    }

    /// Reads `VERB WORD...`; nil for anything else.
    init?(parsing text: Substring) {
        let parts = text.split(separator: " ")
        guard let first = parts.first, let verb = Verb(rawValue: String(first)) else { return nil }
        self.verb = verb
        words = parts.dropFirst().map(String.init)
    }

    var description: String { ([verb.rawValue] + words).joined(separator: " ") }

    func path(_ index: Int) -> TorturePath { TorturePath(parsing: words[index][...]) }
    func number(_ index: Int) -> UInt64 { UInt64(words[index]) ?? 0 }
    func int(_ index: Int) -> Int { Int(words[index]) ?? 0 }
}
