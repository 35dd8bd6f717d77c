import Foundation

/// docs/configuration.md, where every variable is documented: the tables `DeploymentChecks`
/// holds the sources, the local stack script and docker-compose.yml to.
enum ConfigurationDocument {
    static let path = "docs/configuration.md"

    /// One table of the document: the `## ` section it is in and its first header cell.
    struct Table {
        var section: String
        var firstHeader: String
        /// How failure messages name it.
        var name: String

        /// The table in `document`; nil when the section or the table is missing.
        func find(in document: String) -> MarkdownSection.Table? {
            MarkdownSection.find(section, in: document)?.table(firstHeader)
        }

        /// The failure when `find` finds nothing.
        var missing: String {
            "\(ConfigurationDocument.path) has no `## \(section)` section with a `| \(firstHeader) | …` table"
        }
    }

    /// Every variable an executable reads: default, readers, meaning.
    static let serviceVariables = Table(section: "Service variables", firstHeader: "variable",
                                        name: "the service variables table of \(path)")
    /// The local stack script's own settings.
    static let localStack = Table(section: "Local stack", firstHeader: "local stack variable",
                                  name: "the local stack table of \(path)")
    /// The host variables docker-compose.yml interpolates.
    static let composeEnvironment = Table(section: "Compose .env", firstHeader: ".env variable",
                                          name: "the .env table of \(path)")

    /// The repository's document.
    static func text() throws -> String {
        try Repository.text(path)
    }
}
