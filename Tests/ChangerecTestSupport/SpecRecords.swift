/// Frame payloads as docs/journal-format.md lays them out, field for field, so tests can change one
/// field of a real frame and write it back. Each decodes with `init?(payload:)` (nil when the payload
/// does not hold the fields) and encodes with `payload`.
public enum SpecKind {
    public static let header: UInt8 = 1
    public static let event: UInt8 = 2
    public static let note: UInt8 = 3
    public static let exit: UInt8 = 4
    public static let seal: UInt8 = 5
    public static let sealEnd: UInt8 = 6
    public static let process: UInt8 = 7
}

public struct SpecEvent: Sendable, Equatable {
    public var sequence: UInt64
    public var time: UInt64
    public var operation: UInt8
    public var flags: UInt8
    public var pid: Int32
    public var path: [UInt8]
    public var path2: [UInt8]?
    public var target: [UInt8]?

    public init?(payload: [UInt8]) {
        var r = SpecReader(payload)
        guard let sequence = r.u64(), let time = r.u64(), let operation = r.u8(), let flags = r.u8(),
            let pid = r.i32(), let path = r.data(), let path2 = r.optional({ $0.data() }),
            let target = r.optional({ $0.data() }), r.isAtEnd
        else { return nil }
        (self.sequence, self.time, self.operation, self.flags, self.pid) = (sequence, time, operation, flags, pid)
        (self.path, self.path2, self.target) = (path, path2, target)
    }

    public var payload: [UInt8] {
        var w = SpecWriter()
        w.u64(sequence)
        w.u64(time)
        w.u8(operation)
        w.u8(flags)
        w.i32(pid)
        w.data(path)
        w.optional(path2) { $0.data($1) }
        w.optional(target) { $0.data($1) }
        return w.bytes
    }
}

public struct SpecNote: Sendable, Equatable {
    public var time: UInt64
    public var kind: UInt8
    public var path: [UInt8]?
    public var message: [UInt8]

    public init?(payload: [UInt8]) {
        var r = SpecReader(payload)
        guard let time = r.u64(), let kind = r.u8(), let path = r.optional({ $0.data() }), let message = r.data(),
            r.isAtEnd
        else { return nil }
        (self.time, self.kind, self.path, self.message) = (time, kind, path, message)
    }

    public var payload: [UInt8] {
        var w = SpecWriter()
        w.u64(time)
        w.u8(kind)
        w.optional(path) { $0.data($1) }
        w.data(message)
        return w.bytes
    }
}

public struct SpecProcess: Sendable, Equatable {
    public var pid: Int32
    public var name: [UInt8]
    public var step: UInt8

    public init?(payload: [UInt8]) {
        var r = SpecReader(payload)
        guard let pid = r.i32(), let name = r.data(), let step = r.u8(), r.isAtEnd else { return nil }
        (self.pid, self.name, self.step) = (pid, name, step)
    }

    public var payload: [UInt8] {
        var w = SpecWriter()
        w.i32(pid)
        w.data(name)
        w.u8(step)
        return w.bytes
    }
}

public struct SpecExit: Sendable, Equatable {
    public var time: UInt64
    public var how: UInt8
    public var code: Int32
    public var kernelEvents: UInt64
    public var writtenEvents: UInt64
    public var flags: UInt8
    /// The straggler count as written, then the stragglers' bytes as they are.
    public var stragglerCount: UInt32
    public var stragglers: [UInt8]

    public init?(payload: [UInt8]) {
        var r = SpecReader(payload)
        guard let time = r.u64(), let how = r.u8(), let code = r.i32(), let kernel = r.u64(), let written = r.u64(),
            let flags = r.u8(), let count = r.u32()
        else { return nil }
        (self.time, self.how, self.code, self.kernelEvents, self.writtenEvents) = (time, how, code, kernel, written)
        (self.flags, self.stragglerCount, self.stragglers) = (flags, count, r.rest)
    }

    public var payload: [UInt8] {
        var w = SpecWriter()
        w.u64(time)
        w.u8(how)
        w.i32(code)
        w.u64(kernelEvents)
        w.u64(writtenEvents)
        w.u8(flags)
        w.u32(stragglerCount)
        w.fixed(stragglers)
        return w.bytes
    }
}

public struct SpecSeal: Sendable, Equatable {
    public struct After: Sendable, Equatable {
        public var type: UInt8
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        public var size: UInt64
        public var mtimeSeconds: Int64
        public var mtimeNanoseconds: UInt32
        public var inode: UInt64
        public var links: UInt64
        public var rdev: UInt64
        public var target: [UInt8]?
        public var content: [UInt8]?
        public var xattrs: [UInt8]?
    }

    public var path: [UInt8]
    public var before: UInt8
    public var after: After?

    public init?(payload: [UInt8]) {
        var r = SpecReader(payload)
        guard let path = r.data(), let before = r.u8(), let type = r.u8() else { return nil }
        (self.path, self.before) = (path, before)
        guard type != 0 else {
            guard r.isAtEnd else { return nil }
            after = nil
            return
        }
        guard let mode = r.u32(), let uid = r.u32(), let gid = r.u32(), let size = r.u64(), let seconds = r.i64(),
            let nanoseconds = r.u32(), let inode = r.u64(), let links = r.u64(), let rdev = r.u64(),
            let target = r.optional({ $0.data() }), let content = r.optional({ $0.fixed(32) }),
            let xattrs = r.optional({ $0.fixed(32) }), r.isAtEnd
        else { return nil }
        after = After(
            type: type, mode: mode, uid: uid, gid: gid, size: size, mtimeSeconds: seconds,
            mtimeNanoseconds: nanoseconds, inode: inode, links: links, rdev: rdev, target: target, content: content,
            xattrs: xattrs)
    }

    public var payload: [UInt8] {
        var w = SpecWriter()
        w.data(path)
        w.u8(before)
        guard let after else {
            w.u8(0)
            return w.bytes
        }
        w.u8(after.type)
        w.u32(after.mode)
        w.u32(after.uid)
        w.u32(after.gid)
        w.u64(after.size)
        w.i64(after.mtimeSeconds)
        w.u32(after.mtimeNanoseconds)
        w.u64(after.inode)
        w.u64(after.links)
        w.u64(after.rdev)
        w.optional(after.target) { $0.data($1) }
        w.optional(after.content) { $0.fixed($1) }
        w.optional(after.xattrs) { $0.fixed($1) }
        return w.bytes
    }
}

public struct SpecSealEnd: Sendable, Equatable {
    public var sealCount: UInt64
    public var frameCount: UInt64

    public init?(payload: [UInt8]) {
        var r = SpecReader(payload)
        guard let seals = r.u64(), let frames = r.u64(), r.isAtEnd else { return nil }
        (sealCount, frameCount) = (seals, frames)
    }

    public var payload: [UInt8] {
        var w = SpecWriter()
        w.u64(sealCount)
        w.u64(frameCount)
        return w.bytes
    }
}

/// The header's first two fields, the version and ROOT; the fields after them are kept as they are.
public struct SpecHeaderPrefix: Sendable, Equatable {
    public var version: UInt16
    public var root: [UInt8]
    public var rest: [UInt8]

    public init?(payload: [UInt8]) {
        var r = SpecReader(payload)
        guard let version = r.u16(), let root = r.data() else { return nil }
        (self.version, self.root, self.rest) = (version, root, r.rest)
    }

    public var payload: [UInt8] {
        var w = SpecWriter()
        w.u16(version)
        w.data(root)
        w.fixed(rest)
        return w.bytes
    }
}
