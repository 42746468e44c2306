import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Testing

@testable import ChangerecKit

/// The seal read on several threads: the same entries, in the same order, as on one.
@Suite("seal builder: the same seal on any number of threads")
struct SealBuilderTests {
    @Test("a tree of files, links, directories and gone paths seals the same on 1, 2 and 5 threads")
    func sameOnAnyThreadCount() throws {
        let tree = try TemporaryTree()
        var named: Set<RelativePath> = []
        for directory in 0..<12 {
            try FileManager.default.createDirectory(
                atPath: tree.path("d\(directory)"), withIntermediateDirectories: false)
            for file in 0..<100 {
                let name = "d\(directory)/f\(file)"
                switch file % 5 {
                case 0:
                    try FileManager.default.createSymbolicLink(atPath: tree.path(name), withDestinationPath: "t\(file)")
                case 1: break  // named, but gone
                case 2:
                    try Data(repeating: UInt8(file), count: file * 97).write(to: URL(fileURLWithPath: tree.path(name)))
                default: try Data("\(name)\n".utf8).write(to: URL(fileURLWithPath: tree.path(name)))
                }
                named.insert(RelativePath(trusted: Array(name.utf8)))
            }
        }
        let root = try FileSystem.open(Array(tree.root.utf8), .readOnly, options: .directory)
        defer { FileSystem.close(root) }
        let sealer = SealBuilder(root: root, baseline: Baseline(), exclusions: Exclusions([]))
        let plan = sealer.paths(named: named, wholeDirectories: [])
        #expect(plan.paths.count == 1_212)
        func seal(threads: Int) throws -> [SealEntry] {
            var entries: [SealEntry] = []
            try sealer.seal(plan, threads: threads) { entries.append($0) }
            return entries
        }
        let one = try seal(threads: 1)
        #expect(one.map(\.path) == plan.paths)
        #expect(one.filter { $0.after == nil && $0.unreadable == nil }.count == 12 * 20)
        #expect(one.compactMap { $0.after?.contentDigest }.count == 12 * 60)
        #expect(try seal(threads: 2) == one)
        #expect(try seal(threads: 5) == one)
    }
}
