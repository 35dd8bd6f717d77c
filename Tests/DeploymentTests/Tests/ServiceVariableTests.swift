import XCTest

/// The variables each service reads, found in the sources, against docker-compose.yml, the
/// tables of docs/configuration.md and the local stack.
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
        XCTAssertTrue(crmSync.isRequired("DATABASE_URL"), "crm-sync keeps its state and offsets in its own database")
        XCTAssertFalse(crmSync.isRequired("CRM_SECRET_KEY"), "without it crm-sync runs but no company can be configured")
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
        let oversharing = try checks.with(composeText: text.replacingOccurrences(of: "      HTTP_PORT: \"8184\"\n",
                                                                                with: "      HTTP_PORT: \"8184\"\n      CRM_SECRET_KEY: ${CRM_SECRET_KEY:-}\n"))
        XCTAssertTrue(oversharing.unknownVariableProblems().contains("service document-store sets CRM_SECRET_KEY, which document-store never reads"))
    }

    func testTheConfigurationTableListsEveryVariableReadAnywhere() throws {
        let document = try ConfigurationDocument.text()
        XCTAssertEqual(checks.configurationProblems(configuration: document), [])
        let withoutRow = document.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("| `LOGIN_MAX_FAILURES_PER_ADDRESS`") }.joined(separator: "\n")
        XCTAssertTrue(checks.configurationProblems(configuration: withoutRow)
            .contains("LOGIN_MAX_FAILURES_PER_ADDRESS (read by gateway) is missing from the service variables table of docs/configuration.md"))
        let poolRow = "| `DATABASE_POOL_SIZE` | 10 | command-service, search-projection, stats-projection, document-store, crm-sync, gateway |"
        XCTAssertTrue(document.contains(poolRow))
        let wrongServices = document.replacingOccurrences(of: poolRow, with: poolRow.replacingOccurrences(of: "gateway |", with: "gateway, clientctl |"))
        XCTAssertTrue(checks.configurationProblems(configuration: wrongServices).contains(
            "the service variables table of docs/configuration.md says DATABASE_POOL_SIZE is read by clientctl, command-service, crm-sync, document-store, gateway, search-projection, stats-projection; the sources say command-service, crm-sync, document-store, gateway, search-projection, stats-projection"))
        let wrongDefault = document.replacingOccurrences(of: "| `SHUTDOWN_GRACE_MS` | 20000 |", with: "| `SHUTDOWN_GRACE_MS` | 30000 |")
        XCTAssertTrue(checks.configurationProblems(configuration: wrongDefault).contains(
            "the service variables table of docs/configuration.md gives SHUTDOWN_GRACE_MS the default \"30000\"; the sources default to 20000"))
        let unread = document.replacingOccurrences(of: poolRow, with: "| `DATABASE_POOL_SIZES` | 10 | gateway | misspelt |\n" + poolRow)
        XCTAssertTrue(checks.configurationProblems(configuration: unread)
            .contains("the service variables table of docs/configuration.md lists DATABASE_POOL_SIZES, which no executable reads"))
        let renamedSection = document.replacingOccurrences(of: "\n## Service variables\n", with: "\n## Variables\n")
        XCTAssertEqual(checks.configurationProblems(configuration: renamedSection),
                       ["docs/configuration.md has no `## Service variables` section with a `| variable | …` table"])
    }

    func testTheLocalStackUsesOnlyKnownNames() throws {
        let script = try Repository.text("deploy/local/run.sh")
        let document = try ConfigurationDocument.text()
        XCTAssertEqual(checks.localStackProblems(script: script, configuration: document), [])
        let misspelt = script.replacingOccurrences(of: "SESSION_COOKIE_SECURE=false", with: "SESSION_COOKIES_SECURE=false")
        XCTAssertTrue(checks.localStackProblems(script: misspelt, configuration: document).contains {
            $0.contains("uses SESSION_COOKIES_SECURE, which no service reads and the local stack table of docs/configuration.md does not list")
        })
        let portRow = "| `CLIENTELE_PG_PORT` | 55432 | the private PostgreSQL cluster's port |\n"
        XCTAssertTrue(document.contains(portRow))
        XCTAssertTrue(checks.localStackProblems(script: script, configuration: document.replacingOccurrences(of: portRow, with: "")).contains {
            $0.contains("uses CLIENTELE_PG_PORT, which no service reads and the local stack table of docs/configuration.md does not list")
        })
        let unused = document.replacingOccurrences(of: portRow, with: portRow + "| `CLIENTELE_PG_HOST` | 127.0.0.1 | not a setting |\n")
        XCTAssertTrue(checks.localStackProblems(script: script, configuration: unused)
            .contains("the local stack table of docs/configuration.md lists CLIENTELE_PG_HOST, which deploy/local/run.sh does not use"))
    }
}
