/// `text`'s first `count` code points, for failure messages (a prefix of characters can
/// still be kilobytes).
public func excerptOf(_ text: String, _ count: Int = 300) -> String {
    String(String.UnicodeScalarView(text.unicodeScalars.prefix(count)))
}
