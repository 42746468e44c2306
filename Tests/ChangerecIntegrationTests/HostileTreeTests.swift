import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// Trees that try to lead changerec outside ROOT. The kernel is the witness: an inotify watch held by
/// the test on the outside directory reports every open and read of it, by any process.
@Suite("hostile trees: nothing outside ROOT is ever opened")
struct HostileTreeTests {
    static let sentinel = "SENTINEL-OUTSIDE-ROOT"

    @Test(
        "a directory swapped for a symlink to an outside directory during the seal and before layer: nothing outside is opened or read, and no layer holds it",
        .requiresPython, arguments: FaultTests.backends)
    func directorySwappedForSymlink(backend: String) throws {
        let tree = try TemporaryTree()
        let secret = tree.outside + "/secret"
        // The outside directory holds the very names the step changes under ROOT/d, so that following the
        // symlink anywhere (seal, drift check, layer) would open one of them.
        let names = (1...300).map { "f\($0)" }
        func contents(_ text: String) -> [TreeSpec] {
            [.dir("sub", [.file("s", text + "\n")])] + names.map { .file($0, text + "\n") }
        }
        try tree.materialise([.dir("d", contents("inside"))])
        try tree.materialise([.dir("secret", contents(Self.sentinel))], in: tree.outside)
        let watch = try OpenWatch([secret, secret + "/sub"])

        // The command rewrites everything in d and ends; a straggler it leaves behind then swaps d with a
        // symlink to the outside directory (RENAME_EXCHANGE, so d is the symlink half of the time) all
        // through the drain and the seal, and through two `layer` runs, until the test says stop.
        let lock = tree.outside + "/swapper.lock"
        let stop = tree.outside + "/stop"
        let journal = tree.base + "/step.journal"
        let command = StragglerTests.commandForkingStraggler(
            lock: lock,
            work: """
                import ctypes
                libc = ctypes.CDLL(None, use_errno=True)
                os.symlink(\(StragglerTests.pythonString(secret)), "d.link")
                n = 0
                while True:
                    if libc.renameat2(-100, b"d", -100, b"d.link", 2) != 0:
                        raise OSError(ctypes.get_errno(), "renameat2")
                    n += 1
                    if n % 2 == 0 and os.path.exists(\(StragglerTests.pythonString(stop))):
                        break
                os.unlink("d.link")
                """)
        // `timeout` only turns a recording that never ends into a failure instead of a hung test.
        let record = try Run.command(
            [
                "/usr/bin/timeout", "-s", "KILL", "120", Run.binary, "--backend", backend, "--root", tree.root,
                "--journal", journal, "--", "/bin/sh", "-c",
                "for f in d/f* d/sub/s; do echo changed >> $f; done && exec "
                    + command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " "),
            ], directory: tree.root)
        var layers: [String] = []
        var results: [String] = ["record: \(record.status) \(record.stderr)"]
        for (index, options) in [[], ["--allow-drift"]].enumerated() {
            let output = tree.base + "/during-\(index).tar"
            let layer = try Run.changerec(["layer", journal, "--compress", "none", "-o", output] + options)
            results.append("layer \(options) while swapping: \(layer.status) \(layer.stderr)")
            layers.append(output)
        }
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        try StragglerTests.waitForStraggler(lock: lock)

        // Before `layer`: d is now a symlink to the outside directory, for good (a swap, so a shell action).
        try tree.shell("mv d d.real && ln -s '\(secret)' d")
        for (index, options) in [[], ["--allow-drift"]].enumerated() {
            let output = tree.base + "/after-\(index).tar"
            let layer = try Run.changerec(["layer", journal, "--compress", "none", "-o", output] + options)
            results.append("layer \(options) after the swap: \(layer.status) \(layer.stderr)")
            layers.append(output)
        }

        let opened = watch.events()
        #expect(opened.isEmpty, "opened outside ROOT: \(opened.prefix(10)); \(results)")
        for layer in layers where FileManager.default.fileExists(atPath: layer) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: layer))
            #expect(bytes.range(of: Data(Self.sentinel.utf8)) == nil, "\(layer) holds the outside content")
        }
        // The witness itself: an open of the outside directory is seen.
        _ = try Run.command(["/bin/cat", secret + "/f1"])
        #expect(watch.events().contains("open \(secret)/f1"))
    }
}
