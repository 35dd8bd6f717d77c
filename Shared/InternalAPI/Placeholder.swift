// Placeholder until the module's first type lands; delete when adding sources.
enum InternalAPIPlaceholder {}
