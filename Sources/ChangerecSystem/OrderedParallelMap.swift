/// Maps a list on several threads and hands the results on in the list's order, on the calling thread.
///
/// The list is cut into chunks of consecutive items. A worker takes the next chunk and maps its items in
/// order with state of its own (made once per thread by `makeContext`, so a context need not be
/// `Sendable` or thread-safe: a cursor that keeps a parent directory open, say); the caller hands each
/// chunk's results to `emit` as soon as every chunk before it has been handed on. At most `window`
/// chunks are mapped and not yet handed on, so memory holds a few chunks whatever the list's length.
///
/// With one thread, or a list of one chunk, everything runs on the calling thread and no thread starts.
public enum OrderedParallelMap {
    /// Calls `transform` on every item of `items` on up to `threads` threads, and `emit` on every result
    /// in the order of `items`.
    ///
    /// - Throws: what `emit` throws: the workers stop after their current chunk and are joined first.
    public static func run<Item: Sendable, Output: Sendable, Context, Failure: Error>(
        _ items: [Item], threads: Int, chunkSize: Int = 256,
        context makeContext: @escaping @Sendable () -> Context,
        transform: @escaping @Sendable (Item, Context) -> Output,
        emit: (Output) throws(Failure) -> Void
    ) throws(Failure) {
        let chunkSize = max(1, chunkSize)
        let chunkCount = (items.count + chunkSize - 1) / chunkSize
        let state = SharedState<Item, Output>(
            items: items, chunkSize: chunkSize, chunkCount: chunkCount, window: 4 * threads)
        var workers: [WorkerThread] = []
        if threads > 1 && chunkCount > 1 {
            for _ in 0..<min(threads, chunkCount) {
                // A thread the system refuses leaves the work to those that started, or to this one.
                guard let worker = try? WorkerThread({ state.work(makeContext(), transform) }) else { break }
                workers.append(worker)
            }
        }
        guard !workers.isEmpty else {
            let context = makeContext()
            for item in items { try emit(transform(item, context)) }
            return
        }
        defer {
            state.stop()
            for worker in workers { worker.join() }
        }
        for index in 0..<chunkCount {
            for output in state.take(index) { try emit(output) }
        }
    }

    /// The chunks and their results, shared by the caller and the workers; guarded by `lock`.
    private final class SharedState<Item: Sendable, Output: Sendable>: @unchecked Sendable {
        private let lock = ConditionLock()
        private let items: [Item]
        private let chunkSize: Int
        private let chunkCount: Int
        private let window: Int
        private var nextChunk = 0
        private var handedOn = 0
        private var stopping = false
        private var done: [Int: [Output]] = [:]

        init(items: [Item], chunkSize: Int, chunkCount: Int, window: Int) {
            self.items = items
            self.chunkSize = chunkSize
            self.chunkCount = chunkCount
            self.window = max(2, window)
        }

        /// A worker's loop: takes chunks until there are none left or the caller stops.
        func work<Context>(_ context: Context, _ transform: (Item, Context) -> Output) {
            while let index = claim() {
                let range = index * chunkSize..<min(items.count, (index + 1) * chunkSize)
                var outputs: [Output] = []
                outputs.reserveCapacity(range.count)
                for position in range { outputs.append(transform(items[position], context)) }
                lock.withLock {
                    done[index] = outputs
                    lock.broadcast()
                }
            }
        }

        /// The next chunk to map, once fewer than `window` are waiting to be handed on; `nil` when none is
        /// left or the caller stopped.
        private func claim() -> Int? {
            lock.withLock {
                while !stopping && nextChunk < chunkCount && nextChunk - handedOn >= window { lock.wait() }
                guard !stopping && nextChunk < chunkCount else { return nil }
                defer { nextChunk += 1 }
                return nextChunk
            }
        }

        /// The results of chunk `index`, once mapped; the caller takes the chunks in order.
        func take(_ index: Int) -> [Output] {
            lock.withLock {
                while done[index] == nil { lock.wait() }
                handedOn = index + 1
                lock.broadcast()
                // Invariant: the loop above waited until the chunk was there.
                return done.removeValue(forKey: index) ?? []
            }
        }

        /// Makes every worker return after its current chunk.
        func stop() {
            lock.withLock {
                stopping = true
                lock.broadcast()
            }
        }
    }
}
