import Foundation

// clientctl: the operator's command line. See `clientctl help`.
let status = await ClientCtl.run(arguments: Array(CommandLine.arguments.dropFirst()))
exit(status)
