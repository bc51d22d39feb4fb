namespace FastVideo.Cli;

/// <summary>
/// The command line names something that cannot work (a value out of range, a file that is not there, a
/// kind that does not fit the folder). <see cref="CliApp.Run"/> prints the message on one line and exits
/// with <see cref="CliApp.ExitUsage"/>; anything else that goes wrong while running exits with
/// <see cref="CliApp.ExitFailure"/>.
/// </summary>
public sealed class UsageException(string message) : Exception(message);
