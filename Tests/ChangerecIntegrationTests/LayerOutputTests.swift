import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// Where `layer` writes: a file renamed into place, a stream, an OCI layout — never replacing a device,
/// a fifo or a symbolic link, and never presenting part of a layer as a whole one.
@Suite("layer outputs: streams, devices and layouts are never replaced")
struct LayerOutputTests {
    func record(_ script: String, tree: [TreeSpec] = []) throws -> (TemporaryTree, String) {
        try Run.recordedStep(script, tree: tree)
    }

    func sha256(of file: String) throws -> String {
        let result = try Run.command(["/usr/bin/sha256sum", file])
        return "sha256:" + String(result.stdout.prefix(64))
    }

    func tarListing(_ file: String) throws -> (status: Int32, names: [String]) {
        let result = try Run.command(["/usr/bin/tar", "-tf", file])
        return (result.status, result.stdout.split(separator: "\n").map(String.init))
    }

    /// The `digest` line of the text summary.
    func digest(in summary: String) -> String? {
        summary.split(separator: "\n").first { $0.hasPrefix("digest  ") }.map { String($0.dropFirst(8)) }
    }

    @Test(
        "-o - and -o /dev/stdout stream a layer that tar -t reads, and /dev/stdout is still a symlink afterwards",
        .requiresRoot)
    func streamsInPrivateDev() throws {
        let (tree, journal) = try record("mkdir d && echo x > d/f && ln -s f d/l")
        let b = tree.base
        // A private mount namespace with its own /dev: whatever changerec does to /dev/stdout or /dev/full
        // there, the machine's /dev is untouched.
        let script = """
            mount -t tmpfs changerec-dev /dev || exit 90
            mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/full c 1 7 || exit 91
            ln -s /proc/self/fd/1 /dev/stdout || exit 92
            "$BIN" layer "$J" -o /dev/stdout --compress none > "$B/dev-stdout.tar" 2> "$B/dev-stdout.err"
            echo $? > "$B/dev-stdout.status"
            "$BIN" layer "$J" -o - --compress none > "$B/dash.tar" 2> "$B/dash.err"
            echo $? > "$B/dash.status"
            "$BIN" layer "$J" -o /dev/stdout 2> "$B/pipe.err" | tar -tzf - > "$B/pipe.list"
            "$BIN" layer "$J" -o /dev/full 2> "$B/full.err"
            echo $? > "$B/full.status"
            readlink /dev/stdout > "$B/stdout.link"
            stat -c %F /dev/full > "$B/full.type"
            """
        let run = try Run.command(
            ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script],
            environment: ["BIN": Run.binary, "J": journal, "B": b])
        try #require(run.status == 0, "\(run.stderr)")
        func text(_ name: String) -> String {
            (try? String(contentsOfFile: b + "/" + name, encoding: .utf8)) ?? ""
        }
        #expect(text("stdout.link") == "/proc/self/fd/1\n", "/dev/stdout must stay a symbolic link")
        #expect(text("full.type") == "character special file\n", "/dev/full must stay a device")
        for name in ["dev-stdout", "dash"] {
            #expect(text(name + ".status") == "0\n", "\(name): \(text(name + ".err"))")
            let listing = try tarListing(b + "/\(name).tar")
            #expect(listing.status == 0)
            #expect(listing.names == ["d/", "d/f", "d/l"], "\(name)")
            // Standard output carries the layer, so the digests go to standard error.
            #expect(digest(in: text(name + ".err")) == (try sha256(of: b + "/\(name).tar")), "\(name)")
        }
        #expect(text("pipe.list") == "d/\nd/f\nd/l\n", "\(text("pipe.err"))")
        #expect(text("full.status") == "1\n")
        #expect(
            text("full.err")
                == "changerec: cannot write '/dev/full': No space left on device; the layer streamed to '/dev/full' stops there and is not a whole layer: discard what was written\n"
        )
    }

    @Test("-o - streams to standard output with the JSON summary on standard error, its digest that of the bytes")
    func dashStreamsWithJSON() throws {
        let (tree, journal) = try record("echo hello > f")
        let result = try Run.changerec(["layer", journal, "-o", "-", "--json"], directory: tree.base)
        try #require(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/-"), "'-' is standard output, not a file")
        let streamed = tree.base + "/streamed.tar.gz"
        try result.stdoutData.write(to: URL(fileURLWithPath: streamed))
        let info = try #require(try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any])
        #expect(info["digest"] as? String == (try sha256(of: streamed)))
        #expect(info["size"] as? Int == result.stdoutData.count)
        #expect(try tarListing(streamed).names == ["f"])
    }

    @Test("-o FIFO streams into the fifo, which stays a fifo, and the digest printed is that of the streamed bytes")
    func fifoStreamed() throws {
        let (tree, journal) = try record("mkdir d && echo x > d/f")
        let fifo = tree.base + "/layer.fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        // Held open for reading and writing by the test, the fifo always has a reader, so changerec's
        // open never blocks, and a small layer fits in the pipe's buffer until it is read below.
        let reader = open(fifo, O_RDWR | O_NONBLOCK)
        try #require(reader >= 0)
        defer { close(reader) }
        let result = try Run.changerec(["layer", journal, "-o", fifo, "--compress", "none"])
        try #require(result.status == 0, "\(result.stderr)")
        var streamed: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(reader, &buffer, buffer.count)
            if count <= 0 { break }
            streamed += buffer[0..<count]
        }
        var status = stat()
        #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO, "the fifo must stay a fifo")
        let copy = tree.base + "/streamed.tar"
        try Data(streamed).write(to: URL(fileURLWithPath: copy))
        #expect(try tarListing(copy).names == ["d/", "d/f"])
        #expect(digest(in: result.stdout) == (try sha256(of: copy)))
    }

    @Test("a layer streamed to standard output that fails midway says so, exits non-zero, and is no whole tar")
    func streamFailureSaidSo() throws {
        let (tree, journal) = try record("head -c 3000000 /dev/urandom > big")
        // The same size and mtime, other content: drift found only once the content has been streamed (an
        // action on the recorded file, so a shell one).
        try tree.shell(
            "touch -r big ref && head -c 3000000 /dev/urandom > other && cat other > big && touch -r ref big")
        let copy = tree.base + "/cut.tar"
        // Redirected by a shell: the stream goes straight to a file, as a user's would.
        let result = try Run.command(
            ["/bin/sh", "-c", "\"$0\" layer \"$1\" -o - --compress none > \"$2\"", Run.binary, journal, copy])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "changerec: ROOT '\(tree.root)' has changed since the step: 1 path(s) differ from the journal's seal: /big (content); pass --allow-drift to write the tree as it is now; the layer streamed to standard output stops there and is not a whole layer: discard what was written\n"
        )
        let size = (try FileManager.default.attributesOfItem(atPath: copy)[.size] as? Int) ?? 0
        #expect(size > 1 << 20, "the stream was under way when the drift was found")
        #expect(try tarListing(copy).status != 0, "tar must not take a cut stream for a whole layer")
        // A reader that goes away early: reported, not a silent death by SIGPIPE.
        let closed = try Run.command([
            "/bin/bash", "-c", "\"$0\" layer \"$1\" -o - --allow-drift | head -c 10 > /dev/null; echo ${PIPESTATUS[0]}",
            Run.binary, journal,
        ])
        #expect(closed.stdout == "1\n")
        #expect(
            closed.stderr.hasSuffix(
                "changerec: cannot write '-': Broken pipe; the layer streamed to standard output stops there and is not a whole layer: discard what was written\n"
            ))
    }

    @Test("-o naming a symbolic link to a regular file, a directory or a block device is refused, and left as it is")
    func refusedOutputs() throws {
        let (tree, journal) = try record("echo x > f")
        try tree.materialise([.file("target", "keep\n")], in: tree.outside)
        try tree.materialise([.symlink("link", tree.outside + "/target")], in: tree.base)
        let refused = try Run.changerec(["layer", journal, "-o", tree.base + "/link"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr
                == "changerec: will not write the layer to '\(tree.base)/link': it is a symbolic link to a regular file, and changerec renames its output only over a regular file or nothing; name the file itself, or '-o -' for standard output\n"
        )
        #expect(
            (try? FileManager.default.destinationOfSymbolicLink(atPath: tree.base + "/link")) == tree.outside
                + "/target")
        #expect((try? String(contentsOfFile: tree.outside + "/target", encoding: .utf8)) == "keep\n")
        let directory = try Run.changerec(["layer", journal, "-o", tree.outside])
        #expect(directory.status == 1)
        #expect(
            directory.stderr.hasPrefix("changerec: will not write the layer to '\(tree.outside)': it is a directory;"))
        // A regular file is replaced as before.
        try tree.materialise([.file("plain.tar", "old\n")], in: tree.base)
        #expect(
            try Run.changerec(["layer", journal, "-o", tree.base + "/plain.tar", "--compress", "none"]).status == 0)
        #expect(try tarListing(tree.base + "/plain.tar").names == ["f"])
    }

    @Test(
        "--oci-layout never renames over or writes through a symlink",
        arguments: ["index.json", "blobs", "blobs/sha256"])
    func layoutSymlinksRefused(name: String) throws {
        let (tree, journal) = try record("echo x > f")
        let layout = tree.base + "/layout"
        try #require(try Run.changerec(["layer", journal, "--oci-layout", layout]).status == 0)
        // The real object moves outside the layout; a symbolic link to it takes its place.
        let moved = tree.outside + "/moved"
        try FileManager.default.moveItem(atPath: layout + "/" + name, toPath: moved)
        try FileManager.default.createSymbolicLink(atPath: layout + "/" + name, withDestinationPath: moved)
        let before = try Run.command([
            "/bin/sh", "-c", "cd '\(tree.outside)' && find . -exec sha256sum {} + 2>/dev/null; find . | sort",
        ]).stdout
        for output in [[], ["-o", tree.base + "/also.tar.gz"], ["-o", "-"]] {
            let result = try Run.changerec(["layer", journal, "--oci-layout", layout] + output)
            #expect(result.status == 1, "\(output)")
            #expect(
                result.stderr
                    == "changerec: will not use OCI layout '\(layout)': '\(name)' is a symbolic link; changerec never writes through or replaces a symbolic link or special file in a layout\n",
                "\(output)")
            #expect(result.stdoutData.isEmpty)
        }
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: layout + "/" + name)) == moved)
        let after = try Run.command([
            "/bin/sh", "-c", "cd '\(tree.outside)' && find . -exec sha256sum {} + 2>/dev/null; find . | sort",
        ]).stdout
        #expect(after == before, "nothing outside the layout was written")
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/also.tar.gz"))
    }

    @Test("-o - on a terminal is refused: a binary layer is not for the screen", .requiresPython)
    func terminalRefused() throws {
        let (tree, journal) = try record("echo x > f")
        defer { withExtendedLifetime(tree) {} }
        let terminal = try Run.onTerminal([Run.binary, "layer", journal, "-o", "-"])
        #expect(
            terminal.stdout
                == "changerec: will not write a layer to a terminal (standard output); redirect it to a file or a pipe, or use -o FILE\r\nstatus 1\n"
        )
    }

    @Test("-o - with --oci-layout streams the layer that the layout's manifest names")
    func streamAndLayout() throws {
        let (tree, journal) = try record("echo x > f")
        let layout = tree.base + "/layout"
        let result = try Run.changerec(["layer", journal, "-o", "-", "--oci-layout", layout, "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let info = try #require(try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any])
        let digest = try #require(info["digest"] as? String)
        let blob = layout + "/blobs/sha256/" + digest.dropFirst("sha256:".count)
        #expect(try Data(contentsOf: URL(fileURLWithPath: blob)) == result.stdoutData)
        try OCILayoutCheck.verify(layout, tag: "latest", expectedLayers: 1)
    }
}
