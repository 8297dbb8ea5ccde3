import Foundation

/// Clock times as meshtop prints them (local time).
public enum Clock {
    public static func hms(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }
}
