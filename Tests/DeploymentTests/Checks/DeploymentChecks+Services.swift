import Foundation

extension DeploymentChecks {
    /// Every executable product runs in a service built from the Dockerfile, every built
    /// service runs an executable product, every other service uses a pinned image, and no
    /// service hides variables in an env_file.
    func programProblems() -> [String] {
        var problems: [String] = []
        let run = Set(builtServices.compactMap { product(of: $0) })
        for product in products.sorted() where !run.contains(product) {
            problems.append("executable product \(product) has no service in docker-compose.yml")
        }
        for service in compose.services {
            if service.dockerfile != nil {
                if service.dockerfile != "deploy/Dockerfile" {
                    problems.append("service \(service.name) is built from \(service.dockerfile ?? "?"), not deploy/Dockerfile")
                }
                if product(of: service) == nil {
                    problems.append("service \(service.name) runs \(service.program ?? "nothing"), which is not an executable product of Package.swift")
                }
            } else if let image = service.image {
                if !Self.isPinned(image) { problems.append("service \(service.name) uses image \(image) without a pinned version tag") }
            } else {
                problems.append("service \(service.name) has neither a build nor an image")
            }
            if !service.envFiles.isEmpty {
                problems.append("service \(service.name) reads env_file \(service.envFiles.joined(separator: ", ")): set its variables in environment so they can be checked")
            }
        }
        return problems
    }

    /// Every service has a healthcheck; a service that serves HTTP probes its own /readyz or
    /// /healthz on its HTTP_PORT, with a program its image has.
    func healthcheckProblems() throws -> [String] {
        var problems: [String] = []
        let runStage = dockerfile.stages.last
        let imagePrograms = (runStage?.aptPackages ?? []).union(products)
        for service in compose.services {
            guard let test = service.healthcheck, let kind = test.first, test.count >= 2, !service.healthcheckDisabled else {
                problems.append("service \(service.name) has no healthcheck")
                continue
            }
            guard kind == "CMD" || kind == "CMD-SHELL" else {
                problems.append("service \(service.name): healthcheck test starts with \(kind), not CMD or CMD-SHELL")
                continue
            }
            guard let variables = variables(of: service) else { continue }
            let probe = kind == "CMD" ? test[1] : String(test[1].split(separator: " ").first ?? "")
            if !imagePrograms.contains(probe) {
                problems.append("service \(service.name) probes with \(probe), which deploy/Dockerfile's run stage does not install")
            }
            guard variables.reads("HTTP_PORT") else { continue }
            guard let port = try port(of: service) else {
                problems.append("service \(service.name) does not set HTTP_PORT, so its probe's port cannot be checked")
                continue
            }
            let command = test.dropFirst().joined(separator: " ")
            if !command.contains("http://127.0.0.1:\(port)/readyz") && !command.contains("http://127.0.0.1:\(port)/healthz") {
                problems.append("service \(service.name) listens on HTTP_PORT \(port) but its healthcheck does not probe http://127.0.0.1:\(port)/readyz")
            }
        }
        return problems
    }

    /// Only the gateway publishes ports (on its HTTP_PORT), and no service shares the host's network.
    func publishedPortProblems() throws -> [String] {
        var problems: [String] = []
        let gateways = builtServices.filter { product(of: $0) == "gateway" }
        for service in compose.services {
            if service.networkMode == "host" { problems.append("service \(service.name) uses the host's network") }
            let isGateway = gateways.contains { $0.name == service.name }
            if !service.ports.isEmpty && !isGateway {
                problems.append("service \(service.name) publishes \(service.ports.joined(separator: ", ")); only the gateway may")
            }
        }
        for gateway in gateways {
            if gateway.ports.isEmpty { problems.append("service \(gateway.name) (the gateway) publishes no port") }
            let port = try port(of: gateway)
            for published in gateway.ports {
                let target = published.split(separator: ":").last.map { String($0.split(separator: "/").first ?? "") }
                if target.flatMap({ Int($0) }) != port {
                    problems.append("service \(gateway.name) publishes \(published) but listens on HTTP_PORT \(port.map(String.init) ?? "unset")")
                }
            }
        }
        return problems
    }

