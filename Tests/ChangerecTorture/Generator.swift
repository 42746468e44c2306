/// What the workload may do.
struct WorkloadOptions {
    /// Paths longer than PATH_MAX: a chain of 200-byte names below `deep/`.
    var longNames = true
    /// Hard links to files, symbolic links and fifos.
    var hardLinks = true
    /// Root may chown, mknod and set `trusted.*` xattrs, and may leave a directory without permissions.
    var privileged = false
}

/// Draws the operations of one process from its seed and index alone, never from the state of the tree,
/// so that the same seed and index give the same operations on every run. Names come from a small pool,
/// so that processes keep meeting each other's files; an operation on a name that is not there (or no
/// longer there) fails and is logged, as it would be in a real build.
struct Generator {
    /// Directory names, at every level; the names of other objects, last in a path: `s` mostly for symbolic
    /// links, `p` mostly for fifos and devices, the others mostly for regular files. A small pool, so that
    /// operations mostly find what they look for and processes keep meeting each other's objects.
    static let directoryNames = ["a", "b", "c", "d"]
    static let leafNames = ["f", "g", "h", "s", "p"]
    static let outsideNames = (0..<8).map { "o\($0)" }

    var random: SeededRandom
    let options: WorkloadOptions
    let worker: String

    init(seed: UInt64, stream: UInt64, worker: String, options: WorkloadOptions) {
        random = SeededRandom(seed: seed, stream: stream)
        self.worker = worker
        self.options = options
    }

    /// A directory below ROOT, one to three names deep; with long names, sometimes one in the deep chain.
    mutating func directoryPath() -> TorturePath {
        if options.longNames && random.chance(15) { return longChain() }
        let depth = random.weighted([(1, 30), (2, 40), (3, 30)])
        return TorturePath((0..<depth).map { _ in random.pick(Self.directoryNames) })
    }

    /// A non-directory below ROOT: a directory (or ROOT) and a leaf name, `preferred` more often than not.
    mutating func leafPath(preferring preferred: String? = nil) -> TorturePath {
        var directory: TorturePath
        if options.longNames && random.chance(15) {
            directory = longChain()
        } else {
            let depth = random.weighted([(0, 20), (1, 40), (2, 30), (3, 10)])
            directory = TorturePath((0..<depth).map { _ in random.pick(Self.directoryNames) })
        }
        let leaf = random.pick(Self.leafNames)
        directory.components.append(preferred.map { random.chance(60) ? $0 : leaf } ?? leaf)
        return directory
    }

    /// A path in OUTSIDE: one of the objects there (`^o0`…`^o7`), or up to two names below one.
    mutating func outsidePath() -> TorturePath {
        let below = (0..<random.below(3)).map { _ in random.pick(Self.directoryNames + Self.leafNames) }
        return TorturePath(["^" + random.pick(Self.outsideNames)] + below)
    }

    /// Either kind of path.
    mutating func path() -> TorturePath { random.chance(70) ? leafPath() : directoryPath() }

    /// `deep/` and up to 26 long names (past PATH_MAX from about 20 on): `@l` all the way, or `@l` then `@m`
    /// from a random depth, so that most of these paths exist.
    mutating func longChain() -> TorturePath {
        let depth = random.chance(25) ? random.below(18) : 18 + random.below(9)
        let branch = random.chance(75) ? depth : random.below(depth + 1)
        return TorturePath(["deep"] + (0..<depth).map { $0 < branch ? "@l" : "@m" })
    }

    /// A directory for O_TMPFILE: ROOT (`.`) or a short path.
    mutating func directory() -> TorturePath {
        random.chance(30) ? TorturePath([]) : directoryPath()
    }

    mutating func size() -> Int {
        random.weighted([(random.below(65), 50), (random.below(4097), 40), (random.below(65537), 10)])
    }

    mutating func mode() -> UInt32 {
        // Without privileges every mode keeps the owner's rwx, or the tree could not be read or removed.
        options.privileged
            ? random.pick([0o644, 0o600, 0o755, 0o444, 0o640, 0o000, 0o4755, 0o2750, 0o1777, 0o700])
            : random.pick([0o755, 0o700, 0o775, 0o750, 0o777, 0o1777])
    }

    mutating func target() -> String {
        random.chance(60)
            ? "t" + String(random.below(10000))
            : random.pick(["a", "b/c", "../a", "nowhere", "/abs/elsewhere", "deep", "."])
    }

    mutating func xattrName() -> String {
        random.pick(options.privileged ? ["user.a", "user.b", "user.c", "trusted.t"] : ["user.a", "user.b", "user.c"])
    }

