import PrewarmJournal
import PrewarmPlan
import PrewarmSupport

/// What a `BuildSession` tells as it goes, in this order: the engine, notes about setting it up, the
/// plan, the layers to download, the run it resumes, every node's events, the end of the build, then
/// what was pushed and loaded. A handler receives them from several tasks at once.
public enum BuildEvent: Sendable {
    /// The engine that builds the images (`"docker at unix:///var/run/docker.sock"`), and why, when
    /// `Engine.auto` chose it.
    case engineChosen(String, reason: EngineReason?)
    /// Something setting the engine up did, such as loading the template's base images into it.
    case note(Message)
    /// The plan: its warnings, skipped resources and functions that could not be planned are for the reader.
    case planned(Plan)
    /// Layers by ARN the cache does not hold: how many, the first one's name, where the AWS credentials come
    /// from, and the cache they go into.
    case layerDownloads(count: Int, first: String, credentialSource: String, cacheDirectory: String)
    /// `resume` continues this run with the options it recorded (`taken`, those that differ from the ones
    /// asked for) but for `overridden` (`BuildConfiguration.resumeOverrides`). First of all, when either is
    /// not empty.
    case resumedOptions(RunID, taken: [BuildSession.ResumedOption], overridden: [BuildSession.ResumedOption])
    /// `resume` found this unfinished run: what it verified is kept, the rest is done.
    case resuming(RunID, outcome: RunOutcome)
    /// `resume` found no unfinished run: the latest one succeeded, and it is checked that all is still there.
    case nothingToResume
    /// A node started, is retried, or finished.
    case node(SchedulerEvent)
    /// A line of an engine's build output for a node.
    case output(node: NodeID, line: String)
    /// Building a node found a blob of the OCI store damaged (it no longer hashed to its name) and wrote it
    /// again: the node, the blob's digest, the store's directory.
    case rewroteDamagedBlob(node: NodeID, blob: String, store: String)
    /// Something the reader must know about a node that still succeeded, on one line: a base image whose
    /// pull failed, used as the engine already has it.
    case warning(node: NodeID, message: Message)
    /// The scheduler is done: the run as recorded (pushing and loading come after).
    case built(RunReport)
    /// An image (or index) pushed to the `push` repository.
    case pushed(PushedImage)
    /// Images of the OCI store loaded into a Docker engine (`load`).
    case loaded(count: Int, engine: String)
}

/// Why `BuildConfiguration.Engine.auto` chose an engine.
public enum EngineReason: Sendable, Hashable {
    /// A Docker engine answered where `origin` says: `DOCKER_HOST`, `docker context 'colima' from
    /// DOCKER_CONTEXT`, `Docker's default socket` (``EngineDiscovery/Candidate/origin``).
    case dockerFound(origin: String)
    /// Nothing points at a Docker engine and none answers at the usual sockets (`tried`: one entry per socket,
    /// with what was there), so the OCI store builds.
    case noDockerEngine(tried: [String])
    /// The template brings its own base images or emulator (`Metadata.Prewarm`), which may be stand-ins: its
    /// images go into an OCI store beside it, not into a Docker engine the user did not name, nor the default store.
    case templateSupplied
}

/// What a `BuildSession` did.
public struct BuildReport: Sendable {
    /// The run, as the journal records it.
    public var runID: RunID
    /// Every node's outcome, and whether the run was interrupted.
    public var summary: RunSummary
    /// The plan that was built.
    public var plan: Plan
    /// The engine that built the images.
    public var engine: String
    /// The OCI store's directory, when it was the engine; `nil` with a Docker engine.
    public var ociStore: String?
    /// The function images that were built or found up to date, by name, sorted.
    public var images: [String]
    /// What was pushed to `push`; empty without it.
    public var pushed: [PushedImage]
    /// The Docker engine the images were loaded into (`load`); `nil` when they were not.
    public var loadedInto: String?
    /// Journal writes that failed (the run went on); empty when all were recorded.
    public var journalProblems: [Message]
    /// With `resume`: the run continued and the recorded options taken from it (then `plan` is planned with
    /// `resumption.configuration`); `nil` without `resume`, or when there was no unfinished run.
    public var resumption: BuildSession.Resumption?
    /// With `sam.enabled`: the SAM configuration written before planning (what `sam local` is run with).
    public var samReady: SAMReadyConfiguration?

    /// How every planned function's image ended, in plan order.
    public var functions: [FunctionResult] { summary.functionResults(of: plan) }

    /// The failed nodes, for the reader (a full disk apart).
    public var failures: FailureReport { FailureReport(plan: plan, outcomes: summary.outcomes) }

    /// Every node built or up to date, every function planned, and the run not interrupted.
    public var succeeded: Bool {
        !summary.cancelled && summary.failed + summary.skipped + summary.interrupted == 0 && plan.errors.isEmpty
    }
}