    /// Every dependency waits for health (or, for a one-shot step, successful completion), and
    /// every service another one talks to (a `name:port` in its environment) is waited for.
    func dependencyProblems() throws -> [String] {
        var problems: [String] = []
        let names = Set(compose.services.map(\.name))
        for service in compose.services {
            for (dependency, condition) in service.dependsOn.sorted(by: { $0.key < $1.key }) {
                guard let target = compose[dependency] else {
                    problems.append("service \(service.name) depends on \(dependency), which is not a service")
                    continue
                }
                let expected = target.isOneShot ? "service_completed_successfully" : "service_healthy"
                if condition != expected {
                    problems.append("service \(service.name) waits for \(dependency) with \(condition), expected \(expected)")
                }
            }
            let waitsFor = compose.dependencies(of: service.name)
            for (variable, value) in try environment(of: service).sorted(by: { $0.key < $1.key }) {
                for other in names where other != service.name && !waitsFor.contains(other) {
                    let pattern = #"(^|[/@,])\#(NSRegularExpression.escapedPattern(for: other)):[0-9]"#
                    if !SwiftSourceFile.matches(pattern, in: value as NSString).isEmpty {
                        problems.append("service \(service.name) reaches \(other) through \(variable) but does not wait for it (depends_on)")
                    }
                }
            }
        }
        return problems
    }

    /// Named volumes are declared, and data that must outlive a container lives on one:
    /// PostgreSQL's data directory, the broker's log directories, and every `*_DIRECTORY` a
    /// service is given.
    func volumeProblems() throws -> [String] {
        var problems: [String] = []
        for service in compose.services {
            for mount in service.mounts where mount.isNamedVolume && !compose.volumes.contains(mount.source) {
                problems.append("service \(service.name) mounts volume \(mount.source), which the top-level volumes do not declare")
            }
            let environment = try environment(of: service)
            var persistent: [(String, String)] = []
            if service.image?.hasPrefix("postgres:") == true {
                persistent.append(("PGDATA", environment["PGDATA"] ?? "/var/lib/postgresql/data"))
            }
            if let logDirectories = environment["KAFKA_LOG_DIRS"] {
                persistent += logDirectories.split(separator: ",").map { ("KAFKA_LOG_DIRS", String($0)) }
            } else if service.image?.hasPrefix("apache/kafka") == true && !service.isOneShot {
                problems.append("service \(service.name) does not set KAFKA_LOG_DIRS (the image's default is under /tmp)")
            }
            if service.dockerfile != nil {
                persistent += environment.filter { $0.key.hasSuffix("_DIRECTORY") }.map { ($0.key, $0.value) }
            }
            for (variable, directory) in persistent {
                let onVolume = service.mounts.contains { mount in
                    mount.isNamedVolume && (directory == mount.target || directory.hasPrefix(mount.target + "/"))
                }
                if !onVolume {
                    problems.append("service \(service.name) keeps \(variable) (\(directory)) outside a named volume")
                }
            }
        }
        return problems
    }

    /// A built service is given longer to stop than its SHUTDOWN_GRACE_MS, so it is not
    /// killed while draining.
    func stopGraceProblems() throws -> [String] {
        var problems: [String] = []
        for service in builtServices {
            guard let variables = variables(of: service), variables.reads("SHUTDOWN_GRACE_MS"),
                  let grace = try effectiveValue("SHUTDOWN_GRACE_MS", of: service).flatMap({ Int($0) }) else { continue }
            // Compose's default stop timeout is 10 s.
            let period = service.stopGracePeriod.flatMap(Self.milliseconds(ofDuration:)) ?? 10_000
            if period <= grace {
                problems.append("service \(service.name) is killed \(period) ms after SIGTERM, within its SHUTDOWN_GRACE_MS of \(grace) ms (set stop_grace_period)")
            }
        }
        return problems
    }
}
