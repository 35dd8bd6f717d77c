import Foundation

/// Where the project's files and its locally installed tools are, seen from a test.
///
/// `deploy/local/install-dependencies.sh` puts the broker at `.local/bin/tansu` and
/// librdkafka 2.16 at `.local/lib`; the test command runs it first. Environment variables
/// override each path for machines laid out differently.
public enum ProjectPaths {
    /// The repository root, found from this file's own path.
    public static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["CLIENTELE_ROOT"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()   // TestSupport
            .deletingLastPathComponent()   // Tests
            .deletingLastPathComponent()   // root
    }()

    /// Project-local installs: `.local/`.
    public static var localDirectory: URL { root.appendingPathComponent(".local") }

    /// The Tansu broker binary (`CLIENTELE_TANSU` overrides).
    public static var tansu: URL {
        if let override = ProcessInfo.processInfo.environment["CLIENTELE_TANSU"] {
            return URL(fileURLWithPath: override)
        }
        return localDirectory.appendingPathComponent("bin/tansu")
    }

    /// PostgreSQL's server binaries: initdb, pg_ctl, postgres (`CLIENTELE_PG_BIN` overrides).
    public static var postgresBin: URL {
        if let override = ProcessInfo.processInfo.environment["CLIENTELE_PG_BIN"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: "/usr/lib/postgresql/15/bin")
    }

    /// A fresh scratch directory (logs, data directories, documents), in this test process's
    /// `runDirectory`.
    public static func scratchDirectory(_ name: String) throws -> URL {
        let url = runDirectory.appendingPathComponent("\(name)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The folder that holds every scratch directory of this test process,
    /// `clientele-tests-<pid>` in the system's temporary directory. Made on first use, after
    /// removing the folders of earlier runs whose process is gone: a run's service logs stay
    /// to be read until the next run starts, and runs do not pile up (a full run leaves
    /// gigabytes: database clusters, broker logs, documents).
    public static let runDirectory: URL = {
        let temporary = FileManager.default.temporaryDirectory
        let prefix = "clientele-tests-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = pid_t(entry.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(entry))
        }
        return temporary.appendingPathComponent("\(prefix)\(getpid())")
    }()
}
