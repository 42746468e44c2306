/// Counts written as the journal's last frame; a journal is complete exactly when they match.
public struct SealEnd: Sendable, Equatable {
    public var sealCount: UInt64
    public var frameCount: UInt64

    public init(sealCount: UInt64, frameCount: UInt64) {
        self.sealCount = sealCount
        self.frameCount = frameCount
    }
}
