import Crypto

/// What is known of a client stream's data key: the key, that it was erased (shredded), or
/// nothing (no key was ever made for the stream, or the asker cannot know it).
public enum ClientKeyState: Sendable {
    case key(AESGCM)
    case erased
    case unknown
}
