import ChangerecTestSupport
import Glibc  // errno, set here as a failing call would set it
import SystemPackage
import Testing

@testable import ChangerecSystem

/// The one helper that turns a -1 into the `Errno` the call set, retrying EINTR.
@Suite("system calls: -1 becomes the errno, EINTR is retried")
struct SyscallTests {
    @Test("a call that succeeds gives its value, whatever errno holds")
    func successIgnoresErrno() {
        let result = valueOrErrno("test") { () -> Int32 in
            errno = ENOENT
            return 7
        }
        #expect(result == .success(7))
    }

    @Test("a call that returns -1 gives the errno it set", arguments: [ENOENT, EACCES, ENAMETOOLONG, ELOOP])
    func failureIsErrno(_ code: Int32) {
        let result = valueOrErrno("test") { () -> Int in
            errno = code
            return -1
        }
        #expect(result == .failure(Errno(rawValue: code)))
    }

    @Test("EINTR is retried until the call completes, without sleeping")
    func interruptedIsRetried() {
        var calls = 0
        let result = valueOrErrno("test") { () -> Int32 in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 3
        }
        #expect(result == .success(3))
        #expect(calls == 3)
    }

    @Test("EINTR is the result when retrying is turned off")
    func interruptedWithoutRetry() {
        var calls = 0
        let result = valueOrErrno("test", retryOnInterrupt: false) { () -> Int32 in
            calls += 1
            errno = EINTR
            return -1
        }
        #expect(result == .failure(.interrupted))
        #expect(calls == 1)
    }

    @Test("real calls throw the errno the kernel gave: ENOENT, ENOTDIR, EEXIST")
    func realCallsThrowTheirErrno() throws {
        let tree = try TemporaryTree()
        try [TreeSpec.file("f", "x"), .dir("d")].materialise(in: tree.root)
        let root = try FileSystem.open(Array(tree.root.utf8), .readOnly, options: .directory)
        defer { FileSystem.close(root) }
        #expect(throws: Errno.noSuchFileOrDirectory) { try FileSystem.status(of: Array("missing".utf8), in: root) }
        #expect(throws: Errno.notDirectory) { try FileSystem.status(of: Array("f/below".utf8), in: root) }
        #expect(throws: Errno.fileExists) { try FileSystem.makeDirectory(Array("d".utf8), in: root) }
        #expect(throws: Errno.noSuchFileOrDirectory) { try FileSystem.unlink(Array("missing".utf8), in: root) }
    }
}
