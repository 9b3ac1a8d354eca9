// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "prewarm",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "prewarm", targets: ["prewarm"]),
        .library(name: "PrewarmTemplate", targets: ["PrewarmTemplate"]),
        .library(name: "PrewarmSAMConfig", targets: ["PrewarmSAMConfig"]),
        .library(name: "PrewarmPlan", targets: ["PrewarmPlan"]),
        .library(name: "PrewarmImage", targets: ["PrewarmImage"]),
        .library(name: "PrewarmOCI", targets: ["PrewarmOCI"]),
        .library(name: "PrewarmArchive", targets: ["PrewarmArchive"]),
        .library(name: "PrewarmLayers", targets: ["PrewarmLayers"]),
        .library(name: "PrewarmRun", targets: ["PrewarmRun"]),
        .library(name: "PrewarmJournal", targets: ["PrewarmJournal"]),
        .library(name: "PrewarmHTTP", targets: ["PrewarmHTTP"]),
        .library(name: "PrewarmAWS", targets: ["PrewarmAWS"]),
        // `PrewarmError`, which every module's error adopts, for a program that catches any of them.
        .library(name: "PrewarmSupport", targets: ["PrewarmSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
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
            dependencies: ["PrewarmSupport", .product(name: "Yams", package: "Yams")]
        ),
        // SAM CLI's samconfig.toml, read as SAM reads it (environments, command sections, global), and written; and
        // what `sam build` recorded in .aws-sam/build.toml, to tell a stale build.
        .target(
            name: "PrewarmSAMConfig",
            dependencies: [
                .product(name: "TOMLKit", package: "TOMLKit"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "PrewarmPlan",
            dependencies: [
                "PrewarmTemplate",
                "PrewarmSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Locks, file locks, atomic writes, hex, POSIX errors, and `PrewarmError`, which every module's error adopts.
        .target(name: "PrewarmSupport"),
        // Reproducible tar writing, tar reading, a safe zip reader over zlib, content digests.
        .target(
            name: "PrewarmArchive",
            dependencies: ["PrewarmSupport", "CZlib", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // OCI content types, image references, and the registry client (pull, push, auth, mirrors).
        .target(
            name: "PrewarmOCI",
            dependencies: [
                "PrewarmSupport", "PrewarmArchive", "PrewarmHTTP", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // SAM CLI's layer cache: verified downloads and safe extraction of layer zips.
        .target(name: "PrewarmLayers", dependencies: ["PrewarmSupport", "PrewarmArchive", "PrewarmHTTP"]),
        // The engines: the ImageEngine protocol, DockerEngine, and the daemonless OCIStore.
        .target(
            name: "PrewarmImage",
            dependencies: [
                "PrewarmSupport", "PrewarmArchive", "PrewarmOCI", "PrewarmHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "PrewarmJournal", dependencies: ["CSQLite", "PrewarmSupport"]),
        .target(
            name: "PrewarmRun",
            dependencies: [
                "PrewarmSupport", "PrewarmTemplate", "PrewarmPlan", "PrewarmArchive", "PrewarmOCI", "PrewarmLayers",
                "PrewarmImage", "PrewarmJournal", "PrewarmHTTP", "PrewarmAWS", "PrewarmSAMConfig",
            ]
        ),
        .target(
            name: "PrewarmHTTP",
            dependencies: [
                "CCurl",
                "PrewarmSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "PrewarmAWS",
            dependencies: ["PrewarmSupport", "PrewarmHTTP", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "prewarm",
            dependencies: [
                "PrewarmSupport", "PrewarmTemplate", "PrewarmPlan", "PrewarmOCI", "PrewarmLayers", "PrewarmImage",
                "PrewarmJournal", "PrewarmHTTP", "PrewarmAWS", "PrewarmRun", "PrewarmSAMConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test support shared by the test targets; the AWS fixture (moto, lambda_server.py) needs the AWS types,
        // docker contexts a SHA-256, DirectoryEngine (a third engine) the ImageEngine protocol.
        .target(
            name: "PrewarmTestKit",
            dependencies: [
                "PrewarmAWS", "PrewarmHTTP", "PrewarmImage", "PrewarmOCI", "PrewarmSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/PrewarmTestKit"),
        .testTarget(name: "PrewarmTemplateTests", dependencies: ["PrewarmTemplate", "PrewarmTestKit"]),
        .testTarget(name: "PrewarmSAMConfigTests", dependencies: ["PrewarmSAMConfig", "PrewarmTestKit"]),
        .testTarget(name: "PrewarmPlanTests", dependencies: ["PrewarmPlan", "PrewarmSupport", "PrewarmTestKit"]),
        .testTarget(
            name: "PrewarmImageTests",
            dependencies: [
                "PrewarmImage", "PrewarmOCI", "PrewarmArchive", "PrewarmSupport", "PrewarmTestKit", "OCIStoreWriter",
            ]
        ),
        .testTarget(
            name: "PrewarmArchiveTests",
            dependencies: ["PrewarmArchive", "PrewarmLayers", "PrewarmSupport", "PrewarmTestKit"]
        ),
        .testTarget(
            name: "PrewarmOCITests",
            dependencies: ["PrewarmOCI", "PrewarmArchive", "PrewarmSupport", "PrewarmHTTP", "PrewarmTestKit"]
        ),
        .testTarget(
            name: "PrewarmLayersTests",
            dependencies: [
                "PrewarmLayers", "PrewarmArchive", "PrewarmSupport", "PrewarmHTTP", "PrewarmTestKit", "LayerRacer",
            ]
        ),
        // A test helper: a separate process that fetches a layer as prewarm does, so that tests can race
        // several processes on one layer cache.
        .executableTarget(
            name: "LayerRacer", dependencies: ["PrewarmLayers", "PrewarmHTTP"], path: "Tests/LayerRacer"),
        // The README's "Use as a library" example, word for word (LibraryExampleTests checks it, and runs it).
        .executableTarget(name: "LibraryExample", dependencies: ["PrewarmRun"], path: "examples/library"),
        .testTarget(
            name: "PrewarmRunTests",
            dependencies: [
                "PrewarmRun", "PrewarmPlan", "PrewarmTemplate", "PrewarmImage", "PrewarmOCI", "PrewarmJournal",
                "PrewarmSupport", "PrewarmHTTP", "PrewarmTestKit", "LibraryExample",
            ]
        ),
        .testTarget(
            name: "PrewarmCLITests",
            dependencies: [
                "prewarm", "PrewarmJournal", "PrewarmTestKit", "PrewarmSupport", "PrewarmArchive", "PrewarmImage",
                "PrewarmTemplate", "OCIStoreWriter",
            ]
        ),
        .testTarget(
            name: "PrewarmJournalTests",
            dependencies: ["PrewarmJournal", "CSQLite", "PrewarmTestKit", "JournalRacer"]
        ),
        // A test helper: a separate process that uses a journal as prewarm does, so that tests can
        // race several processes on one journal file.
        .executableTarget(
            name: "JournalRacer", dependencies: ["PrewarmJournal", "PrewarmSupport"], path: "Tests/JournalRacer"),
        // Benchmarks/layer-download/run.sh: downloads a layer zip with LayerStore, to compare with curl.
        .executableTarget(
            name: "LayerFetchBench",
            dependencies: ["PrewarmLayers", "PrewarmHTTP"],
            path: "Benchmarks/layer-download/LayerFetchBench"
        ),
        // Benchmarks/oci-scale/run.sh: builds N images into one OCI store through the store alone.
        .executableTarget(
            name: "OCIScaleBench", dependencies: ["PrewarmImage", "PrewarmOCI"],
            path: "Benchmarks/oci-scale/OCIScaleBench"),
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
                "PrewarmSupport",
                "PrewarmTestKit",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "PrewarmAWSTests",
            dependencies: [
                "PrewarmAWS", "PrewarmHTTP", "PrewarmSupport", "PrewarmTestKit",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)
