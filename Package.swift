// swift-tools-version: 6.0
//
// Clientele: one gateway over one event-sourced store of clients.
//
// Layout: C system libraries and the Swift modules wrapping them live under Shared/,
// one executable per service under Services/, tests under Tests/. No Swift package
// dependencies: Foundation, Glibc, Dispatch and XCTest, plus libpq, librdkafka and
// OpenSSL's libcrypto through the system-library targets below.
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode with strict concurrency.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Clientele",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gateway", targets: ["Gateway"]),
        .executable(name: "command-service", targets: ["CommandService"]),
        .executable(name: "search-projection", targets: ["SearchProjection"]),
        .executable(name: "stats-projection", targets: ["StatsProjection"]),
        .executable(name: "document-store", targets: ["DocumentStore"]),
        .executable(name: "crm-sync", targets: ["CRMSync"]),
        .executable(name: "clientctl", targets: ["ClientCtl"]),
    ],
    targets: [
        // MARK: C libraries (module map and header only)
        .systemLibrary(name: "CLibPQ", path: "Shared/CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CRdKafka", path: "Shared/CRdKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLibCrypto", path: "Shared/CLibCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibSSL", path: "Shared/CLibSSL", pkgConfig: "libssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLinuxIO", path: "Shared/CLinuxIO"),
        // sync_file_range for the document store, whose FileIO is its only importer.
        .systemLibrary(name: "CFileSync", path: "Shared/CFileSync"),

        // MARK: Swift wrappers of the C libraries (the only importers of the C modules)
        .target(name: "Postgres", dependencies: ["CLibPQ", "Coordination", "Errors", "JSON"], path: "Shared/Postgres",
                swiftSettings: strictSettings),
        .target(name: "Kafka", dependencies: ["CRdKafka", "Errors"], path: "Shared/Kafka",
                swiftSettings: strictSettings),
        .target(name: "Crypto", dependencies: ["CLibCrypto", "Errors"], path: "Shared/Crypto",
                swiftSettings: strictSettings),
        .target(name: "TLS", dependencies: ["CLibSSL", "Errors"], path: "Shared/TLS",
                swiftSettings: strictSettings),

        // MARK: Shared layers
        .target(name: "Errors", path: "Shared/Errors", swiftSettings: strictSettings),
        // JSON values, the strict parser, the field reader and the serialiser: below HTTP so the
        // domain codes events with them (for the command service and every projection)
        // without depending on HTTP.
        .target(name: "JSON", path: "Shared/JSON", swiftSettings: strictSettings),
        .target(name: "HTTP", dependencies: ["CLinuxIO", "Coordination", "Errors", "JSON", "TLS"], path: "Shared/HTTP",
                swiftSettings: strictSettings),
        // Concurrency primitives every layer may use: signals, locks, waiters, retry with backoff,
        // threads for blocking calls.
        .target(name: "Coordination", path: "Shared/Coordination", swiftSettings: strictSettings),
        .target(name: "ServiceRuntime", dependencies: ["HTTP", "Errors", "Crypto", "Coordination"], path: "Shared/ServiceRuntime",
                swiftSettings: strictSettings),

        .target(name: "ClientDomain", dependencies: ["Errors", "JSON"], path: "Shared/ClientDomain",
                swiftSettings: strictSettings),
        // The log both sides share: the stored event and its CloudEvents binding to Kafka (with
        // the log epoch header). The write side appends and relays; the projections read. The
        // envelope stays in ClientDomain, which owns it and knows nothing of Kafka.
        .target(name: "EventLog", dependencies: ["ClientDomain", "Kafka", "ServiceRuntime", "Crypto", "JSON"], path: "Shared/EventLog",
                swiftSettings: strictSettings),
        .target(name: "EventStore", dependencies: ["ClientDomain", "EventLog", "Postgres", "Kafka", "ServiceRuntime", "Errors",
                                                   "Coordination", "Crypto"],
                path: "Shared/EventStore", swiftSettings: strictSettings),
        .target(name: "InternalAPI", dependencies: ["ClientDomain", "JSON", "Errors", "Coordination"], path: "Shared/InternalAPI",
                swiftSettings: strictSettings),
        .target(name: "Projection", dependencies: ["EventLog", "ClientDomain", "InternalAPI", "Postgres", "Kafka",
                                                   "ServiceRuntime", "Errors", "Coordination"],
                path: "Shared/Projection", swiftSettings: strictSettings),
        // How a projection service keeps its projection: runner, rebuild, read-your-writes, internal routes.
        .target(name: "ProjectionHosting", dependencies: ["Projection", "InternalAPI", "Infrastructure", "ServiceRuntime", "HTTP",
                                                          "Postgres", "Kafka", "Errors", "EventLog"],
                path: "Shared/ProjectionHosting", swiftSettings: strictSettings),
        .target(name: "SearchReadModel", dependencies: ["JSON", "Projection", "EventLog", "InternalAPI", "ClientDomain", "Postgres"],
                path: "Shared/SearchReadModel", swiftSettings: strictSettings),
        .target(name: "StatsReadModel", dependencies: ["Projection", "EventLog", "InternalAPI", "ClientDomain", "Postgres"],
                path: "Shared/StatsReadModel", swiftSettings: strictSettings),
        .target(name: "Identity", dependencies: ["Crypto", "Postgres", "Errors", "JSON", "ClientDomain", "Coordination"], path: "Shared/Identity",
                swiftSettings: strictSettings),
        // The CRM sync's logic without I/O: the HubSpot contacts contract, the property mapping
        // and the sync schedule (ordering, coalescing, batching, retries, dead letters).
        .target(name: "CRM", dependencies: ["ClientDomain", "JSON", "Coordination"], path: "Shared/CRM",
                swiftSettings: strictSettings),
        .target(name: "Infrastructure", dependencies: ["ServiceRuntime", "HTTP", "Postgres", "Kafka", "EventLog", "InternalAPI",
                                                       "Crypto", "Errors", "JSON"],
                path: "Shared/Infrastructure", swiftSettings: strictSettings),

        // MARK: Services
        .executableTarget(name: "Gateway", dependencies: ["ServiceRuntime", "Infrastructure", "HTTP", "JSON", "Crypto", "Identity",
                                                         "InternalAPI", "ClientDomain", "Coordination", "Errors"],
                          path: "Services/Gateway", swiftSettings: strictSettings),
        .executableTarget(name: "CommandService",
                          dependencies: ["ServiceRuntime", "Infrastructure", "HTTP", "Postgres", "Kafka", "EventLog", "EventStore",
                                         "InternalAPI", "ClientDomain", "Crypto", "Coordination", "Errors"],
                          path: "Services/CommandService", swiftSettings: strictSettings),
        .executableTarget(name: "SearchProjection",
                          dependencies: ["ServiceRuntime", "Infrastructure", "HTTP", "ProjectionHosting", "SearchReadModel",
                                         "InternalAPI", "ClientDomain", "Coordination", "Errors"],
                          path: "Services/SearchProjection", swiftSettings: strictSettings),
        .executableTarget(name: "StatsProjection",
                          dependencies: ["ServiceRuntime", "Infrastructure", "HTTP", "ProjectionHosting", "StatsReadModel",
                                         "InternalAPI", "ClientDomain", "Errors"],
                          path: "Services/StatsProjection", swiftSettings: strictSettings),
        .executableTarget(name: "DocumentStore", dependencies: ["ServiceRuntime", "Infrastructure", "HTTP", "Postgres", "Crypto",
                                                               "ClientDomain", "InternalAPI", "Errors", "Coordination", "CFileSync"],
                          path: "Services/DocumentStore", swiftSettings: strictSettings),
        .executableTarget(name: "CRMSync", dependencies: ["ServiceRuntime", "Infrastructure", "CRM", "Crypto", "Projection", "EventLog",
                                                         "ClientDomain", "Postgres", "HTTP", "JSON", "Errors", "Coordination", "TLS",
                                                         "InternalAPI"],
                          path: "Services/CRMSync", swiftSettings: strictSettings),
        .executableTarget(name: "ClientCtl", dependencies: ["ServiceRuntime", "HTTP", "Postgres", "Identity", "InternalAPI", "Errors", "ClientDomain"],
                          path: "Services/ClientCtl", swiftSettings: strictSettings),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["Postgres", "Kafka", "HTTP", "JSON", "TLS"],
                path: "Tests/TestSupport", swiftSettings: strictSettings),
        // The fake CRM as a process (deploy/local/run.sh with CRM_FAKE=1, the CRM sync benchmark);
        // not a product: nothing deploys it.
        .executableTarget(name: "FakeCRMServer", dependencies: ["TestSupport"], path: "Tests/FakeCRMServer",
                          swiftSettings: strictSettings),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "Errors", "JSON", "Coordination", "TestSupport", "TLS"], path: "Tests/HTTPTests",
                    swiftSettings: strictSettings),
        .testTarget(name: "ClientDomainTests", dependencies: ["ClientDomain", "Errors", "JSON"], path: "Tests/ClientDomainTests",
                    swiftSettings: strictSettings),
        .testTarget(name: "CoordinationTests", dependencies: ["Coordination", "TestSupport"], path: "Tests/CoordinationTests",
                    swiftSettings: strictSettings),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto", "Errors", "TestSupport"], path: "Tests/CryptoTests",
                    swiftSettings: strictSettings),
        .testTarget(name: "ServiceRuntimeTests", dependencies: ["ServiceRuntime", "HTTP", "Errors", "Coordination", "TestSupport"],
                    path: "Tests/ServiceRuntimeTests", swiftSettings: strictSettings),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport", "Errors"],
                    path: "Tests/PostgresTests", swiftSettings: strictSettings),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "TestSupport"],
                    path: "Tests/KafkaTests", swiftSettings: strictSettings),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "ClientDomain", "Crypto", "JSON"], path: "Tests/EventLogTests",
                    swiftSettings: strictSettings),
        .testTarget(name: "EventStoreTests", dependencies: ["EventStore", "EventLog", "ClientDomain", "TestSupport", "Postgres", "Kafka",
                                                            "Coordination", "Errors", "ServiceRuntime", "Crypto"],
                    path: "Tests/EventStoreTests", swiftSettings: strictSettings),
        .testTarget(name: "ProjectionTests", dependencies: ["Projection", "SearchReadModel", "StatsReadModel", "EventStore", "EventLog",
                                                            "ClientDomain", "TestSupport", "Postgres", "Kafka", "InternalAPI", "HTTP",
                                                            "Errors", "Coordination", "ServiceRuntime", "JSON", "Infrastructure"],
                    path: "Tests/ProjectionTests", swiftSettings: strictSettings),
        .testTarget(name: "CRMTests", dependencies: ["CRM", "ClientDomain", "JSON", "HTTP", "TestSupport"], path: "Tests/CRMTests",
                    swiftSettings: strictSettings),
        .testTarget(name: "StatsReadModelTests", dependencies: ["StatsReadModel", "Projection", "ClientDomain", "InternalAPI"],
                    path: "Tests/StatsReadModelTests", swiftSettings: strictSettings),
        .testTarget(name: "IdentityTests", dependencies: ["Identity", "TestSupport", "Postgres", "Errors", "Crypto", "ClientDomain"],
                    path: "Tests/IdentityTests", swiftSettings: strictSettings),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "HTTP", "InternalAPI", "ClientDomain", "Errors", "JSON",
                                                         "ServiceRuntime", "Identity", "Postgres", "Crypto", "Coordination", "TestSupport"],
                    path: "Tests/GatewayTests", swiftSettings: strictSettings),
        .testTarget(name: "DocumentStoreTests", dependencies: ["DocumentStore", "ClientDomain", "Errors"], path: "Tests/DocumentStoreTests",
                    swiftSettings: strictSettings),
        // Checks docker-compose.yml, deploy/ and docs/configuration.md against Package.swift and
        // the sources (reads files and runs `swift package dump-package`; no other dependency).
        .testTarget(name: "DeploymentTests", path: "Tests/DeploymentTests", swiftSettings: strictSettings),
        .testTarget(name: "IntegrationTests", dependencies: ["TestSupport", "HTTP", "Kafka", "Postgres", "Identity", "Infrastructure",
                                                             "ClientDomain", "Crypto", "EventLog", "EventStore"],
                    path: "Tests/IntegrationTests", swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)
