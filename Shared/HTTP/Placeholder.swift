import CLinuxIO
public struct Placeholder {}
