import Foundation

extension DeploymentChecks {
    /// The Dockerfile builds and copies exactly the executable products of Package.swift, from
    /// one `PRODUCTS` list that every build and copy command goes through.
    func dockerfileProductProblems() -> [String] {
        var problems: [String] = []
        guard let list = dockerfile.globalArguments["PRODUCTS"] else {
            return ["deploy/Dockerfile has no global ARG PRODUCTS listing the executables it builds"]
        }
        let listed = list.split(separator: " ").map(String.init)
        for product in products.subtracting(listed).sorted() {
            problems.append("deploy/Dockerfile does not build executable product \(product)")
        }
        for product in Set(listed).subtracting(products).sorted() {
            problems.append("deploy/Dockerfile builds \(product), which Package.swift does not declare as an executable product")
        }
        if listed.count != Set(listed).count { problems.append("deploy/Dockerfile lists a product twice in PRODUCTS") }
        guard let build = dockerfile.stages.first(where: { $0.instructions.contains { $0.keyword == "RUN" && $0.arguments.contains("swift build") } }) else {
            return problems + ["deploy/Dockerfile has no stage that runs swift build"]
        }
        if !build.arguments(of: "ARG").contains("PRODUCTS") { problems.append("the build stage does not take ARG PRODUCTS") }
        for run in build.arguments(of: "RUN") where run.contains("swift build") {
            if run.contains("--product") && !run.contains("--product \"$product\"") {
                problems.append("deploy/Dockerfile names a product outside the PRODUCTS list: \(run.prefix(120))")
            }
            if !run.contains("for product in $PRODUCTS") {
                problems.append("a swift build command in deploy/Dockerfile does not go through $PRODUCTS")
            }
        }
        let copies = build.arguments(of: "RUN").filter { $0.contains("cp ") }
        if !copies.contains(where: { $0.contains("for product in $PRODUCTS; do cp \"$bin/$product\" /out/") }) {
            problems.append("deploy/Dockerfile does not copy each of $PRODUCTS (and only them) to /out")
        }
        guard let run = dockerfile.stages.last else { return problems }
        let buildName = build.name ?? "0"
        if !run.arguments(of: "COPY").contains("--from=\(buildName) /out/ /usr/local/bin/") {
            problems.append("the run stage does not copy /out/ from the \(buildName) stage to /usr/local/bin/")
        }
        return problems
    }

    /// The build stage installs every Debian package the system-library targets name as
    /// providers; both stages start from pinned images; the service runs as a non-root user.
    func dockerfileImageProblems() -> [String] {
        var problems: [String] = []
        for stage in dockerfile.stages where !Self.isPinned(stage.image) {
            problems.append("deploy/Dockerfile stage \(stage.name ?? "?") starts from \(stage.image) without a pinned version tag")
        }
        if let build = dockerfile.stages.first(where: { $0.instructions.contains { $0.arguments.contains("swift build") } }) {
            let providers = scan.manifest.targets.values.flatMap(\.aptProviders)
            for package in Set(providers).subtracting(build.aptPackages).sorted() {
                problems.append("the build stage does not install \(package), a provider of a system-library target in Package.swift")
            }
        }
        guard let run = dockerfile.stages.last else { return ["deploy/Dockerfile has no stage"] }
        let user = run.arguments(of: "USER").last ?? "root"
        let account = user.split(separator: ":").first.map(String.init) ?? user
        if account == "root" || account == "0" {
            problems.append("deploy/Dockerfile's run stage runs as \(user), not a non-root user")
        }
        return problems
    }
}
