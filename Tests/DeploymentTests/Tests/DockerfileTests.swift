import XCTest

final class DockerfileTests: XCTestCase {
    private var checks: DeploymentChecks!
    private var text = ""

    override func setUpWithError() throws {
        checks = try DeploymentChecks.load()
        text = try Repository.text("deploy/Dockerfile")
    }

    private func broken(_ old: String, _ new: String) -> DeploymentChecks {
        XCTAssertTrue(text.contains(old), "deploy/Dockerfile no longer contains \(old)")
        var copy = checks!
        copy.dockerfile = Dockerfile(text: text.replacingOccurrences(of: old, with: new))
        return copy
    }

    func testBuildsExactlyTheExecutableProductsOfThePackage() {
        XCTAssertEqual(checks.dockerfileProductProblems(), [])
        XCTAssertEqual(Set(checks.dockerfile.globalArguments["PRODUCTS"]?.split(separator: " ").map(String.init) ?? []),
                       checks.products)
        XCTAssertTrue(broken(" crm-sync clientctl\"", " clientctl\"").dockerfileProductProblems()
            .contains("deploy/Dockerfile does not build executable product crm-sync"))
        XCTAssertTrue(broken(" clientctl\"", " clientctl migrate\"").dockerfileProductProblems()
            .contains("deploy/Dockerfile builds migrate, which Package.swift does not declare as an executable product"))
    }

    func testStartsFromPinnedImagesInstallsTheLibrariesAndRunsAsNonRoot() {
        XCTAssertEqual(checks.dockerfileImageProblems(), [])
        XCTAssertTrue(broken("USER 10001:10001", "USER root").dockerfileImageProblems()
            .contains("deploy/Dockerfile's run stage runs as root, not a non-root user"))
        XCTAssertTrue(broken("FROM debian:12.8-slim AS run", "FROM debian:bookworm-slim AS run").dockerfileImageProblems()
            .contains("deploy/Dockerfile stage run starts from debian:bookworm-slim without a pinned version tag"))
        XCTAssertTrue(broken("libpq-dev librdkafka-dev", "libpq-dev").dockerfileImageProblems()
            .contains("the build stage does not install librdkafka-dev, a provider of a system-library target in Package.swift"))
    }

    func testTheRunStageHasTheHealthcheckProbeAndTheRuntimeLibraries() {
        let run = checks.dockerfile.stages.last
        for package in ["libpq5", "librdkafka1", "libssl3", "curl"] {
            XCTAssertTrue(run?.aptPackages.contains(package) == true, "the run stage installs \(package)")
        }
        XCTAssertTrue(try broken("ca-certificates curl tzdata", "ca-certificates tzdata").healthcheckProblems()
            .contains("service gateway probes with curl, which deploy/Dockerfile's run stage does not install"))
    }
}
