import ArgumentParser
import Foundation
import MeshModel
import MeshPoller
import Yams

/// `$XDG_CONFIG_HOME/meshtop/config.yaml` (product.md §9). Flags override the file;
/// `MESHTOP_*` environment variables override both.
struct MeshtopConfig: Codable, Equatable {
    struct Thresholds: Codable, Equatable {
        var serverErrorDegraded: Double?
        var serverErrorFailure: Double?
        var clientErrorDegraded: Double?
        var clientErrorFailure: Double?
        var staleAfterSeconds: Double?
        var leafTimeLeftRatio: Double?
        var caTimeLeftDays: Double?

        func apply(to base: HealthThresholds) -> HealthThresholds {
            var out = base
            if let serverErrorDegraded { out.serverErrorDegraded = serverErrorDegraded }
            if let serverErrorFailure { out.serverErrorFailure = serverErrorFailure }
            if let clientErrorDegraded { out.clientErrorDegraded = clientErrorDegraded }
            if let clientErrorFailure { out.clientErrorFailure = clientErrorFailure }
            if let staleAfterSeconds { out.staleAfterSeconds = staleAfterSeconds }
            if let leafTimeLeftRatio { out.leafTimeLeftRatio = leafTimeLeftRatio }
            if let caTimeLeftDays { out.caTimeLeftSeconds = caTimeLeftDays * 86400 }
            return out
        }
    }

    var istiod: [String]?
    var targetsFile: String?
    var adminTemplate: String?
    var tokenFile: String?
    var caFile: String?
    /// Prometheus as the source of Istio traffic, with its own token and CA.
    var prometheus: String?
    var prometheusTokenFile: String?
    var prometheusCaFile: String?
    var timeout: Double?
    var refresh: Double?
    var theme: String?
    var thresholds: Thresholds?
    /// `namespace/service` → thresholds that replace the defaults for that service.
    var services: [String: Thresholds]?
    var database: String?
    var retention: [String: String]?

    static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["MESHTOP_CONFIG"] { return path }
        let base = environment["XDG_CONFIG_HOME"] ?? (NSHomeDirectory() + "/.config")
        return base + "/meshtop/config.yaml"
    }

    /// The file (if any), then the environment on top.
    static func load(path: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MeshtopConfig {
        let file = path ?? defaultPath
        var config = MeshtopConfig()
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            do { config = try YAMLDecoder().decode(MeshtopConfig.self, from: text) } catch {
                throw ValidationError("\(file): \(error)")
            }
        } else if path != nil {
            throw ValidationError("cannot read --config \(file)")
        }
        if let value = environment["MESHTOP_ISTIOD"] { config.istiod = value.split(separator: ",").map(String.init) }
        if let value = environment["MESHTOP_TARGETS_FILE"] { config.targetsFile = value }
        if let value = environment["MESHTOP_ADMIN_TEMPLATE"] { config.adminTemplate = value }
        if let value = environment["MESHTOP_TOKEN_FILE"] { config.tokenFile = value }
        if let value = environment["MESHTOP_CA_FILE"] { config.caFile = value }
        if let value = environment["MESHTOP_PROMETHEUS"] { config.prometheus = value }
        if let value = environment["MESHTOP_THEME"] { config.theme = value }
        if let value = environment["MESHTOP_REFRESH"].flatMap(Double.init) { config.refresh = value }
        if let value = environment["MESHTOP_TIMEOUT"].flatMap(Double.init) { config.timeout = value }
        return config
    }

    var healthThresholds: HealthThresholds { thresholds?.apply(to: HealthThresholds()) ?? HealthThresholds() }

    var serviceThresholds: [String: HealthThresholds] {
        (services ?? [:]).mapValues { $0.apply(to: healthThresholds) }
    }

    static let example = """
        # meshtop configuration (written by `meshtop config init`).
        # Flags override this file; MESHTOP_* environment variables override both
        # (MESHTOP_ISTIOD=url1,url2  MESHTOP_TARGETS_FILE  MESHTOP_TOKEN_FILE  MESHTOP_CA_FILE
        #  MESHTOP_ADMIN_TEMPLATE  MESHTOP_PROMETHEUS  MESHTOP_THEME  MESHTOP_REFRESH  MESHTOP_TIMEOUT  MESHTOP_CONFIG).

        # istiod debug endpoints, one per replica (port-forward to 15014, or run next to istiod).
        istiod:
          - http://127.0.0.1:15014
        # Bearer token and CA bundle for a remote or HTTPS istiod.
        # tokenFile: /var/run/secrets/meshtop/token
        # caFile: /etc/meshtop/istiod-ca.pem

        # Proxies: a static targets file (YAML list of {url, labels}), and/or a template that turns
        # every proxy in istiod's syncz into an admin URL ({ip}, {pod}, {namespace}).
        # targetsFile: /etc/meshtop/targets.yaml
        # adminTemplate: http://{ip}:15000
        # Targets may be Envoy (kind: envoy, the default), Linkerd (kind: linkerd, :4191) or
        # SOFAMosn (kind: mosn, :34901) admin APIs, or a Prometheus (kind: prometheus).

        # Large meshes: Istio service and edge metrics from Prometheus (one query instead of a
        # scrape of every proxy), with its own bearer token and CA bundle.
        # prometheus: http://prometheus.istio-system:9090
        # prometheusTokenFile: /var/run/secrets/meshtop/prometheus-token
        # prometheusCaFile: /etc/meshtop/prometheus-ca.pem

        timeout: 5        # seconds per request
        refresh: 2        # seconds between polls
        theme: default    # default, light, high-contrast, colorblind, mono

        # Health thresholds (shares are 0..1). Kiali-compatible defaults shown.
        thresholds:
          serverErrorDegraded: 0.0    # any 5xx → Degraded
          serverErrorFailure: 0.10
          clientErrorDegraded: 0.10
          clientErrorFailure: 0.20
          staleAfterSeconds: 60
          leafTimeLeftRatio: 0.20
          caTimeLeftDays: 30

        # Per-service overrides, by namespace/service.
        services:
          default/reviews:
            serverErrorDegraded: 0.01   # tolerate up to 1 % 5xx

        # History store (`meshtop record`, `history`, the console's time travel and charts).
        # database: ~/.local/state/meshtop/history.db
        # retention: {raw: 24h, rollups: 30d}

        """
}

/// `meshtop config init`: writes the commented example configuration.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Configuration file helpers.", subcommands: [Init.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "init", abstract: "Write a commented example config.yaml.")

        @Option(help: "Where to write it (default: $XDG_CONFIG_HOME/meshtop/config.yaml).") var path: String?
        @Flag(help: "Replace an existing file.") var force = false

        func run() throws {
            let target = path ?? MeshtopConfig.defaultPath
            if FileManager.default.fileExists(atPath: target), !force {
                throw ValidationError("\(target) exists (use --force to replace it)")
            }
            // 0700 / 0600: a configuration names token files and CA paths, and may be edited to
            // hold more; only its owner reads it.
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            // Created 0600 (never briefly readable by others); an existing file is narrowed too.
            let fd = open(target, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw ValidationError("cannot write \(target): \(String(cString: strerror(errno)))") }
            fchmod(fd, 0o600)
            let bytes = Array(MeshtopConfig.example.utf8)
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard written == bytes.count else { throw ValidationError("cannot write \(target): short write") }
            print("wrote \(target)")
        }
    }
}
