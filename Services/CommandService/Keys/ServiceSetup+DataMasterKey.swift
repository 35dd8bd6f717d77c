import EventStore
import ServiceRuntime

extension ServiceSetup {
    /// The keyring of `DATA_MASTER_KEY` (required: the base64 of 32 random bytes), which
    /// wraps every client's data key. Without it the command service does not start: events
    /// would be written that no reader could open, or not sealed at all.
    func requireDataMasterKey() throws -> ClientKeyring {
        let text = try environment.requiredString("DATA_MASTER_KEY")
        guard let master = ClientKeyring.masterKey(base64: text) else {
            throw ConfigurationError(variable: "DATA_MASTER_KEY", problem: "expected the base64 of 32 random bytes")
        }
        return ClientKeyring(master: master)
    }
}
