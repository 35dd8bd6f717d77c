// libFuzzer target for MultipartParser; built by run-fuzzers.sh together with the
// parser's Foundation-only sources. Checks that splitting the input into two feeds yields
// the same parts (data merged) as one feed.
import Foundation

private func parts(_ bytes: UnsafeBufferPointer<UInt8>, boundary: String, split: Int) -> [String] {
    var limits = MultipartParser.Limits()
    limits.maxPartHeaderBytes = 256
    limits.maxParts = 8
    var parser = MultipartParser(boundary: boundary, limits: limits)
    var out: [String] = []
    var data: [UInt8] = []
    func handle(_ events: [MultipartEvent]) {
        for event in events {
            switch event {
            case .partBegin(let head):
                out.append("begin \(head.name ?? "-") \(head.filename ?? "-") \(head.headers.count)")
            case .partData(let chunk):
                precondition(!chunk.isEmpty, "empty data event")
                data += chunk
            case .partEnd:
                out.append("data \(data.count) \(data.reduce(0) { $0 &+ Int($1) })")
                data = []
                out.append("end")
            case .end:
                out.append("finish")
            }
        }
    }
    for piece in [bytes[0..<split], bytes[split...]] {
        do {
            handle(try parser.feed(UnsafeBufferPointer(rebasing: piece)))
        } catch {
            out.append("error")
            return out
        }
    }
    do { try parser.finish() } catch { out.append("truncated") }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let boundaries = ["XyZ", "b", "----WebKitFormBoundary7MA4YWxkTrZu0gW"]
    let selector = size == 0 ? 0 : Int(bytes[size - 1])
    let boundary = boundaries[selector % boundaries.count]
    let split = size == 0 ? 0 : (selector * 7) % (size + 1)
    let whole = parts(bytes, boundary: boundary, split: size)
    let pieces = parts(bytes, boundary: boundary, split: split)
    if whole.last == "error" || pieces.last == "error" {
        // A feed that throws discards its own events, so only the prefix both saw must agree.
        let common = min(whole.count, pieces.count) - 1
        precondition(whole.last == pieces.last && Array(whole.prefix(common)) == Array(pieces.prefix(common)),
                     "split at \(split) changed the parts: \(whole) vs \(pieces)")
    } else {
        precondition(whole == pieces, "split at \(split) changed the parts: \(whole) vs \(pieces)")
    }
    if let extracted = MultipartParser.boundary(fromContentType: String(decoding: bytes.prefix(200), as: UTF8.self)) {
        precondition(!extracted.isEmpty && extracted.utf8.count <= 70)
    }
    return 0
}
