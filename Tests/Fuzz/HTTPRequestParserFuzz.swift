// libFuzzer target for HTTPRequestParser; built by run-fuzzers.sh together with the
// parser's Foundation-only sources. Beyond "never crash", it checks that splitting the
// input into two feeds yields exactly the events of one feed.
import Foundation

private func events(_ bytes: UnsafeBufferPointer<UInt8>, split: Int) -> [String] {
    var limits = HTTPRequestParser.Limits()
    limits.maxHeaderBytes = 512
    limits.maxRequestTargetBytes = 128
    limits.maxHeaderCount = 16
    limits.maxBodyBytes = 2048
    limits.maxBodyEventBytes = 64
    limits.maxChunkLineBytes = 64
    var parser = HTTPRequestParser(limits: limits)
    var out: [String] = []
    var body: [UInt8] = []
    var requests = 0
    func drain() {
        var steps = 0
        while steps < 100_000 {
            steps += 1
            do {
                guard let event = try parser.next() else { return }
                switch event {
                case .head(let head):
                    requests += 1
                    // Alternate between the default and a small body limit.
                    if requests % 2 == 0 { parser.limitBody(to: 100) }
                    out.append("head \(head.method.rawValue) \(head.target) \(head.version) \(head.headers.count) \(head.framing) \(head.keepAlive)")
                case .body(let chunk):
                    precondition(!chunk.isEmpty && chunk.count <= 64, "body event size")
                    body += chunk
                case .end:
                    out.append("body \(body.count) \(body.reduce(0) { $0 &+ Int($1) })")
                    body = []
                    out.append("end")
                }
            } catch {
                out.append("error \(error.status.code)")
                return
            }
        }
        preconditionFailure("parser did not make progress")
    }
    parser.feed(UnsafeBufferPointer(rebasing: bytes[0..<split]))
    drain()
    if out.last?.hasPrefix("error") == true { return out }
    parser.feed(UnsafeBufferPointer(rebasing: bytes[split...]))
    drain()
    if !body.isEmpty, out.last?.hasPrefix("error") != true { out.append("partial \(body.count)") }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = size == 0 ? 0 : Int(bytes[size - 1]) % (size + 1)
    let whole = events(bytes, split: size)
    let pieces = events(bytes, split: split)
    // A split can only delay the outcome (a partial body chunk or a limit detected later
    // is fine); the decided events must agree.
    if whole != pieces {
        let common = min(whole.count, pieces.count)
        let wholeErrors = whole.last?.hasPrefix("error") == true
        let piecesErrors = pieces.last?.hasPrefix("error") == true
        precondition(wholeErrors == piecesErrors && Array(whole[0..<common]) == Array(pieces[0..<common]),
                     "split at \(split) changed the events: \(whole) vs \(pieces)")
    }
    return 0
}
