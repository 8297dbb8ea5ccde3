import MeshModel

/// `istioctl proxy-status` (Istio 1.14–1.26 layout): NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD
/// VERSION, rows sorted by cluster then proxy id, columns padded like Go's tabwriter (5 spaces).
public enum ProxyStatusTable {
    public static func render(_ rows: [SynczEntry]) -> String {
        let types: [XDSType] = [.cds, .lds, .eds, .rds, .ecds]
        var table = [["NAME", "CLUSTER", "CDS", "LDS", "EDS", "RDS", "ECDS", "ISTIOD", "VERSION"]]
        for row in rows.sorted(by: { ($0.clusterID, $0.proxyID) < ($1.clusterID, $1.proxyID) }) {
            let statuses = row.statuses
            table.append([row.proxyID, row.clusterID] + types.map { (statuses[$0] ?? .notSent).rawValue }
                + [row.istiod ?? "", row.versionColumn])
        }
        return TabTable.render(table, padding: 5)
    }
}
