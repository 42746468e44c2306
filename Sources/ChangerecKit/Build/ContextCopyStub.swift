import ChangerecSystem

enum ContextCopy {
    static func refuseArchives(context: [UInt8], sources: [[UInt8]]) throws(ChangerecError) {}
}
