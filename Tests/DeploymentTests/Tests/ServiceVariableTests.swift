import XCTest

/// The variables each service reads, found in the sources, against docker-compose.yml, the
/// README's configuration table and the local stack.
final class ServiceVariableTests: XCTestCase {
    private var checks: DeploymentChecks!

    override func setUpWithError() throws {
        checks = try DeploymentChecks.load()
    }

    /// The scan sees through the shared modules to what each service really runs, so the
    /// checks below compare against something true.
    func testTheScanFindsWhatEachServiceReads() {
        let scan = checks.scan
        let gateway = scan.variables(of: "gateway")
        for name in ["DATABASE_URL", "JWT_KEYS", "INTERNAL_TOKEN"] {
            XCTAssertTrue(gateway.isRequired(name), "gateway requires \(name)")
        }
        XCTAssertFalse(gateway.isRequired("ADMIN_PASSWORD"), "ADMIN_PASSWORD is optional")
        XCTAssertEqual(gateway.defaultValue(of: "HTTP_HOST"), "127.0.0.1")
        XCTAssertEqual(gateway.defaultValue(of: "SHUTDOWN_GRACE_MS"), "20000")
        XCTAssertFalse(gateway.reads("KAFKA_BOOTSTRAP_SERVERS"), "the gateway never opens the events topic")

        let crmSync = scan.variables(of: "crm-sync")
        XCTAssertTrue(crmSync.isRequired("KAFKA_BOOTSTRAP_SERVERS"))
        XCTAssertTrue(crmSync.reads("KAFKA_MESSAGE_TIMEOUT_MS"), "KAFKA_* is passed to librdkafka")
        XCTAssertFalse(crmSync.reads("DATABASE_URL"), "crm-sync links the PostgreSQL wiring but never opens a pool")
        XCTAssertTrue(crmSync.isRequired("INTERNAL_TOKEN"), "every service guards /metrics with it")
        XCTAssertEqual(crmSync.defaultValue(of: "EVENTS_TOPIC"), "clientele.client-events")

        for product in ["gateway", "command-service", "search-projection", "stats-projection", "document-store", "crm-sync"] {
            XCTAssertTrue(scan.variables(of: product).reads("HTTP_PORT"), "\(product) serves HTTP")
        }
        let clientctl = scan.variables(of: "clientctl")
        XCTAssertTrue(clientctl.reads("GATEWAY_URL"))
        XCTAssertTrue(clientctl.reads("ADMIN_PASSWORD"))
        XCTAssertFalse(clientctl.reads("HTTP_PORT"), "clientctl serves nothing")
    }

    func testNoVariableIsReadOutOfTheScansSight() {
        XCTAssertEqual(checks.scan.opaque.map(\.description), [])
    }

    func testEveryVariableAServiceRequiresIsSetInCompose() throws {
        XCTAssertEqual(try checks.requiredVariableProblems(), [])
        let text = try Repository.text("docker-compose.yml")
        let line = "      JWT_KEYS: ${JWT_KEYS:?set JWT_KEYS in .env (kid:base64 of at least 32 random bytes)}\n"
        XCTAssertTrue(text.contains(line))
        let broken = try checks.with(composeText: text.replacingOccurrences(of: line, with: ""))
        XCTAssertTrue(try broken.requiredVariableProblems().contains {
            $0.hasPrefix("service gateway (gateway) requires JWT_KEYS (read at Services/Gateway/IdentityAPI/SessionSettings.swift:")
        })
    }

    func testComposeGivesEachServiceOnlyVariablesItReads() throws {
        XCTAssertEqual(checks.unknownVariableProblems(), [])
        let text = try Repository.text("docker-compose.yml")
        let misspelt = try checks.with(composeText: text.replacingOccurrences(of: "JWT_TTL_SECONDS: ${JWT_TTL_SECONDS:-3600}",
                                                                             with: "JWT_TTL_SECOND: ${JWT_TTL_SECONDS:-3600}"))
        XCTAssertTrue(misspelt.unknownVariableProblems().contains("service gateway sets JWT_TTL_SECOND, which gateway never reads"))
        let oversharing = try checks.with(composeText: text.replacingOccurrences(of: "      HTTP_PORT: \"8185\"\n",
                                                                                with: "      HTTP_PORT: \"8185\"\n      DATABASE_URL: ${CRM_DATABASE_URL:?x}\n"))
        XCTAssertTrue(oversharing.unknownVariableProblems().contains("service crm-sync sets DATABASE_URL, which crm-sync never reads"))
    }

    func testTheReadmeTableListsEveryVariableReadAnywhere() throws {
        let readme = try Repository.text("README.md")
        XCTAssertEqual(checks.readmeProblems(readme: readme), [])
        let withoutRow = readme.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("| `LOGIN_MAX_FAILURES_PER_ADDRESS`") }.joined(separator: "\n")
        XCTAssertTrue(checks.readmeProblems(readme: withoutRow)
            .contains("LOGIN_MAX_FAILURES_PER_ADDRESS (read by gateway) is missing from the README's configuration table"))
        let poolRow = "| `DATABASE_POOL_SIZE` | 10 | command-service, search-projection, stats-projection, document-store, gateway |"
        XCTAssertTrue(readme.contains(poolRow))
        let wrongServices = readme.replacingOccurrences(of: poolRow, with: poolRow.replacingOccurrences(of: "gateway |", with: "gateway, clientctl |"))
        XCTAssertTrue(checks.readmeProblems(readme: wrongServices).contains(
            "the README's configuration table says DATABASE_POOL_SIZE is read by clientctl, command-service, document-store, gateway, search-projection, stats-projection; the sources say command-service, document-store, gateway, search-projection, stats-projection"))
        let wrongDefault = readme.replacingOccurrences(of: "| `SHUTDOWN_GRACE_MS` | 20000 |", with: "| `SHUTDOWN_GRACE_MS` | 30000 |")
        XCTAssertTrue(checks.readmeProblems(readme: wrongDefault).contains(
            "the README's configuration table gives SHUTDOWN_GRACE_MS the default \"30000\"; the sources default to 20000"))
    }

    func testTheLocalStackUsesOnlyKnownNames() throws {
        let script = try Repository.text("deploy/local/run.sh")
        let readme = try Repository.text("README.md")
        XCTAssertEqual(checks.localStackProblems(script: script, readme: readme), [])
        let misspelt = script.replacingOccurrences(of: "SESSION_COOKIE_SECURE=false", with: "SESSION_COOKIES_SECURE=false")
        XCTAssertTrue(checks.localStackProblems(script: misspelt, readme: readme).contains {
            $0.contains("uses SESSION_COOKIES_SECURE, which no service reads and the README's local stack table does not list")
        })
    }
}
