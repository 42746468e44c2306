import CChangerecLinux
import Glibc
import SystemPackage

/// A thread running one closure, joined by its owner. The corresponding C functions are `pthread_create`
/// and `pthread_join`.
public final class WorkerThread {
    private var thread = pthread_t()
    private var joined = false

    /// Starts `body` on a new thread.
    ///
    /// - Throws: `ChangerecError` when the system refuses another thread (`EAGAIN`).
    public init(_ body: @escaping @Sendable () -> Void) throws(ChangerecError) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        let status = pthread_create(
            &thread, nil,
            { raw in
                // Invariant: the argument is the box passed to pthread_create just above.
                guard let raw else { return nil }
                Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
                return nil
            }, box)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            joined = true
            throw ChangerecError.system("start a thread", Errno(rawValue: status))
        }
    }

    deinit { join() }

    /// Waits for the closure to return (once; later calls return at once).
    public func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }

    /// The processors this process may run on — its CPU affinity, which `taskset` and cgroup cpusets
    /// narrow — at least 1. The corresponding C function is `sched_getaffinity`.
    public static var availableProcessors: Int { Int(cchangerec_available_processors()) }

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
