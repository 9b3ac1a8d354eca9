/// Why `sam local invoke` (and `start-api`, `start-lambda`) builds a function's image on every invoke,
/// whatever is already in the engine: SAM CLI 1.170's own condition (`samcli/local/docker/lambda_image.py`)
/// is `force_image_build or image_not_found or any(layer.is_defined_within_template …) or not runtime`.
/// prewarm cannot change SAM's mind for these two cases by building anything; it can only say so, and
/// (`prewarm build --for-sam`) write a configuration in which the first one no longer holds.
public struct SAMBuildReason: Sendable, Hashable {
    public enum Code: String, Sendable, Hashable {
        /// A layer of the function is a `Ref` to an `AWS::Serverless::LayerVersion` or
        /// `AWS::Lambda::LayerVersion` in the template.
        case templateLayer = "template-layer"
        /// The function has no runtime: an Image function without one of its own or from Globals.
        case noRuntime = "no-runtime"
    }
    public var code: Code
    /// One line for people: what SAM will do, why, and what helps.
    public var message: String
}

extension PlannedFunction {
    /// Why `sam local` will build this function's image on every invoke even though prewarm built it, or
    /// `nil` when `sam local` uses prewarm's image as it is (provided the image is there, the run has no
    /// `--force-image-build`, and, without `--skip-pull-image`, the base image's registry digest is current).
    public var samBuildsOnInvoke: SAMBuildReason? {
        switch samBuildCode {
        case .noRuntime?:
            return SAMBuildReason(
                code: .noRuntime,
                message: "sam local builds every function without a Runtime (an Image function with none of its own "
                    + "or from Globals) on every invoke; "
                    + "prewarm's build of SAM's own Dockerfile makes that build a cache hit on a classic builder")
        case .templateLayer?:
            let templateLayers = self.templateLayers
            return SAMBuildReason(
                code: .templateLayer,
                message: "sam local builds the image on every invoke because "
                    + (templateLayers.count == 1 ? "layer " : "layers ")
                    + templateLayers.map(\.name).joined(separator: ", ")
                    + (templateLayers.count == 1 ? " is" : " are")
                    + " defined in the template; use `prewarm build --for-sam` and the `sam local … --config-file` "
                    + "line it prints")
        case nil:
            return nil
        }
    }

    /// The code of ``samBuildsOnInvoke``, without its message: for a count of thousands of functions.
    var samBuildCode: SAMBuildReason.Code? {
        if runtime == nil { return .noRuntime }
        // SAM ignores an Image function's layers.
        guard packageType == .zip, layers.contains(where: \.isDefinedInTemplate) else { return nil }
        return .templateLayer
    }

    /// The layers defined in the template (not by ARN).
    private var templateLayers: [PlannedLayer] { layers.filter(\.isDefinedInTemplate) }
}

extension PlannedLayer {
    /// Whether the layer is defined in the template, which SAM CLI rebuilds the image for on every invoke.
    fileprivate var isDefinedInTemplate: Bool {
        if case .local = source { return true }
        return false
    }
}

extension Plan {
    /// One line for people about the functions whose image `sam local` builds on every invoke whatever
    /// prewarm built (`PlannedFunction/samBuildsOnInvoke`): how many, why, and what helps; `nil` when there
    /// are none. A function planned for two architectures counts once. `listing` names up to that many
    /// functions for each reason and counts the rest; with 0 the line counts them and says that
    /// `prewarm plan` names them.
    public func samBuildsSummary(listing: Int) -> String? {
        var names: [SAMBuildReason.Code: [String]] = [:]
        var seen: Set<String> = []
        for function in functions {
            guard let code = function.samBuildCode, seen.insert(function.name).inserted else { continue }
            names[code, default: []].append(function.name)
        }
        guard !names.isEmpty else { return nil }
        let total = names.values.map(\.count).reduce(0, +)
        var parts: [String] = []
        for code in [SAMBuildReason.Code.templateLayer, .noRuntime] {
            guard let functions = names[code] else { continue }
            let (why, help) =
                switch code {
                case .templateLayer:
                    (
                        "a layer defined in the template",
                        "use `prewarm build --for-sam` and the `sam local … --config-file` line it prints"
                    )
                case .noRuntime:
                    ("an Image function without a Runtime", "prewarm's build makes SAM's a cache hit")
                }
            if listing > 0 {
                var shown = functions.prefix(listing).joined(separator: ", ")
                if functions.count > listing { shown += " and \(functions.count - listing) more" }
                parts.append("\(shown) (\(why); \(help))")
            } else {
                parts.append(names.count == 1 ? "for \(why) (\(help))" : "\(functions.count) for \(why) (\(help))")
            }
        }
        let counted = "sam local builds the image on every invoke of \(total) function\(total == 1 ? "" : "s")"
        if listing > 0 { return "\(counted): " + parts.joined(separator: ", ") }
        return counted + (names.count == 1 ? ", " : ": ") + parts.joined(separator: ", ") + "; prewarm plan names them"
    }
}
