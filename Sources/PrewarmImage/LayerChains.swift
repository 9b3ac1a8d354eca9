/// The layer chains a ``DockerEngine`` loaded in this process, so that a layer shared by several images
/// is sent and unpacked once.
///
/// dockerd's `POST /images/load` reads no layer whose chain it already has: the same base, then the same
/// layers in the same order (the chain ID of the OCI image spec). prewarm's images on one base share the
/// emulator's layer, and images whose Lambda layers start alike share those too (a function with
/// `[Common]` and one with `[Common, Extra]`). Each chain is named here by its base's image ID and the
/// content keys of its layers. The first build to need a chain claims it and sends its layers; a build
/// that needs a chain with a Lambda layer being loaded waits for that load and then sends only what
/// follows it. (One that would wait only for the emulator's layer, a single file, sends it again
/// instead: waiting cost more than that in `Benchmarks/build-speed`.) A build that claimed chains always
/// ends its claim (``finish(_:loaded:diffIDs:)``), so waiting never deadlocks: nobody waits while holding
/// a claim.
actor LayerChains {
    private var loaded: Set<String> = []
    private var loading: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// Diff IDs of the layers of loaded chains, by layer key.
    private var diffIDs: [String: String] = [:]

    /// How many of `chains` (an image's chains, one per layer it adds, shortest first, the emulator's first)
    /// the engine has, waiting first for a load under way of the longest one that is known, unless that is
    /// the emulator's alone. The rest are then the caller's: it loads them and calls
    /// ``finish(_:loaded:diffIDs:)`` for them.
    func claim(_ chains: [String]) async -> Int {
        while true {
            guard let longest = chains.lastIndex(where: { loaded.contains($0) || loading[$0] != nil }) else {
                for chain in chains { loading[chain] = [] }
                return 0
            }
            if loading[chains[longest]] != nil {
                if longest == 0 {
                    // Only the emulator's layer is being loaded: sending it again costs less than waiting.
                    for chain in chains where loading[chain] == nil { loading[chain] = [] }
                    return 0
                }
                await withCheckedContinuation { loading[chains[longest]]?.append($0) }
                continue
            }
            for chain in chains[(longest + 1)...] { loading[chain] = [] }
            return longest + 1
        }
    }

    /// Ends a claim: the engine now has `chains` (`loaded`, with the diff IDs of their layers by layer key),
    /// or may not have them; wakes the builds waiting for them.
    func finish(_ chains: ArraySlice<String>, loaded success: Bool, diffIDs new: [String: String]) {
        if success { diffIDs.merge(new) { $1 } }
        for chain in chains {
            if success { loaded.insert(chain) } else { loaded.remove(chain) }
            for waiter in loading.removeValue(forKey: chain) ?? [] { waiter.resume() }
        }
    }

    /// The diff IDs of the layers `keys`, in order, as far as they are known.
    func diffIDs(of keys: ArraySlice<String>) -> [String] {
        var known: [String] = []
        for key in keys {
            guard let diffID = diffIDs[key] else { break }
            known.append(diffID)
        }
        return known
    }
}
