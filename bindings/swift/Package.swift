// swift-tools-version:5.9
// The Swift package of the changkaixin bindings. `bindings/run-tests.sh` fills in the generated
// sources (not committed): Sources/Changkaixin/Changkaixin.swift and
// Sources/changkaixin_ffiFFI/{module.modulemap, changkaixin_ffiFFI.h}. On Linux the Rust library
// (libchangkaixin_ffi.so) is linked from `lib/`; for iOS, replace the system-library target with a
// binaryTarget pointing at ChangkaixinFFI.xcframework (see ../README.md).
import PackageDescription

let package = Package(
    name: "Changkaixin",
    products: [
        .library(name: "Changkaixin", targets: ["Changkaixin"]),
    ],
    targets: [
        .systemLibrary(name: "changkaixin_ffiFFI", path: "Sources/changkaixin_ffiFFI"),
        .target(
            name: "Changkaixin",
            dependencies: ["changkaixin_ffiFFI"],
            path: "Sources/Changkaixin",
            linkerSettings: [.linkedLibrary("changkaixin_ffi"), .unsafeFlags(["-Llib"])]
        ),
        .executableTarget(
            name: "ChangkaixinSmoke",
            dependencies: ["Changkaixin"],
            path: "Sources/ChangkaixinSmoke"
        ),
    ]
)
