import Foundation

/// Prometheus's `histogram_quantile`: linear interpolation inside the bucket holding the rank;
/// the `+Inf` bucket answers with the highest finite bound.
public enum HistogramQuantile {
    public static func estimate(_ quantile: Double, buckets: [Double: Double]) -> Double? {
        let sorted = buckets.sorted { $0.key < $1.key }
        guard let total = sorted.last?.value, total > 0, sorted.last?.key == .infinity else { return nil }
        let rank = quantile * total
        var lowerBound = 0.0
        var lowerCount = 0.0
        for (index, (bound, count)) in sorted.enumerated() {
            if count >= rank {
                if bound == .infinity { return index > 0 ? sorted[index - 1].key : nil }
                if index == 0, bound <= 0 { return bound }
                let inBucket = count - lowerCount
                guard inBucket > 0 else { return bound }
                return lowerBound + (bound - lowerBound) * (rank - lowerCount) / inBucket
            }
            lowerBound = bound
            lowerCount = count
        }
        return nil
    }
}
