// The JSON value, parser and field reader live in the `JSON` module so that layers below
// HTTP (the client domain and the read models, which code events with them) need not
// depend on HTTP. HTTP re-exports it: every HTTP user reads and writes request and response
// bodies with these types, and keeps doing so with `import HTTP` alone.
@_exported import JSON
