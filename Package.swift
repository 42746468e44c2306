// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // Warnings are defects; a setting, not an unsafe flag, so the library can be depended on by version.
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "changerec",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "changerec", targets: ["changerec"]),
        .library(name: "ChangerecKit", targets: ["ChangerecKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // Kernel calls that Swift cannot make directly: function-like macros, syscalls without a glibc
        // wrapper, variable-length kernel records.
        .target(
            name: "CChangerecLinux",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("z")]
        ),

        // The only Swift module that imports the shim or Glibc.
        .target(
            name: "ChangerecSystem",
            dependencies: [
                "CChangerecLinux",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        // The logic: journal, watcher backends, fold, recorder. No C.
        .target(
            name: "ChangerecKit",
            dependencies: [
                "ChangerecSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "changerec",
            dependencies: [
                "ChangerecKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict,
            plugins: ["GitDescription"]
        ),
        // `--version` names the commit it was built from, as `git describe` does.
        .plugin(name: "GitDescription", capability: .buildTool()),
        .target(
            name: "ChangerecTestSupport",
            dependencies: [
                "ChangerecKit", "ChangerecSystem", "CChangerecLinux",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/ChangerecTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ChangerecKitTests",
            dependencies: ["ChangerecKit", "ChangerecTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        // The system module's wrappers against the real kernel, in temporary trees.
        .testTarget(
            name: "ChangerecSystemTests",
            dependencies: ["ChangerecSystem", "ChangerecTestSupport"],
            swiftSettings: strict
        ),
        // The torture test's seeded random workload, an executable the recorder runs as its step.
        .target(name: "CChangerecTorture", path: "Tests/CChangerecTorture", cSettings: [.define("_GNU_SOURCE")]),
        .executableTarget(
            name: "changerec-torture",
            dependencies: ["CChangerecTorture"],
            path: "Tests/ChangerecTorture",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ChangerecIntegrationTests",
            // The executables are dependencies so that `swift test` builds the binaries the tests run.
            dependencies: [
                "changerec", "changerec-torture", "ChangerecKit", "ChangerecSystem", "ChangerecTestSupport",
            ],
            // Real journals and what the commands made of them when they were recorded.
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
    ]
)
