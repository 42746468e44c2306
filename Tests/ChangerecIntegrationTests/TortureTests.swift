import ChangerecTestSupport
import Testing

/// Seeded random workloads of several processes (`changerec-torture`), recorded and judged by the oracle:
/// zero missed changes, and the layer applied to the tree before the step equal to the tree after it,
/// hard-link groups included. Both backends, on tmpfs and on a loop-mounted ext4. The CI size runs in
/// seconds; long runs are set from the environment (see ``TortureSettings``), for example
/// `CHANGEREC_TORTURE_PROCS=8 CHANGEREC_TORTURE_OPS=50000 swift test --skip-build --filter Torture`.
@Suite("torture: random concurrent workloads, every change recorded and every layer exact")
struct TortureTests {
    static let settings = TortureSettings.fromEnvironment

    static let cases = [("inotify", "tmpfs"), ("inotify", "ext4"), ("fanotify", "tmpfs"), ("fanotify", "ext4")]

    @Test(
        "processes creating, writing, renaming, linking and removing at random miss nothing", .requiresRoot,
        arguments: cases)
    func randomWorkload(backend: String, fileSystem: String) throws {
        let settings = Self.settings
        if let only = settings.backend, only != backend { try Test.cancel("CHANGEREC_TORTURE_BACKEND=\(only)") }
        if let only = settings.fileSystem, only != fileSystem { try Test.cancel("CHANGEREC_TORTURE_FS=\(only)") }
        for seed in settings.seed..<(settings.seed + UInt64(settings.runs)) {
            var run = TortureRun(seed: seed, backend: backend, fileSystem: fileSystem, settings: settings)
            do {
                try run.run()
            } catch {
                Issue.record("\(error)\n\(run.report)")
                break
            }
            print(
                run.summary
                    + "; \(run.differences) real differences, \(run.missed.count) missed, \(run.layerProblems.count) layer problems"
            )
            #expect(run.differences > 0, "the workload changed nothing, so this run proves nothing\n\(run.report)")
            #expect(run.missed.isEmpty && run.layerProblems.isEmpty, "\(run.report)")
            if !run.missed.isEmpty || !run.layerProblems.isEmpty { break }
        }
    }
}
