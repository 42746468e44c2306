import CChangerecLinux
import Glibc
import SystemPackage

/// The current thread's errno as a typed value.
@inline(__always)
func currentErrno() -> Errno { Errno(rawValue: cchangerec_errno()) }

/// Runs a system call that returns -1 on failure, retrying on EINTR unless told not to, and turns a
/// failure into the `Errno` it set.
///
/// EBADF and EFAULT are never the world's fault: they mean changerec passed a closed descriptor or a
/// bad pointer, so they trap with the operation's name instead of surfacing as a user error.
@inline(__always)
func valueOrErrno<T: FixedWidthInteger>(
    _ operation: StaticString, retryOnInterrupt: Bool = true, _ body: () -> T
) -> Result<T, Errno> {
    while true {
        let value = body()
        if value != -1 { return .success(value) }
        let error = currentErrno()
        if error == .interrupted && retryOnInterrupt { continue }
        precondition(error != .badFileDescriptor && error != .badAddress, "\(operation): \(error) is a changerec bug")
        return .failure(error)
    }
}

/// A byte string as a NUL-terminated C string for the duration of `body`.
@inline(__always)
func withCPath<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    let terminated = bytes.map { CChar(bitPattern: $0) } + [0]
    // The array-to-pointer conversion keeps the storage alive for the duration of the call.
    return body(terminated)
}

/// Bytes for printing in an error message; invalid UTF-8 becomes U+FFFD.
/// The one such helper: the system module, the logic and the command line all use it.
@inline(__always)
public func printable(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
