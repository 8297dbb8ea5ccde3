import ArgumentParser
import Foundation
import MeshPoller
import MeshSources

/// Where the mesh data comes from, shared by `snapshot` and `console`; the configuration file
/// fills what the flags leave out.
struct SourceOptions: ParsableArguments {
    @Option(name: .customLong("istiod"), help: "istiod debug base URL, e.g. http://127.0.0.1:15014 (repeat for replicas).")
    var istiodURLs: [String] = []
    @Option(help: "YAML list of proxy admin URLs with labels (the format meshtop sim writes).") var targetsFile: String?
    @Option(help: "Admin-address template for proxies istiod knows: {ip}, {pod}, {namespace}.") var adminTemplate: String?
    @Option(help: "File with the bearer token for istiod.") var tokenFile: String?
    @Option(help: "CA bundle (PEM) for an HTTPS istiod.") var caFile: String?
    @Option(help: "Deadline per request, seconds (default 5).") var timeout: Double?
    @Option(help: "Prometheus base URL: Istio service and edge metrics from its query API instead of every proxy's stats.")
    var prometheus: String?
    @Option(help: "File with the bearer token for Prometheus.") var prometheusTokenFile: String?
    @Option(help: "CA bundle (PEM) for an HTTPS Prometheus.") var prometheusCaFile: String?
    @OptionGroup var kube: KubeOptions

    /// The poller for these sources: through a Kubernetes cluster when its flags say so, or
    /// when no other source is given anywhere and a kubeconfig exists (as k9s starts on the
    /// current context); else direct.
    func makePoller(_ settings: MeshtopConfig, adjust: (inout PollerOptions) -> Void = { _ in }) async throws -> MeshPoller {
        guard usesKubernetes(settings) else {
            var options = try pollerOptions(settings)
            adjust(&options)
            return try MeshPoller(options: options)
        }
        return try await kubePoller(settings, kube: kube, adjust: adjust)
    }

    /// Whether the sources are a cluster's: its flags, or nothing else configured and a kubeconfig.
    func usesKubernetes(_ settings: MeshtopConfig) -> Bool {
        let direct = !istiodURLs.isEmpty || targetsFile != nil || settings.istiod?.isEmpty == false || settings.targetsFile != nil
        return kube.named || (!direct && KubeOptions.available)
    }

    /// A poller of the cluster `kube` names (`:ctx NAME` passes another context, never interactive).
    func kubePoller(_ settings: MeshtopConfig, kube: KubeOptions, interactive: Bool = isatty(STDIN_FILENO) == 1,
                    adjust: (inout PollerOptions) -> Void = { _ in }) async throws -> MeshPoller {
        var options = try pollerOptions(settings, requireSource: false)
        adjust(&options)
        let (transport, inventory) = try await kube.connect(timeout: options.timeout, bodyLimit: options.bodyLimit, interactive: interactive,
                                                            findPrometheus: options.prometheusURL == nil)
        options.inventory = inventory
        options.prometheusEndpoint = inventory.prometheus
        var prometheusClient: MeshClient?
        if options.prometheusURL != nil {
            prometheusClient = MeshClient(transport: DirectHTTPTransport(timeout: options.timeout, bodyLimit: options.bodyLimit, credential: options.prometheusToken,
                                                                         tls: try DirectHTTPTransport.tls(caFile: options.prometheusCAFile)), policy: .readOnly)
        }
        return MeshPoller(options: options, client: MeshClient(transport: transport, policy: .operatorActions), prometheusClient: prometheusClient)
    }

    /// Poller options from the flags over `settings`. Throws `UsageError` when no source is
    /// given anywhere and `SourceError` for a token file that cannot be read.
    func pollerOptions(_ settings: MeshtopConfig, requireSource: Bool = true) throws -> PollerOptions {
        var options = PollerOptions()
        options.istiodURLs = (istiodURLs.isEmpty ? settings.istiod ?? [] : istiodURLs).map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        if let targetsFile = targetsFile ?? settings.targetsFile {
            do { options.targets = try TargetsFileReader.read(path: targetsFile) } catch let error as TargetsFileReader.UnknownKind {
                throw UsageError(message: error.description)
            }
        }
        // A targets file may name the Prometheus to use (kind: prometheus); the flag wins.
        let listedPrometheus = options.targets.first { $0.kind == .istioPrometheus }?.url
        options.targets.removeAll { $0.kind == .istioPrometheus }
        options.prometheusURL = (prometheus ?? settings.prometheus ?? listedPrometheus).map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        options.adminTemplate = adminTemplate ?? settings.adminTemplate
        guard !requireSource || !options.istiodURLs.isEmpty || !options.targets.isEmpty || options.prometheusURL != nil else {
            throw UsageError(message: "give --kubeconfig/--context, --istiod URL, --targets-file or --prometheus URL (or set them in \(MeshtopConfig.defaultPath); `meshtop config init` writes one)")
        }
        options.prometheusCAFile = prometheusCaFile ?? settings.prometheusCaFile
        if let file = prometheusTokenFile ?? settings.prometheusTokenFile { options.prometheusToken = try Self.token(file: file, flag: "--prometheus-token-file") }
        options.timeout = timeout ?? settings.timeout ?? 5
        options.caFile = caFile ?? settings.caFile
        if let tokenFile = tokenFile ?? settings.tokenFile { options.bearerToken = try Self.token(file: tokenFile, flag: "--token-file") }
        return options
    }

    /// A bearer token read from a file (never from the command line, where `ps` would show it).
    static func token(file: String, flag: String) throws -> Credential {
        guard let token = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw SourceError(source: "\(flag) \(file)", reason: .auth(.credential("cannot read the file")))
        }
        return Credential(token.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// A usage problem found after parsing (when the configuration file is read): exit 64.
struct UsageError: Error {
    var message: String
}
