import ChangerecTestSupport
import Foundation
import Testing

/// `SOURCE_DATE_EPOCH`, as reproducible builds define it: taken from the environment wherever
/// `--source-date-epoch` applies, and clamping the image's `created` times as it clamps mtimes.
@Suite("SOURCE_DATE_EPOCH: layers and images that do not depend on when they were built")
struct SourceDateEpochTests {
    static let epoch = "1000000000"
    static let epochTime = "2001-09-09T01:46:40.000000000Z"

    /// Every file below `directory`, by relative path, with its bytes.
    static func files(_ directory: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                result[relative] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + relative))
            }
        }
        return result
    }

    @Test("SOURCE_DATE_EPOCH in the environment clamps a layer's mtimes as --source-date-epoch does")
    func environmentClampsMtimes() throws {
        let (tree, journal) = try Run.recordedStep("echo x > f && mkdir d && echo y > d/g")
        let given = try Run.changerec(["layer", journal, "-o", tree.base + "/given", "--source-date-epoch", Self.epoch])
        let fromEnvironment = try Run.changerec(
            ["layer", journal, "-o", tree.base + "/environment"], environment: ["SOURCE_DATE_EPOCH": Self.epoch])
        let unset = try Run.changerec(
            ["layer", journal, "-o", tree.base + "/unset"], environment: ["SOURCE_DATE_EPOCH": ""])
        for result in [given, fromEnvironment, unset] { try #require(result.status == 0, "\(result.stderr)") }
        let clamped = try Data(contentsOf: URL(fileURLWithPath: tree.base + "/given"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: tree.base + "/environment")) == clamped)
        #expect(try Data(contentsOf: URL(fileURLWithPath: tree.base + "/unset")) != clamped)
        let listing = try Run.command(["/bin/tar", "--full-time", "-tvzf", tree.base + "/environment"]).stdout
        let lines = listing.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.contains("2001-09-09 01:46:40") }, "\(listing)")
    }

    @Test("two OCI layouts built apart from the same journals with SOURCE_DATE_EPOCH are byte-identical")
    func layoutsIdentical() throws {
        let (tree, first) = try Run.recordedStep("echo x > f && mkdir d")
        let second = tree.base + "/second.journal"
        let step = try Run.changerec(
            ["--quiet", "--root", tree.root, "--journal", second, "--", "/bin/sh", "-c", "mkdir e && echo y > e/g"],
            directory: tree.root)
        try #require(step.status == 0, "\(step.stderr)")
        var layouts: [[String: Data]] = []
        for name in ["one", "two"] {
            for journal in [first, second] {
                let result = try Run.changerec(
                    ["layer", journal, "--oci-layout", tree.base + "/" + name, "--tag", "v1"],
                    environment: ["SOURCE_DATE_EPOCH": Self.epoch])
                try #require(result.status == 0, "\(result.stderr)")
            }
            try OCILayoutCheck.verify(tree.base + "/" + name, tag: "v1", expectedLayers: 2)
            layouts.append(try Self.files(tree.base + "/" + name))
        }
        #expect(layouts[0] == layouts[1])
        // The config and its history say the epoch, not when the steps ran.
        let configs = layouts[0].values.compactMap { data -> [String: Any]? in
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return object["rootfs"] != nil ? object : nil
        }
        #expect(configs.count == 1)  // the first step's config was superseded and removed
        for config in configs {
            #expect(config["created"] as? String == Self.epochTime)
            let history = config["history"] as? [[String: Any]] ?? []
            #expect(!history.isEmpty && history.allSatisfy { $0["created"] as? String == Self.epochTime })
        }
    }

    @Test("a malformed SOURCE_DATE_EPOCH is refused in one line before anything is written")
    func malformedRefused() throws {
        let (tree, journal) = try Run.recordedStep("echo x > f")
        let result = try Run.changerec(
            ["layer", journal, "-o", tree.base + "/layer"], environment: ["SOURCE_DATE_EPOCH": "yesterday"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("SOURCE_DATE_EPOCH='yesterday' is not a number of seconds since the epoch"))
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/layer"))
    }
}
