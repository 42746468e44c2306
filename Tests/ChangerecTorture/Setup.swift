/// The tree before the step, drawn from the seed like the workload: directories, files of every size,
/// symbolic links, fifos, xattrs and modes under short names; the deep chain of 200-byte names past
/// PATH_MAX with objects at many depths; names shared by hard links (files, symbolic links, fifos, and a
/// file deep in the chain linked from a short path); and OUTSIDE's `o0`…`o7` to move in, files and trees.
enum Setup {
    /// The operations that build ROOT.
    static func rootOperations(seed: UInt64, options: WorkloadOptions) -> [Operation] {
        var generator = Generator(seed: seed, stream: 1 << 32, worker: "s", options: options)
        var ops: [Operation] = []
        // Most of the directories the workload names, and most of their leaves: regular files of every size
        // under f, g and h, symbolic links under s, fifos (and devices) under p.
        var directories: [[String]] = [[]]
        for first in Generator.directoryNames {
            directories.append([first])
            for second in Generator.directoryNames {
                directories.append([first, second])
                for third in Generator.directoryNames { directories.append([first, second, third]) }
            }
        }
        for directory in directories.dropFirst() where generator.random.chance(85) {
            ops.append(Operation(.mkdirs, [TorturePath(directory)]))
        }
        for (index, directory) in directories.enumerated() {
            for leaf in Generator.leafNames where generator.random.chance(60) {
                let path = TorturePath(directory + [leaf])
                switch leaf {
                case "s": ops.append(Operation(.symlink, [path, generator.target()]))
                case "p":
                    let device = options.privileged && generator.random.chance(20)
                    ops.append(Operation(device ? .mknod : .mkfifo, [path]))
                default: ops.append(Operation(.create, [path, generator.size(), index]))
                }
            }
        }
        if options.longNames {
            let chain = { (depth: Int) in TorturePath(["deep"] + Array(repeating: "@l", count: depth)) }
            func at(_ depth: Int, _ leaf: String) -> TorturePath { TorturePath(chain(depth).components + [leaf]) }
            ops.append(Operation(.mkdirs, [chain(26)]))
            ops.append(Operation(.mkdirs, [TorturePath(chain(19).components + ["@m", "@m", "@m"])]))
            for depth in [0, 5, 10, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26] {
                ops.append(Operation(.create, [at(depth, "f"), 100 + depth, depth]))
                ops.append(Operation(.symlink, [at(depth, "s"), "t\(depth)"]))
                ops.append(Operation(.mkfifo, [at(depth, "p")]))
                ops.append(Operation(.setxattr, [at(depth, "f"), "user.a", "deep\(depth)"]))
            }
            if options.hardLinks {
                // Groups that join short paths and paths past PATH_MAX, of every kind.
                ops.append(Operation(.link, [at(22, "f"), TorturePath(["a", "g"])]))
                ops.append(Operation(.link, [at(23, "s"), at(20, "g")]))
                ops.append(Operation(.link, [at(21, "p"), TorturePath(["b", "h"])]))
            }
        }
        var verbs: [(Operation.Verb, Int)] = [(.setxattr, 10), (.chmod, 6), (.utime, 6)]
        if options.hardLinks { verbs.append((.link, 10)) }
        if options.privileged { verbs.append((.chown, 4)) }
        for sequence in 0..<80 {
            let path = generator.path()
            switch generator.random.weighted(verbs) {
            case .setxattr: ops.append(Operation(.setxattr, [path, generator.xattrName(), "s\(sequence)"]))
            case .chmod: ops.append(Operation(.chmod, [path, String(generator.mode(), radix: 8)]))
            case .chown: ops.append(Operation(.chown, [path, 1000, 1000]))
            case .utime: ops.append(Operation(.utime, [path, 1_000_000_000 + sequence, 123_456_789]))
            default: ops.append(Operation(.link, [generator.leafPath(), generator.leafPath()]))
            }
        }
        if options.hardLinks {
            // One group of each kind for certain, whatever the random links above hit.
            ops += [
                Operation(.mkdirs, [TorturePath(["b", "c"])]),
                Operation(.create, [TorturePath(["f"]), 10, 1]),
                Operation(.link, [TorturePath(["f"]), TorturePath(["b", "f"])]),
                Operation(.symlink, [TorturePath(["s"]), "t1234"]),
                Operation(.link, [TorturePath(["s"]), TorturePath(["b", "c", "s"])]),
                Operation(.mkfifo, [TorturePath(["p"])]),
                Operation(.link, [TorturePath(["p"]), TorturePath(["c", "p"])]),
            ]
            // `cold/` is named by no operation of the workload: what changes there changes only through
            // another name of the same inode (or does not change at all), the case where a recorder that
            // trusts the names it was told about misses the change.
            ops.append(Operation(.mkdirs, [TorturePath(["cold"])]))
            for index in 0..<60 {
                let cold = TorturePath(["cold", "k\(index)"])
                let hot = index < 3 ? TorturePath([["f", "s", "p"][index]]) : generator.leafPath()
                ops.append(Operation(.link, [hot, cold]))
            }
        }
        return ops
    }

    /// The operations that fill OUTSIDE (an executor whose ROOT is OUTSIDE runs them).
    static func outsideOperations(seed: UInt64) -> [Operation] {
        var ops: [Operation] = []
        for (index, name) in Generator.outsideNames.enumerated() {
            if index % 2 == 0 {
                ops.append(Operation(.create, [TorturePath([name]), 50 * index, seed &+ UInt64(index)]))
            } else {
                ops += [
                    Operation(.mkdirs, [TorturePath([name, "a", "b"])]),
                    Operation(.create, [TorturePath([name, "a", "f"]), 20, index]),
                    Operation(.create, [TorturePath([name, "a", "b", "g"]), 30, index]),
                    Operation(.symlink, [TorturePath([name, "l"]), "a/f"]),
                ]
            }
        }
        return ops
    }
}
