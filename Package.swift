// swift-tools-version:6.0
// meshtop — a terminal console for service-mesh operators.
// Targets follow docs/architecture.md §2: one-way data flow from sources to views.
import PackageDescription

let package = Package(
    name: "meshtop",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "meshtop", targets: ["meshtop"]),
        .library(name: "MeshModel", targets: ["MeshModel"]),
        .library(name: "MeshSim", targets: ["MeshSim"]),
        .library(name: "MeshSources", targets: ["MeshSources"]),
        .executable(name: "meshtop-bench", targets: ["meshtop-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .target(name: "MeshModel"),
        .target(
            name: "MeshSources",
            dependencies: [
                "MeshModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "MeshPoller", dependencies: ["MeshModel", "MeshSources"]),
        // One feed for every mode: poll -> derive -> publish -> record, time travel, the effect runner.
        .target(name: "MeshFeed", dependencies: ["MeshModel", "MeshSources", "MeshPoller", "MeshStore", "MeshUI"]),
        .target(name: "MeshStore", dependencies: ["MeshModel", .product(name: "GRDB", package: "GRDB.swift"),
                                                .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        .target(name: "MeshUI", dependencies: ["MeshModel", .product(name: "Yams", package: "Yams")]),
        .systemLibrary(name: "CNCurses"),
        // The test wing: launchers (simulator in process and as a child, Prometheus, the meshtop
        // binary), the fixtures locator, the tmux driver and golden diffs, for every test target
        // and the benchmarks.
        .target(name: "MeshTestSupport", dependencies: ["MeshSim", "MeshSources", "MeshModel", .product(name: "GRDBSQLite", package: "GRDB.swift"),
                                                   .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                                                   .product(name: "NIOHTTP1", package: "swift-nio"),
                                                   .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .target(name: "MeshTerminal", dependencies: ["MeshUI", "MeshModel", "CNCurses"]),
        .target(
            name: "MeshSim",
            dependencies: [
                "MeshModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "meshtop",
            dependencies: [
                "MeshModel",
                "MeshSim",
                "MeshSources",
                "MeshPoller",
                "MeshFeed",
                "MeshUI",
                "MeshTerminal",
                "MeshStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "meshtop-bench",
            dependencies: [
                "MeshSim",
                "MeshSources",
                "MeshUI",
                "MeshModel",
                "MeshTestSupport",
                "MeshStore",
                "MeshPoller",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Fuzz targets for the decoders (Fuzz/README.md): libFuzzer with -sanitize=fuzzer -DFUZZING,
        // a corpus replay tool otherwise.
        .executableTarget(name: "meshtop-fuzz", dependencies: ["MeshSources"]),
        .testTarget(name: "MeshModelTests", dependencies: ["MeshModel", "MeshTestSupport"]),
        .testTarget(name: "MeshStoreTests", dependencies: ["MeshStore", "MeshModel", "MeshTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "MeshUITests", dependencies: ["MeshUI", "MeshModel", "MeshTestSupport"]),
        .testTarget(name: "MeshSourcesTests", dependencies: ["MeshSources", "MeshModel", "MeshSim", "MeshTestSupport"]),
        .testTarget(name: "MeshFeedTests", dependencies: ["MeshFeed", "MeshPoller", "MeshSources", "MeshStore", "MeshUI", "MeshModel", "MeshSim",
                                                    "MeshTestSupport"]),
        .testTarget(name: "MeshPollerTests", dependencies: ["MeshPoller", "MeshSources", "MeshModel", "MeshSim", "MeshStore", "MeshTestSupport"]),
        .testTarget(
            name: "MeshSimTests",
            dependencies: [
                "MeshSim",
                "MeshModel",
                "MeshTestSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Tests that run child processes (the meshtop binary, tmux, Prometheus, the fuzzers).
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "MeshTestSupport", "MeshSim", "MeshSources", "MeshModel", "MeshStore", "MeshPoller",
            ]
        ),
    ]
)
