/// Worker threads deflating blocks, handing them back in the order they were submitted.
///
/// At most `capacity` blocks are in flight (submitted and not yet taken back): the producer waits for
/// the oldest before it submits more, so a layer of any size takes a few blocks of memory (for 2 threads,
/// 8 blocks: about 2 MiB with their dictionaries and output).
final class DeflatePool: @unchecked Sendable {
    // Everything below is guarded by `lock`.
    private let lock = ConditionLock()
    /// Jobs not yet taken by a thread: at most `capacity`, so taking the first one is cheap.
    private var pending: [DeflateJob] = []
    private var finished: [Int: Result<DeflatedBlock, ChangerecError>] = [:]
    private var stopping = false
    private var submitted = 0
    private var taken = 0

    private let level: Int32
    let capacity: Int
    private var threads: [WorkerThread] = []

    /// Starts `count` threads deflating at `level`.
    init(threads count: Int, level: Int32) throws(ChangerecError) {
        self.level = level
        // As pigz bounds its input buffers: enough blocks queued that a thread descheduled for a moment on a
        // busy machine does not leave the others idle, few enough that memory stays a few MiB.
        capacity = 3 * count + 2
        do {
            for _ in 0..<count { threads.append(try WorkerThread { [self] in work() }) }
        } catch {
            stop()
            throw error
        }
    }

    /// Whether `capacity` blocks are in flight.
    var isFull: Bool { lock.withLock { submitted - taken >= capacity } }

    /// Whether any block is in flight.
    var isEmpty: Bool { lock.withLock { submitted == taken } }

    /// Queues `job`, which must be numbered one after the previous job.
    func submit(_ job: DeflateJob) {
        lock.withLock {
            pending.append(job)
            submitted += 1
            lock.broadcast()
        }
    }

    /// The oldest block in flight: waiting for it when `wait`, else `nil` if it is not done yet (or
    /// nothing is in flight).
    func next(wait: Bool) throws(ChangerecError) -> DeflatedBlock? {
        let result: Result<DeflatedBlock, ChangerecError>? = lock.withLock {
            guard taken < submitted else { return nil }
            while finished[taken] == nil {
                guard wait else { return nil }
                lock.wait()
            }
            defer { taken += 1 }
            return finished.removeValue(forKey: taken)
        }
        return try result?.get()
    }

    /// Stops the threads (blocks not yet deflated are dropped) and waits for them.
    func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
        for thread in threads { thread.join() }
        threads = []
    }

    /// A thread's loop: take the next job, deflate it, leave the block for the producer.
    private func work() {
        let deflater = Result { () throws(ChangerecError) in try Deflater(level: level) }
        while let job = nextJob() {
            let block = deflater.flatMap { (deflater) -> Result<DeflatedBlock, ChangerecError> in
                Result { () throws(ChangerecError) in try deflater.deflate(job) }
            }
            lock.withLock {
                finished[job.index] = block
                lock.broadcast()
            }
        }
    }

    private func nextJob() -> DeflateJob? {
        lock.withLock {
            while pending.isEmpty && !stopping { lock.wait() }
            guard !stopping else { return nil }
            // Removed, not passed over: a job left in the array would keep its block alive.
            return pending.removeFirst()
        }
    }
}
