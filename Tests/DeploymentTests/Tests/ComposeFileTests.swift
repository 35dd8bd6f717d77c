import XCTest

/// docker-compose.yml holds its invariants; each is also shown to catch a broken copy.
final class ComposeFileTests: XCTestCase {
    private var checks: DeploymentChecks!
    private var composeText = ""

    override func setUpWithError() throws {
        checks = try DeploymentChecks.load()
        composeText = try Repository.text("docker-compose.yml")
    }

    /// The repository's compose text with `old` replaced by `new` (which must occur).
    private func broken(_ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) throws -> DeploymentChecks {
        XCTAssertTrue(composeText.contains(old), "docker-compose.yml no longer contains \(old)", file: file, line: line)
        return try checks.with(composeText: composeText.replacingOccurrences(of: old, with: new))
    }

    func testEveryExecutableHasAServiceAndEveryServiceAnExecutableOrAPinnedImage() throws {
        XCTAssertEqual(checks.programProblems(), [])
        XCTAssertTrue(try broken(#"command: ["crm-sync"]"#, #"command: ["crm-synk"]"#).programProblems()
            .contains("executable product crm-sync has no service in docker-compose.yml"))
        XCTAssertTrue(try broken("image: postgres:15.10-bookworm", "image: postgres:latest").programProblems()
            .contains("service postgres uses image postgres:latest without a pinned version tag"))
        XCTAssertTrue(try broken("image: apache/kafka:3.9.0\n    environment:\n      CLUSTER_ID", "image: apache/kafka\n    environment:\n      CLUSTER_ID")
            .programProblems().contains("service kafka uses image apache/kafka without a pinned version tag"))
    }

    func testEveryServiceHasAHealthcheckAndServicesProbeTheirOwnPort() throws {
        XCTAssertEqual(try checks.healthcheckProblems(), [])
        XCTAssertTrue(try broken("http://127.0.0.1:8183/readyz", "http://127.0.0.1:8080/readyz").healthcheckProblems()
            .contains("service stats-projection listens on HTTP_PORT 8183 but its healthcheck does not probe http://127.0.0.1:8183/readyz"))
        let withoutPostgresCheck = try broken(#"test: ["CMD", "pg_isready""#, #"xtest: ["CMD", "pg_isready""#)
        XCTAssertTrue(try withoutPostgresCheck.healthcheckProblems().contains("service postgres has no healthcheck"))
    }

    func testOnlyTheGatewayPublishesAPort() throws {
        XCTAssertEqual(try checks.publishedPortProblems(), [])
        let published = try broken(#"command: ["search-projection"]"#, "command: [\"search-projection\"]\n    ports:\n      - \"8182:8182\"")
        XCTAssertTrue(try published.publishedPortProblems().contains("service search-projection publishes 8182:8182; only the gateway may"))
    }

    func testDependenciesWaitForHealthAndCoverEveryServiceTalkedTo() throws {
        XCTAssertEqual(try checks.dependencyProblems(), [])
        let unhealthyWait = try broken("      document-store: { condition: service_healthy }\n",
                                       "      document-store: { condition: service_started }\n")
        XCTAssertTrue(try unhealthyWait.dependencyProblems()
            .contains("service gateway waits for document-store with service_started, expected service_healthy"))
        let missingWait = try broken("      document-store: { condition: service_healthy }\n", "")
        XCTAssertTrue(try missingWait.dependencyProblems()
            .contains("service gateway reaches document-store through DOCUMENT_SERVICE_URL but does not wait for it (depends_on)"))
    }

    func testTheEventsTopicIsCreatedWithUnlimitedRetentionBeforeTheServicesStart() throws {
        XCTAssertEqual(try checks.retentionProblems(), [])
        XCTAssertTrue(try broken("--config retention.ms=-1 --config retention.bytes=-1 --config cleanup.policy=delete",
                                 "--config retention.bytes=-1").retentionProblems()
            .contains("service kafka-init creates the topic without --config retention.ms=-1 (unlimited retention)"))
        XCTAssertTrue(try broken(#"KAFKA_LOG_RETENTION_MS: "-1""#, #"KAFKA_LOG_RETENTION_MS: "604800000""#).retentionProblems()
            .contains { $0.hasPrefix("service kafka does not set KAFKA_LOG_RETENTION_MS to -1") })
        XCTAssertTrue(try broken(#"EVENTS_TOPIC_PARTITIONS: "8""#, #"EVENTS_TOPIC_PARTITIONS: "4""#).retentionProblems().isEmpty,
                      "the topic init and the services share the partition count")
        let diverging = try broken("      <<: [*common-env, *kafka-env]\n      HTTP_PORT: \"8183\"\n",
                                   "      <<: [*common-env, *kafka-env]\n      HTTP_PORT: \"8183\"\n      EVENTS_TOPIC_PARTITIONS: \"4\"\n")
        XCTAssertTrue(try diverging.retentionProblems()
            .contains("service stats-projection expects EVENTS_TOPIC_PARTITIONS 4 but kafka-init creates 8 partitions"))
    }

    func testDataLivesOnDeclaredNamedVolumes() throws {
        XCTAssertEqual(try checks.volumeProblems(), [])
        XCTAssertTrue(try broken("      - documents:/srv/clientele/documents\n", "").volumeProblems()
            .contains("service document-store keeps DOCUMENT_DIRECTORY (/srv/clientele/documents) outside a named volume"))
        XCTAssertTrue(try broken("  postgres-data:\n", "").volumeProblems()
            .contains("service postgres mounts volume postgres-data, which the top-level volumes do not declare"))
    }

    func testServicesMayFinishDrainingBeforeTheyAreKilled() throws {
        XCTAssertEqual(try checks.stopGraceProblems(), [])
        XCTAssertTrue(try broken("stop_grace_period: 30s", "stop_grace_period: 15s").stopGraceProblems()
            .contains("service gateway is killed 15000 ms after SIGTERM, within its SHUTDOWN_GRACE_MS of 20000 ms (set stop_grace_period)"))
    }

    func testInterpolationsHaveADefaultOrAreRequired() throws {
        XCTAssertEqual(checks.interpolationProblems(), [])
        XCTAssertTrue(try broken("${JWT_KEYS:?set JWT_KEYS", "${JWT_KEYS}${UNUSED:?set JWT_KEYS").interpolationProblems()
            .contains("services.gateway.environment.JWT_KEYS: ${JWT_KEYS} has neither a default (:-) nor a required marker (:?)"))
        XCTAssertTrue(try broken("count=$$(", "count=$(").interpolationProblems().contains { $0.contains("invalid interpolation format") })
    }

    func testTheEnvExampleAndTheConfigurationListEveryHostVariable() throws {
        let example = try Repository.text("deploy/compose.env.example")
        let document = try ConfigurationDocument.text()
        XCTAssertEqual(try checks.hostVariableProblems(envExample: example, configuration: document), [])
        XCTAssertTrue(try checks.hostVariableProblems(envExample: example.replacingOccurrences(of: "\nJWT_KEYS=", with: "\n"), configuration: document)
            .contains("docker-compose.yml interpolates JWT_KEYS, which deploy/compose.env.example does not list"))
        XCTAssertTrue(try checks.hostVariableProblems(envExample: example + "\nUNUSED_SETTING=1\n", configuration: document)
            .contains("deploy/compose.env.example lists UNUSED_SETTING, which docker-compose.yml does not use"))
        let row = "| `GATEWAY_BIND_ADDRESS` | `127.0.0.1` | host address the gateway is published on |\n"
        XCTAssertTrue(document.contains(row))
        XCTAssertTrue(try checks.hostVariableProblems(envExample: example, configuration: document.replacingOccurrences(of: row, with: ""))
            .contains("docker-compose.yml interpolates GATEWAY_BIND_ADDRESS, which the .env table of docs/configuration.md does not list"))
        let extra = document.replacingOccurrences(of: row, with: row + "| `GATEWAY_HOST` | — | not used |\n")
        XCTAssertTrue(try checks.hostVariableProblems(envExample: example, configuration: extra)
            .contains("the .env table of docs/configuration.md lists GATEWAY_HOST, which docker-compose.yml does not use"))
        XCTAssertEqual(try checks.hostVariableProblems(envExample: example, configuration: document.replacingOccurrences(of: "| .env variable |", with: "| variable |")),
                       ["docs/configuration.md has no `## Compose .env` section with a `| .env variable | …` table"])
    }

    func testSecretsHaveNoDefaults() throws {
        let secrets = ["INTERNAL_TOKEN", "JWT_KEYS", "POSTGRES_PASSWORD", "COMMAND_SERVICE_DB_PASSWORD", "SEARCH_PROJECTION_DB_PASSWORD",
                       "STATS_PROJECTION_DB_PASSWORD", "DOCUMENT_STORE_DB_PASSWORD", "GATEWAY_DB_PASSWORD", "CRM_SYNC_DB_PASSWORD"]
        var kinds: [String: Set<String>] = [:]
        for (_, value) in checks.compose.scalars {
            for reference in try ComposeInterpolation.references(in: value) {
                kinds[reference.name, default: []].insert("\(reference.kind)")
            }
        }
        for secret in secrets {
            XCTAssertEqual(kinds[secret], ["required"], "\(secret) must be interpolated as ${\(secret):?…} everywhere")
        }
        XCTAssertEqual(kinds["ADMIN_PASSWORD"], ["\(ComposeInterpolation.Reference.Kind.defaulted(""))"],
                       "ADMIN_PASSWORD may only default to empty (then no admin is created)")
    }
}
