import ChangerecKit
import ChangerecTestSupport
import Foundation
import Testing

/// `changerec build` through the binary, in busybox root file systems: the image against the truth of
/// the root file system the steps ran in, read back by changerec's applier and by the tests' own. Without
/// Debian's static busybox, `BusyboxRootfs.make` fails each test that needs it with what to install.
@Suite("build: Containerfile to OCI image, every layer from a journal", .requiresRoot)
struct BuildTests {
    /// A build's inputs and outputs in one temporary tree: `context/`, `image/` (the layout), `rootfs/`.
    struct Workspace {
        let tree: TemporaryTree
        var context: String { tree.base + "/context" }
        var layout: String { tree.base + "/image" }
        var rootfs: String { tree.base + "/rootfs" }

        init(containerfile: String, files: [TreeSpec] = []) throws {
            tree = try TemporaryTree()
            try FileManager.default.createDirectory(atPath: tree.base + "/context", withIntermediateDirectories: false)
            try ([.file("Containerfile", containerfile)] + files).materialise(in: tree.base + "/context")
        }

        /// `changerec build --context context --oci-layout image --tag TAG --rootfs rootfs ARGS`.
        func build(tag: String = "t", rootfs: String? = nil, _ arguments: [String] = []) throws -> RunResult {
            try Run.changerec(
                [
                    "build", "--context", context, "--oci-layout", layout, "--tag", tag, "--rootfs",
                    rootfs ?? self.rootfs,
                ]
                    + arguments, directory: tree.base)
        }

