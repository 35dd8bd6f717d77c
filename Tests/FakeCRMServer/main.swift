import Dispatch
import Foundation
import TestSupport

// The fake CRM (TestSupport's FakeCRM) as a process of its own: `deploy/local/run.sh` starts
// it with CRM_FAKE=1, the CRM sync benchmark with an answer latency. It prints
// `fake CRM listening at <url>` once it serves (on 127.0.0.1, a port the system picked) and
// serves until SIGTERM or SIGINT. `GET /__fake/stats` answers what it holds.
//
// usage: FakeCRMServer [--latency-ms N]
let arguments = CommandLine.arguments
var latency = 0
if let flag = arguments.firstIndex(of: "--latency-ms"), flag + 1 < arguments.count, let value = Int(arguments[flag + 1]), value >= 0 {
    latency = value
}
let crm = try await FakeCRM.start()
crm.setLatency(.milliseconds(latency))
FileHandle.standardOutput.write(Data("fake CRM listening at \(crm.baseURL)\n".utf8))
let stopped = DispatchSemaphore(value: 0)
var sources: [any DispatchSourceSignal] = []
for number in [SIGTERM, SIGINT] {
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler { stopped.signal() }
    source.resume()
    sources.append(source)
}
await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
    DispatchQueue.global().async {
        stopped.wait()
        continuation.resume()
    }
}
try await crm.stop()
