import CChangerecLinux
import Glibc
import SystemPackage

/// Signals delivered through a descriptor instead of handlers, so one `poll` loop sees them in order
/// with everything else. The corresponding C functions are `sigprocmask` and `signalfd`.
public final class SignalDescriptor {
    /// What the kernel says of one delivered signal.
    public struct Delivery: Sendable {
        public var signal: Signal
        /// Whether the kernel sent it (`si_code` is `SI_KERNEL`), as it does for a terminal's keys, rather
        /// than a process calling kill(2).
        public var sentByKernel: Bool
        public var senderPID: ProcessID
    }

    public let descriptor: FileDescriptor

    /// Blocks `signals` in this process and opens a non-blocking descriptor that delivers them.
    public init(signals: [Signal]) throws(Errno) {
        var set = sigset_t()
        _ = signals.map(\.rawValue).withUnsafeBufferPointer {
            cchangerec_sigset_of(&set, $0.baseAddress, Int32($0.count))
        }
        _ = try valueOrErrno("sigprocmask") { sigprocmask(SIG_BLOCK, &set, nil) }.get()
        let fd = try valueOrErrno("signalfd") { signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }.get()
        descriptor = FileDescriptor(rawValue: fd)
    }

    deinit { Glibc.close(descriptor.rawValue) }

    /// Every signal pending now; empty when none is.
    public func readAvailable() throws(Errno) -> [Delivery] {
        var result: [Delivery] = []
        while true {
            var info = signalfd_siginfo()
            let size = MemoryLayout<signalfd_siginfo>.size
            switch valueOrErrno("read", { Glibc.read(descriptor.rawValue, &info, size) }) {
            case .success(let n) where n == size:
                result.append(
                    Delivery(
                        signal: Signal(rawValue: Int32(info.ssi_signo)), sentByKernel: info.ssi_code == SI_KERNEL,
                        senderPID: ProcessID(info.ssi_pid)))
            case .success, .failure(.wouldBlock):
                return result
            case .failure(let error):
                throw error
            }
        }
    }
}
