import Glibc

/// A mutex with one condition variable: what a producer and its worker threads share. The corresponding
/// C functions are `pthread_mutex_lock`, `pthread_mutex_unlock`, `pthread_cond_wait` and
/// `pthread_cond_broadcast`.
///
/// Both live on the heap: a pthread mutex must not move while it is in use, and a Swift stored property
/// may.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the mutex.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Releases the mutex until the condition is signalled, then takes it again. Call it only inside
    /// `withLock`, in a loop that tests what it waits for (wake-ups may be spurious).
    public func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Wakes every thread waiting on the condition.
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
