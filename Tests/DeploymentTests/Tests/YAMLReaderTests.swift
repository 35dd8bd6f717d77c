import XCTest

final class YAMLReaderTests: XCTestCase {
    func testReadsMappingsListsFlowCollectionsAndQuotedScalars() throws {
        let node = try YAMLReader.parse("""
        # a comment
        name: clientele
        services:
          gateway:
            image: "clientele:0.1.0"   # trailing comment
            restart: "no"
            command: ["gateway", 'it''s', "a # not a comment"]
            depends_on:
              postgres: { condition: service_healthy }
            ports:
            - "8080:8080"
            - 9090:9090
            environment:
              URL: http://gateway:8080/x#y
              EMPTY:
              TILDE: ~
        """)
        let gateway = try XCTUnwrap(node["services"]?["gateway"])
        XCTAssertEqual(node["name"], .scalar("clientele"))
        XCTAssertEqual(gateway["image"], .scalar("clientele:0.1.0"))
        XCTAssertEqual(gateway["restart"], .scalar("no"))
        XCTAssertEqual(gateway["command"], .sequence([.scalar("gateway"), .scalar("it's"), .scalar("a # not a comment")]))
        XCTAssertEqual(gateway["depends_on"]?["postgres"]?["condition"], .scalar("service_healthy"))
        XCTAssertEqual(gateway["ports"], .sequence([.scalar("8080:8080"), .scalar("9090:9090")]))
        XCTAssertEqual(gateway["environment"]?["URL"], .scalar("http://gateway:8080/x#y"))
        XCTAssertEqual(gateway["environment"]?["EMPTY"], .null)
        XCTAssertEqual(gateway["environment"]?["TILDE"], .null)
        XCTAssertEqual(gateway.mapping?.keys, ["image", "restart", "command", "depends_on", "ports", "environment"])
    }

    func testListsOfMappingsAndNestedLists() throws {
        let node = try YAMLReader.parse("""
        volumes:
          - type: volume
            source: data
            target: /data
          - - inner
            - list
        """)
        let items = try XCTUnwrap(node["volumes"]?.sequence)
        XCTAssertEqual(items.count, 2)
        XCTAssertEqual(items[0]["source"], .scalar("data"))
        XCTAssertEqual(items[0]["target"], .scalar("/data"))
        XCTAssertEqual(items[1], .sequence([.scalar("inner"), .scalar("list")]))
    }

    func testAnchorsAliasesAndMergeKeysLetWrittenKeysWin() throws {
        let node = try YAMLReader.parse("""
        x-common: &common
          LOG_LEVEL: info
          HTTP_HOST: 0.0.0.0
        x-kafka: &kafka
          LOG_LEVEL: debug
          KAFKA_BOOTSTRAP_SERVERS: kafka:9092
        one:
          <<: [*common, *kafka]
          HTTP_PORT: "8181"
        two:
          HTTP_HOST: 127.0.0.1
          <<: *common
        copy: *kafka
        """)
        XCTAssertEqual(node["one"]?.mapping?.keys, ["HTTP_PORT", "LOG_LEVEL", "HTTP_HOST", "KAFKA_BOOTSTRAP_SERVERS"])
        XCTAssertEqual(node["one"]?["LOG_LEVEL"], .scalar("info"), "the first merged mapping wins over later ones")
        XCTAssertEqual(node["two"]?["HTTP_HOST"], .scalar("127.0.0.1"), "a written key wins over a merged one, wherever it is")
        XCTAssertEqual(node["copy"]?["KAFKA_BOOTSTRAP_SERVERS"], .scalar("kafka:9092"))
    }

    func testBlockScalars() throws {
        let node = try YAMLReader.parse("""
        literal: |
          set -eu
          echo "$$X" \\
            --flag

        strip: |-
          one
          two
        folded: >-
          a b
          c

          d
        after: end
        """)
        XCTAssertEqual(node["literal"], .scalar("set -eu\necho \"$$X\" \\\n  --flag\n"))
        XCTAssertEqual(node["strip"], .scalar("one\ntwo"))
        XCTAssertEqual(node["folded"], .scalar("a b c\nd"))
        XCTAssertEqual(node["after"], .scalar("end"))
    }

    func testRefusesWhatItCannotReadWithTheLine() {
        let cases: [(String, Int, String)] = [
            ("a: 1\nb: 2\na: 3\n", 3, "duplicate key"),
            ("a:\n\tb: 1\n", 2, "tabs"),
            ("a: *missing\n", 1, "unknown alias"),
            ("a: [1,\n  2]\n", 1, "multi-line flow"),
            ("a:\n  b: 1\n    c: 2\n", 3, "unexpected indentation"),
            ("a: \"open\n", 1, "unterminated"),
        ]
        for (text, line, message) in cases {
            XCTAssertThrowsError(try YAMLReader.parse(text), text) { error in
                let failure = error as? YAMLReader.Failure
                XCTAssertEqual(failure?.line, line, text)
                XCTAssertTrue(failure?.message.contains(message) == true, "\(text): \(String(describing: error))")
            }
        }
    }
}
