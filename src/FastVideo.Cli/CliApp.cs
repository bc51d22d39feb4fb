using System.CommandLine;

namespace FastVideo.Cli;

/// <summary>
/// The <c>fastvideo</c> command. Exit codes: 0 success, 1 runtime failure, 2 bad arguments (one-line message),
/// 130 cancelled (Ctrl+C, as a shell reports SIGINT).
/// </summary>
public static class CliApp
{
    public const int ExitOk = 0, ExitFailure = 1, ExitUsage = 2, ExitCancelled = 130;

    /// <summary>
    /// Parses and runs one command line. <paramref name="cancellation"/> cancels a running command as Ctrl+C
    /// does (the first Ctrl+C cancels between steps; a second one ends the process as usual).
    /// </summary>
    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken cancellation = default)
    {
        var output = stdout ?? Console.Out;
        var error = stderr ?? Console.Error;
        var root = new RootCommand("FastVideo.Native: video generation in-process, no Python");
        root.Subcommands.Add(InfoCommand.Create(output));
        root.Subcommands.Add(RunModuleCommand.Create(output));
        root.Subcommands.Add(GenerateCommand.Create(output));
        root.Subcommands.Add(SelftestCommand.Create(output, error));
        root.Subcommands.Add(BenchCommand.Create(output, error));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var command = parse.CommandResult.Command;
            var help = command is RootCommand ? "fastvideo --help" : $"fastvideo {command.Name} --help";
            error.WriteLine($"fastvideo: {OneLine(parse.Errors[0].Message)} (see '{help}')");
            return ExitUsage;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // second Ctrl+C: let the process end
            e.Cancel = true;
            error.WriteLine();
            error.WriteLine("fastvideo: cancelling after the current step (Ctrl+C again to abort at once)");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            // Our own handler above replaces System.CommandLine's process-termination handling (which force-exits
            // after a timeout) and its default exception handler (which prints stack traces).
            var config = new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            };
            return parse.InvokeAsync(config, cts.Token).GetAwaiter().GetResult();
        }
        catch (UsageException e)
        {
            error.WriteLine($"fastvideo: {OneLine(e.Message)}");
            return ExitUsage;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            error.WriteLine("fastvideo: cancelled");
            return ExitCancelled;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error.WriteLine($"fastvideo: {OneLine(e.Message)}");
            return ExitFailure;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>An error message folded onto one line (exception messages may carry line breaks).</summary>
    internal static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
