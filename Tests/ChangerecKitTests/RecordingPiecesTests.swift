import SystemPackage
import Testing

@testable import ChangerecKit

@Suite("recording pieces: the crash hook's points and the watched tree's exclusions")
struct RecordingPiecesTests {
    @Test(
        "a crash point reads as PHASE:BYTES",
        arguments: [
            ("arming:0", CrashPoint(phase: .arming, bytes: 0)), ("step:4096", CrashPoint(phase: .step, bytes: 4096)),
            ("drain:1", CrashPoint(phase: .drain, bytes: 1)), ("seal:137", CrashPoint(phase: .seal, bytes: 137)),
        ])
    func crashPointParses(text: String, point: CrashPoint) {
        #expect(CrashPoint(parsing: text) == point)
    }

    @Test(
        "anything else is no crash point",
        arguments: ["", "seal", "seal:", ":137", "seal:-1", "seal:1:2", "sealing:1", "Seal:1", "seal:0x10"])
    func crashPointRefuses(text: String) {
        #expect(CrashPoint(parsing: text) == nil)
    }

    @Test("a watched tree excludes each exclusion and what lies below it, and nothing beside it")
    func exclusions() throws {
        let excluded = try [".changerec", "out/step.journal"].map { try #require(RelativePath($0)) }
        let tree = WatchedTree(
            descriptor: FileDescriptor(rawValue: -1), path: Array("/srv/root".utf8), exclusions: Exclusions(excluded))
        for inside in [".changerec", ".changerec/0001.journal", "out/step.journal"] {
            #expect(tree.excludes(try #require(RelativePath(inside))), "\(inside)")
        }
        for outside in [".changerec2", "out", "out/step.journal2", "src/.changerec"] {
            #expect(!tree.excludes(try #require(RelativePath(outside))), "\(outside)")
        }
        #expect(!tree.excludes(.root))
    }
}