    /// The operation numbered `sequence` of this process.
    mutating func next(_ sequence: Int) -> Operation {
        var verbs: [(Operation.Verb, Int)] = [
            (.create, 10), (.write, 8), (.append, 6), (.truncate, 3), (.rewrite, 4), (.mkdirs, 10), (.rmdir, 3),
            (.unlink, 5), (.removeTree, 1), (.rename, 9), (.heldWrite, 3), (.renameNoReplace, 2), (.truncatePath, 2),
            (.mmapWrite, 2), (.punch, 2),
            (.copyRange, 2), (.exchange, 3), (.symlink, 4),
            (.retarget, 4),
            (.chmod, 4), (.setxattr, 4), (.removexattr, 2), (.utime, 3), (.mkfifo, 2), (.tmpfile, 2),
            (.moveOut, 2), (.moveIn, 2),
        ]
        if options.hardLinks { verbs.append((.link, 10)) }
        if options.privileged { verbs += [(.chown, 3), (.mknod, 1), (.renameWhiteout, 1)] }
        let verb = random.weighted(verbs)
        switch verb {
        case .create: return Operation(verb, [random.chance(5) ? outsidePath() : leafPath(), size(), random.next()])
        case .write: return Operation(verb, [leafPath(), random.below(8192), size(), random.next()])
        case .append: return Operation(verb, [leafPath(), size(), random.next()])
        case .truncate: return Operation(verb, [leafPath(), random.chance(30) ? 0 : size()])
        case .truncatePath: return Operation(verb, [leafPath(), random.chance(30) ? 0 : size()])
        case .mmapWrite: return Operation(verb, [leafPath(), random.below(8192), 1 + random.below(512), random.next()])
        case .punch: return Operation(verb, [leafPath(), random.below(8192), random.below(16384)])
        case .copyRange: return Operation(verb, [leafPath(), leafPath(), size()])
        case .rewrite: return Operation(verb, [leafPath(), random.next()])
        case .mkdirs: return Operation(verb, [random.chance(5) ? outsidePath() : directoryPath()])
        case .rmdir: return Operation(verb, [directoryPath()])
        case .removeTree:
            return Operation(
                verb, [random.chance(10) ? outsidePath() : random.chance(80) ? directoryPath() : leafPath()])
        case .unlink: return Operation(verb, [random.chance(5) ? outsidePath() : leafPath()])
        // Never a hard link with a name outside ROOT: a change through that name is a documented blind spot.
        case .link: return Operation(verb, [leafPath(), leafPath()])
        case .heldWrite:
            let file = leafPath()
            if random.chance(50) || file.components.count == 1 {
                return Operation(verb, [file, file, leafPath(), size(), random.next()])
            }
            let above = TorturePath(Array(file.components.prefix(1 + random.below(file.components.count - 1))))
            return Operation(verb, [file, above, directoryPath(), size(), random.next()])
        case .mkfifo, .mknod: return Operation(verb, [leafPath(preferring: "p")])
        case .rename, .exchange, .renameNoReplace, .renameWhiteout:
            // Mostly like for like (a rename of a directory over a file fails), sometimes across kinds.
            if random.chance(15) {
                // Into or out of ROOT, at any depth.
                return random.chance(50)
                    ? Operation(verb, [path(), outsidePath()]) : Operation(verb, [outsidePath(), path()])
            }
            if random.chance(80) {
                return random.chance(65)
                    ? Operation(verb, [leafPath(), leafPath()]) : Operation(verb, [directoryPath(), directoryPath()])
            }
            return Operation(verb, [path(), path()])
        case .symlink: return Operation(verb, [leafPath(preferring: "s"), target()])
        case .retarget:
            return Operation(verb, [leafPath(preferring: "s"), ".rt-\(worker)-\(sequence)", random.next()])
        case .chmod: return Operation(verb, [path(), String(mode(), radix: 8)])
        case .chown:
            let ids: [UInt32] = [0, 1, 1000, 4242, 65534]
            return Operation(verb, [path(), random.pick(ids), random.pick(ids)])
        case .setxattr: return Operation(verb, [path(), xattrName(), "v\(random.below(1 << 20))"])
        case .removexattr: return Operation(verb, [path(), random.chance(60) ? "*" : xattrName()])
        case .utime:
            let nanoseconds = random.chance(20) ? 0 : random.below(1_000_000_000)
            return Operation(verb, [path(), 100_000_000 + random.below(1_900_000_000), nanoseconds])
        case .tmpfile:
            return Operation(verb, [directory(), random.pick(Self.leafNames), size(), random.next()])
        case .moveOut: return Operation(verb, [path(), random.pick(Self.outsideNames)])
        case .moveIn: return Operation(verb, [random.pick(Self.outsideNames), path()])
        }
    }
}
