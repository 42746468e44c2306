import Glibc
import Synchronization
import Testing

@testable import ChangerecSystem

/// The seal's parallel reading: results in the list's order whatever the threads do, each thread with
/// its own context, and an emit that fails stops the work.
@Suite("ordered parallel map: the list's order on any number of threads")
struct OrderedParallelMapTests {
    /// A context that remembers which thread made it, to show each worker keeps its own.
    final class Context {
        let thread = Thread.current
        var mapped = 0
    }

    enum Thread {
        static var current: UInt64 { UInt64(pthread_self()) }
    }

    struct Stop: Error {}

    @Test(
        "every item is mapped once and handed on in order",
        arguments: [(1, 1), (2, 1), (2, 7), (4, 256), (8, 3), (3, 10_000)])
    func order(threads: Int, chunkSize: Int) {
        let items = Array(0..<5_000)
        var seen: [Int] = []
        OrderedParallelMap.run(
            items, threads: threads, chunkSize: chunkSize, context: { Context() },
            transform: { item, context in
                context.mapped += 1
                // Uneven work, so that chunks finish out of order.
                var spin = 0
                for step in 0..<(item % 7) * 500 { spin &+= step }
                return item * 2 + (spin == -1 ? 1 : 0)
            },
            emit: { seen.append($0) })
        #expect(seen == items.map { $0 * 2 })
    }

    @Test("several workers map the list when it has several chunks, each with a context of its own")
    func workersHaveContexts() {
        let contexts = Mutex<[UInt64: Int]>([:])
        var count = 0
        OrderedParallelMap.run(
            Array(0..<4_000), threads: 2, chunkSize: 16,
            context: {
                let context = Context()
                contexts.withLock { $0[context.thread, default: 0] += 1 }
                return context
            },
            transform: { item, context in
                // Each context is used by the thread that made it alone.
                precondition(context.thread == Thread.current)
                return item
            },
            emit: { _ in count += 1 })
        #expect(count == 4_000)
        contexts.withLock { made in
            #expect(made.count == 2)
            #expect(made.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("an empty list calls nothing")
    func empty() {
        var emitted = 0
        OrderedParallelMap.run(
            [Int](), threads: 4, context: { Context() }, transform: { item, _ in item }, emit: { _ in emitted += 1 })
        #expect(emitted == 0)
    }

    @Test("an emit that throws stops the work and its error reaches the caller")
    func emitFailureStops() {
        var emitted = 0
        #expect(throws: Stop.self) {
            try OrderedParallelMap.run(
                Array(0..<100_000), threads: 2, chunkSize: 8, context: { Context() },
                transform: { item, _ in item },
                emit: { (item) throws(Stop) in
                    emitted += 1
                    if item == 100 { throw Stop() }
                })
        }
        #expect(emitted == 101)
    }
}