        /// A base image, the layout `base` tag `busybox`: a busybox root file system recorded as one layer.
        func makeBase(etc: [TreeSpec] = [], extra: [TreeSpec] = []) throws {
            let source = tree.base + "/base-source"
            let empty = tree.base + "/base-empty"
            for directory in [source, empty] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            }
            try BusyboxRootfs.make(in: source, etc: etc, extra: extra)
            let result = try Run.changerec(
                [
                    "record", "--quiet", "--root", empty, "--oci-layout", tree.base + "/base", "--tag", "busybox", "--",
                    "cp", "-a", source + "/.", empty + "/",
                ])
            guard result.status == 0 else { throw TestFailure("making the base image failed: \(result.stderr)") }
        }
    }

    /// The image's layers applied by changerec's applier and by the tests' own, each compared with the
    /// root file system the build left.
    func expectImageEqualsRootfs(_ space: Workspace, tag: String = "t") throws {
        let truth = try TreeSnapshot.take(space.rootfs)
        let image = try OCIImage.open(layout: space.layout, tag: tag)
        let byChangerec = space.tree.base + "/unpacked-changerec"
        let byTests = space.tree.base + "/unpacked-tests"
        for directory in [byChangerec, byTests] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        }
        _ = try ImageApplier.apply(image, to: Array(byChangerec.utf8))
        for layer in image.layers {
            let hex = try #require(layer.digest).dropFirst("sha256:".count)
            try LayerApplier.apply(layer: "\(space.layout)/blobs/sha256/\(hex)", to: byTests)
        }
        for (name, directory) in [("changerec's applier", byChangerec), ("the tests' applier", byTests)] {
            let differences = truth.differences(to: try TreeSnapshot.take(directory))
            #expect(differences.isEmpty, "\(name): \(differences.prefix(10).map(\.description))")
        }
    }

    func config(_ space: Workspace, tag: String = "t") throws -> [String: JSONValue] {
        try OCIImage.open(layout: space.layout, tag: tag).config.containerConfig
    }

    /// The entries of the image's last layer (or the one `below` layers under it), uncompressed
    /// (`--compress none`).
    func lastLayerEntries(_ space: Workspace, tag: String = "t", below: Int = 0) throws -> [String] {
        let image = try OCIImage.open(layout: space.layout, tag: tag)
        let hex = try #require(image.layers.dropLast(below).last?.digest).dropFirst("sha256:".count)
        let listing = try Run.command(["/bin/tar", "-tf", "\(space.layout)/blobs/sha256/\(hex)"])
        #expect(listing.status == 0, "\(listing.stderr)")
        return listing.stdout.split(separator: "\n").map(String.init)
    }

    @Test(
        "every supported instruction, from scratch: the image rebuilds the root file system and its config is as written"
    )
    func everyInstruction() throws {
        let space = try Workspace(
            containerfile: """
                # escape=\\
                ARG BASE=scratch
                FROM ${BASE}
                ARG GREETING=hello
                COPY rootfs/ /
                ADD extra.txt /srv/
                ADD bundle.tgz /opt/bundle/
                ENV APP=/srv/app PATH=/bin
                WORKDIR $APP
                COPY --chown=builder:builder --chmod=0640 config.txt ./
                SHELL ["/bin/sh", "-ec"]
                RUN echo "$GREETING $APP" > greeting && ln -s greeting link && mkdir -p /var/x && echo y > /var/x/f && id -u > uid-root
                RUN ["/bin/busybox", "chown", "builder:builder", "/home/builder"]
                USER builder
                RUN id -u > /home/builder/uid
                USER root
                RUN rm /var/x/f && mv /srv/extra.txt /srv/moved.txt
                LABEL org.example.name="demo app" version=1
                EXPOSE 80 53/udp
                STOPSIGNAL SIGTERM
                ENTRYPOINT ["/bin/sh", "-c"]
                CMD echo hi
                """,
            files: [.file("extra.txt", "extra\n"), .file("config.txt", "key=value\n")])
        // The context's rootfs/ is a busybox tree: COPY puts it in the scratch image.
        let context = space.context + "/rootfs"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: false)
        try BusyboxRootfs.make(in: context)
        // ADD extracts a local archive: a directory, a file and a link.
        let bundle = space.tree.base + "/bundle"
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: false)
        try [.dir("lib", [.file("tool.conf", "tool\n").mode(0o640)]), .symlink("current", "lib")].materialise(
            in: bundle)
        let tarred = try Run.command(["/bin/tar", "-C", bundle, "-czf", space.context + "/bundle.tgz", "."])
        try #require(tarred.status == 0, "\(tarred.stderr)")

        let result = try space.build(["--build-arg", "GREETING=bonjour"])
        try #require(result.status == 0, "build failed: \(result.stderr)\n\(result.stdout)")
        let steps = result.stdout.split(separator: "\n").filter { $0.hasPrefix("STEP ") }
        #expect(steps.count == 21)
        #expect(steps.first == "STEP 1/21: ARG BASE=scratch")
        #expect(steps.last == "STEP 21/21: CMD echo hi")

        let rootfs = space.rootfs
        #expect(try String(contentsOfFile: rootfs + "/srv/app/greeting", encoding: .utf8) == "bonjour /srv/app\n")
        #expect(try String(contentsOfFile: rootfs + "/home/builder/uid", encoding: .utf8) == "1000\n")
        #expect(try String(contentsOfFile: rootfs + "/srv/app/uid-root", encoding: .utf8) == "0\n")
        #expect(try String(contentsOfFile: rootfs + "/opt/bundle/current/tool.conf", encoding: .utf8) == "tool\n")
        #expect(!FileManager.default.fileExists(atPath: rootfs + "/opt/bundle/bundle.tgz"))
        let copied = try FileManager.default.attributesOfItem(atPath: rootfs + "/srv/app/config.txt")
        #expect((copied[.posixPermissions] as? Int) == 0o640)
        #expect((copied[.ownerAccountID] as? Int) == 1000)
        try expectImageEqualsRootfs(space)

        let image = try OCIImage.open(layout: space.layout, tag: "t")
        // RUN, COPY and ADD make a layer each: 4 copies + 4 RUNs.
        #expect(image.layers.count == 8)
        let history = image.config.history ?? []
        #expect(
            history.filter { $0.others["empty_layer"] == nil }.map(\.createdBy) == [
                "COPY rootfs/ /", "ADD extra.txt /srv/", "ADD bundle.tgz /opt/bundle/",
                "COPY --chown=builder:builder --chmod=0640 config.txt ./",
                "RUN echo \"$GREETING $APP\" > greeting && ln -s greeting link && mkdir -p /var/x && echo y > /var/x/f && id -u > uid-root",
                "RUN [\"/bin/busybox\", \"chown\", \"builder:builder\", \"/home/builder\"]",
                "RUN id -u > /home/builder/uid",
                "RUN rm /var/x/f && mv /srv/extra.txt /srv/moved.txt",
            ])
        let config = try config(space)
        #expect(config["Env"] == .array([.string("APP=/srv/app"), .string("PATH=/bin")]))
        #expect(config["WorkingDir"] == .string("/srv/app"))
        #expect(config["User"] == .string("root"))
        #expect(config["Shell"] == .array([.string("/bin/sh"), .string("-ec")]))
        #expect(config["Labels"] == .object(["org.example.name": .string("demo app"), "version": .string("1")]))
        #expect(config["ExposedPorts"] == .object(["80/tcp": .object([:]), "53/udp": .object([:])]))
        #expect(config["StopSignal"] == .string("SIGTERM"))
        #expect(config["Entrypoint"] == .array([.string("/bin/sh"), .string("-c")]))
        // Shell form through SHELL as it was then.
        #expect(config["Cmd"] == .array([.string("/bin/sh"), .string("-ec"), .string("echo hi")]))
        // The build argument is in RUN's environment, never in the image's.
        #expect(!(config["Env"].map { "\($0)" } ?? "").contains("GREETING"))
    }

    @Test(
        "a RUN that writes under /proc and /dev and reads /sys leaves no trace in any layer, and no mount point behind")
    func mountedWritesLeaveNoTrace() throws {
        let space = try Workspace(
            containerfile: """
                FROM oci:base:busybox
                RUN echo renamed > /proc/self/comm && echo x > /dev/null && echo y > /dev/shm/file \\
                 && cat /proc/self/status > /dev/null && ls /sys > /dev/null && echo out > /out/file
                """)
        try space.makeBase()
        let result = try space.build(["--compress", "none", "--json"])
        try #require(result.status == 0, "build failed: \(result.stderr)")
        let entries = try lastLayerEntries(space).sorted()
        #expect(entries == ["out/", "out/file"], "\(entries)")
        // --json ends the output: the manifest the tag names and the step's journal, kept in the rootfs.
        let last = try #require(result.stdout.split(separator: "\n").last)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(
            json["manifest_digest"] as? String == (try OCIImage.open(layout: space.layout, tag: "t").manifestDigest))
        #expect(json["journals"] as? [String] == [space.rootfs + "/.changerec/0001.journal"])
        for name in ["proc", "dev", "sys", "etc/resolv.conf", "etc/hosts"] {
            #expect(!FileManager.default.fileExists(atPath: space.rootfs + "/" + name), "\(name) left behind")
        }
        try expectImageEqualsRootfs(space)
    }

    @Test("an unsupported instruction is refused with its line before any step runs")
    func refusedBeforeAnything() throws {
        let space = try Workspace(
            containerfile: """
                FROM scratch
                COPY Containerfile /marker
                HEALTHCHECK CMD true
                """)
        let result = try space.build()
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("changerec: "))
        #expect(result.stderr.contains(":3:") && result.stderr.contains("HEALTHCHECK"), "\(result.stderr)")
        #expect(!result.stdout.contains("STEP"))
        #expect(!FileManager.default.fileExists(atPath: space.rootfs + "/marker"))
        #expect(!FileManager.default.fileExists(atPath: space.layout + "/index.json"))
    }

    @Test("FROM a layout an earlier build made: its layers and history carried over, one layer added")
    func fromEarlierBuild() throws {
        let first = try Workspace(
            containerfile: """
                FROM oci:base:busybox
                ENV STAGE=first
                RUN echo first > /out/first
                CMD ["cat", "/out/first"]
                """)
        try first.makeBase()
        try #require(try first.build(tag: "first").status == 0)
        let earlier = try OCIImage.open(layout: first.layout, tag: "first")

        // The second build reads the first build's layout and writes into the same one, under its own tag.
        try "FROM oci:image:first\nRUN echo second > /out/second && cat /out/first >> /out/second\n".write(
            toFile: first.context + "/Containerfile", atomically: true, encoding: .utf8)
        let secondRootfs = first.tree.base + "/rootfs2"
        let result = try first.build(tag: "second", rootfs: secondRootfs)
        try #require(result.status == 0, "second build failed: \(result.stderr)")
        #expect(try String(contentsOfFile: secondRootfs + "/out/second", encoding: .utf8) == "second\nfirst\n")
        let image = try OCIImage.open(layout: first.layout, tag: "second")
        #expect(Array(image.layers.dropLast()).map(\.digest) == earlier.layers.map(\.digest))
        #expect(image.layers.count == earlier.layers.count + 1)
        #expect(
            Array((image.config.history ?? []).prefix(earlier.config.history?.count ?? 0)) == earlier.config.history)
        #expect(image.config.containerConfig["Cmd"] == .array([.string("cat"), .string("/out/first")]))
        #expect(image.config.containerConfig["Env"] == .array([.string("STAGE=first")]))
        // The first image is still whole under its own tag.
        #expect(try OCIImage.open(layout: first.layout, tag: "first").manifestDigest == earlier.manifestDigest)
    }

    @Test(
        "a step's layer leaves out paths it only touched, also in the next step, and keeps a same-size rewrite with its mtime put back"
    )
    func exactLayers() throws {
        let old = BusyboxRootfs.oldTime
        let space = try Workspace(
            containerfile: """
                FROM oci:base:busybox
                RUN : >> /etc/lock && echo old-bytes > /data/same && touch -d @\(old) /data/same \\
                 && echo new-bytes > /data/rewritten && touch -d @\(old) /data/rewritten && echo new > /data/added
                RUN : >> /data/added && : >> /etc/lock && echo more > /data/more
                """)
        try space.makeBase(
            etc: [.file("lock", "").mtime(old)],
            extra: [
                .dir(
                    "data",
                    [
                        .file("same", "old-bytes\n").mtime(old), .file("rewritten", "old-bytes\n").mtime(old),
                    ]
                ).mtime(old)
            ])
        let result = try space.build(["--compress", "none"])
        try #require(result.status == 0, "build failed: \(result.stderr)")
        // The journal saw all four; the layer holds the two real changes and their directory.
        let changes = try Run.changerec(["changes", space.rootfs + "/.changerec/0001.journal"])
        for path in ["/etc/lock", "/data/same", "/data/rewritten", "/data/added"] {
            #expect(changes.stdout.contains(path), "\(path) not in the change set: \(changes.stdout)")
        }
        let entries = try lastLayerEntries(space, below: 1).sorted()
        #expect(entries == ["data/", "data/added", "data/rewritten"], "\(entries)")
        // The next step knows /data/added from the step before's seal, and /etc/lock still from the base.
        let next = try lastLayerEntries(space).sorted()
        #expect(next == ["data/", "data/more"], "\(next)")
        try expectImageEqualsRootfs(space)
    }

    @Test("a failing RUN ends the build with its line and status, and adds no layer")
    func failingStep() throws {
        let space = try Workspace(
            containerfile: """
                FROM oci:base:busybox
                RUN echo before > /out/before
                RUN exit 3
                RUN echo after > /out/after
                """)
        try space.makeBase()
        let result = try space.build()
        #expect(result.status == 1)
        #expect(result.stderr.contains(":3: RUN exited with status 3"), "\(result.stderr)")
        #expect(!result.stdout.contains("STEP 4/4"))
        #expect(try OCIImage.open(layout: space.layout, tag: "t").layers.count == 2)
    }

    @Test(
        "build as a user other than root is one line saying it needs root, before --rootfs is made",
        .requiresProgram("/usr/bin/setpriv"))
    func unprivilegedRefused() throws {
        let space = try Workspace(containerfile: "FROM scratch\nCOPY Containerfile /\n")
        // The temporary tree is root's: the unprivileged build gets a directory of its own to name.
        let result = try Run.command(
            [
                "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Run.binary, "build", "-f",
                space.context + "/Containerfile", "--context", space.context, "--oci-layout", space.layout,
                "--rootfs", space.rootfs,
            ], directory: "/")
        #expect(result.status == 1)
        #expect(
            result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("needs root"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: space.rootfs))
        #expect(!FileManager.default.fileExists(atPath: space.layout))
    }
}
