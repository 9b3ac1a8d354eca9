// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "prewarm",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "prewarm", targets: ["prewarm"]),
        .library(name: "PrewarmTemplate", targets: ["PrewarmTemplate"]),
        .library(name: "PrewarmPlan", targets: ["PrewarmPlan"]),
        .library(name: "PrewarmImage", targets: ["PrewarmImage"]),
        .library(name: "PrewarmJournal", targets: ["PrewarmJournal"]),
        .library(name: "PrewarmHTTP", targets: ["PrewarmHTTP"]),
        .library(name: "PrewarmAWS", targets: ["PrewarmAWS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "PrewarmTemplate",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "PrewarmPlan",
            dependencies: [
                "PrewarmTemplate",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "PrewarmImage",
            dependencies: ["PrewarmHTTP", "CZlib", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "PrewarmJournal", dependencies: ["CSQLite"]),
        .target(name: "PrewarmRun", dependencies: ["PrewarmPlan", "PrewarmImage", "PrewarmJournal", "PrewarmAWS"]),
        .target(
            name: "PrewarmHTTP",
            dependencies: [
                "CCurl",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "PrewarmAWS",
            dependencies: ["PrewarmHTTP", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "prewarm",
            dependencies: [
                "PrewarmPlan",
                "PrewarmRun",
                "PrewarmJournal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test support shared by the test targets; the AWS fixture (moto, lambda_server.py) needs the AWS types.
        .target(name: "PrewarmTestKit", dependencies: ["PrewarmAWS", "PrewarmHTTP"], path: "Tests/PrewarmTestKit"),
        .testTarget(name: "PrewarmTemplateTests", dependencies: ["PrewarmTemplate", "PrewarmTestKit"]),
        .testTarget(name: "PrewarmPlanTests", dependencies: ["PrewarmPlan", "PrewarmTestKit"]),
        .testTarget(
            name: "PrewarmImageTests", dependencies: ["PrewarmImage", "PrewarmTestKit", "LayerRacer", "OCIStoreWriter"]),
        // A test helper: a separate process that fetches a layer as prewarm does, so that tests can race
        // several processes on one layer cache.
        .executableTarget(name: "LayerRacer", dependencies: ["PrewarmImage", "PrewarmHTTP"], path: "Tests/LayerRacer"),
        .testTarget(name: "PrewarmRunTests", dependencies: ["PrewarmRun", "PrewarmTestKit"]),
        .testTarget(name: "PrewarmCLITests", dependencies: ["prewarm", "PrewarmJournal", "PrewarmTestKit"]),
        .testTarget(
            name: "PrewarmJournalTests",
            dependencies: ["PrewarmJournal", "CSQLite", "PrewarmTestKit", "JournalRacer"]
        ),
        // A test helper: a separate process that uses a journal as prewarm does, so that tests can
        // race several processes on one journal file.
        .executableTarget(name: "JournalRacer", dependencies: ["PrewarmJournal"], path: "Tests/JournalRacer"),
        // Benchmarks/layer-download/run.sh: downloads a layer zip with LayerStore, to compare with curl.
        .executableTarget(
            name: "LayerFetchBench",
            dependencies: ["PrewarmImage", "PrewarmHTTP"],
            path: "Benchmarks/layer-download/LayerFetchBench"
        ),
        // Benchmarks/template-fuzz/run.sh: seeded mutations of templates through the reader and planner.
        .executableTarget(
            name: "TemplateFuzz",
            dependencies: ["PrewarmTemplate", "PrewarmPlan"],
            path: "Benchmarks/template-fuzz/TemplateFuzz"
        ),
        // A test helper: a process that writes to an OCI store until a test kills it with SIGKILL.
        .executableTarget(name: "OCIStoreWriter", dependencies: ["PrewarmImage"], path: "Tests/OCIStoreWriter"),
        .testTarget(
            name: "PrewarmHTTPTests",
            dependencies: [
                "PrewarmHTTP",
                "PrewarmTestKit",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "PrewarmAWSTests",
            dependencies: [
                "PrewarmAWS", "PrewarmHTTP", "PrewarmTestKit", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)
