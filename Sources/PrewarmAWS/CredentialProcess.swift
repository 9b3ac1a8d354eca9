import Foundation

/// A profile's `credential_process`: a command that prints credentials as JSON, as the AWS CLI runs it.
///
/// The command line is run by `/bin/sh -c`; its standard output must be
/// `{"Version": 1, "AccessKeyId": …, "SecretAccessKey": …, "SessionToken": …, "Expiration": …}`
/// (`SessionToken` and `Expiration` optional). Its standard error goes to prewarm's.
struct CredentialProcess: Sendable {
    /// The command line, as written in the profile.
    let command: String
    /// The profile and file it is set in, for messages.
    let profile: String
    let file: String

    /// Runs the command and reads what it prints.
    ///
    /// - Throws: ``AWSError`` with code ``AWSError/Code/missingCredentials`` when it cannot be started, exits
    ///   with a status other than 0, prints something that is not version-1 credentials, or credentials that
    ///   expired already. The message names the profile and never shows what was printed.
    func run(purpose: String, now: Date = Date()) throws -> AWSCredentials {
        let subject = "credential_process of AWS profile '\(profile)' (\(file))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw AWSError(.missingCredentials, "cannot run the \(subject)\(purpose): \(error.localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw AWSError(
                .missingCredentials,
                "the \(subject)\(purpose) exited with status \(process.terminationStatus); run it by hand "
                    + "to see why")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw AWSError(
                .missingCredentials,
                "the \(subject)\(purpose) printed no JSON object; it must print version-1 credentials")
        }
        guard (object["Version"] as? Int) == 1 else {
            throw AWSError(
                .missingCredentials,
                "the \(subject)\(purpose) printed Version \(object["Version"].map { "\($0)" } ?? "(none)"), not 1")
        }
        guard let keyID = object["AccessKeyId"] as? String, !keyID.isEmpty,
            let secret = object["SecretAccessKey"] as? String, !secret.isEmpty
        else {
            throw AWSError(
                .missingCredentials, "the \(subject)\(purpose) printed no AccessKeyId or no SecretAccessKey")
        }
        var expiration: Date?
        if let text = object["Expiration"] as? String {
            guard let date = AWSDate.parse(text) else {
                throw AWSError(
                    .missingCredentials, "the \(subject)\(purpose) printed an Expiration that is not ISO 8601: \(text)")
            }
            guard date > now else {
                throw AWSError(
                    .missingCredentials, "the \(subject)\(purpose) printed credentials that expired at \(text)")
            }
            expiration = date
        }
        return AWSCredentials(
            accessKeyID: keyID, secretAccessKey: secret, sessionToken: object["SessionToken"] as? String,
            source: subject, expiration: expiration)
    }
}

/// The timestamps of AWS's documents: ISO 8601 with or without fractional seconds, with `Z`, an offset, or
/// the AWS CLI v1 SSO cache's `UTC` suffix.
enum AWSDate {
    static func parse(_ text: String) -> Date? {
        var text = text.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("UTC") { text = String(text.dropLast(3)) + "Z" }
        // Drop fractional seconds, which ISO8601DateFormatter reads only with exactly three digits.
        if let dot = text.firstIndex(of: "."), let timeStart = text.firstIndex(of: "T"), dot > timeStart {
            let end = text[dot...].dropFirst().firstIndex { !$0.isNumber } ?? text.endIndex
            text.removeSubrange(dot..<end)
        }
        if !text.hasSuffix("Z"), !text.contains("+"), text.split(separator: "-").count <= 3 { text += "Z" }
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)
    }

    /// `date` as ISO 8601 in UTC, for messages.
    static func format(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
