using System.CommandLine;
using System.Runtime.InteropServices;
using FastVideo.Media;

namespace FastVideo.Cli;

/// <summary>
/// The <c>fastvideo</c> command. Exit codes: 0 success, 1 runtime failure (out of memory included), 2 bad arguments
/// or configuration (one-line message, before any weight is read), 3 no CUDA device (selftest, bench); a signal
/// cancels the run and writes nothing: 130 SIGINT (Ctrl+C), 129 SIGHUP, 143 SIGTERM (128 + the signal number, as a
/// shell reports them). A second signal aborts at once, still deleting temporary files and stopping the encoder.
/// </summary>
public static class CliApp
{
    public const int ExitOk = 0, ExitFailure = 1, ExitUsage = 2, ExitNoDevice = 3, ExitCancelled = 130, ExitHangup = 129, ExitTerminated = 143;

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
            // The most specific error first: an unknown word beats "required command was not provided".
            var first = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            error.WriteLine($"fastvideo: {OneLine(first.Message)} (see '{help}')");
            return ExitUsage;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        int signalExit = 0;
        void OnSignal(string name, int code)
        {
            if (Interlocked.CompareExchange(ref signalExit, code, 0) != 0)
            {
                // A second signal: stop now, but still undo work in flight (temporary files, the encoder).
                error.WriteLine($"fastvideo: {name} again: aborting");
                ProcessCleanup.RunAll();
                error.Flush();
                Environment.Exit(Volatile.Read(ref signalExit));
            }
            error.WriteLine();
            error.WriteLine($"fastvideo: {name}: cancelling after the current step, nothing will be written ({name} again to abort at once)");
            cts.Cancel();
        }
        // Signals are ours only when we own the console (the fastvideo process itself, not a host calling Run).
        var registrations = new List<IDisposable>();
        if (stdout is null && stderr is null && !OperatingSystem.IsBrowser())
        {
            foreach (var (signal, name, code) in new[]
            {
                (PosixSignal.SIGINT, "SIGINT", ExitCancelled), (PosixSignal.SIGTERM, "SIGTERM", ExitTerminated), (PosixSignal.SIGHUP, "SIGHUP", ExitHangup),
            })
            {
                try
                {
                    registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
                    {
                        ctx.Cancel = true;
                        OnSignal(name, code);
                    }));
                }
                catch (PlatformNotSupportedException)
                {
                }
            }
        }
        else
        {
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                if (cts.IsCancellationRequested) return; // second Ctrl+C: let the process end
                e.Cancel = true;
                OnSignal("Ctrl+C", ExitCancelled);
            };
            Console.CancelKeyPress += onCancel;
            registrations.Add(new Unsubscribe(() => Console.CancelKeyPress -= onCancel));
        }
        int Cancelled()
        {
            int code = Volatile.Read(ref signalExit);
            error.WriteLine($"fastvideo: cancelled{(code is ExitTerminated ? " (SIGTERM)" : code is ExitHangup ? " (SIGHUP)" : "")}; nothing was written");
            return code != 0 ? code : ExitCancelled;
        }
        try
        {
            // Our own handlers above replace System.CommandLine's process-termination handling (which force-exits
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
            return Cancelled();
        }
        catch (Exception) when (cts.IsCancellationRequested)
        {
            // A signal was received and the command then failed (e.g. a child process got the signal too): the run
            // was cancelled, and everything it staged has been undone.
            return Cancelled();
        }
        catch (OutOfMemoryException e)
        {
            var detail = e.Message == new OutOfMemoryException().Message ? "" : $" ({OneLine(e.Message)})";
            error.WriteLine($"fastvideo: {parse.CommandResult.Command.Name} ran out of memory{detail}; nothing was written. Try a smaller size or fewer frames, or a machine with more memory");
            return ExitFailure;
        }
        catch (Exception e)
        {
            error.WriteLine($"fastvideo: {OneLine(e.Message)}");
            return ExitFailure;
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
        }
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    /// <summary>An error message folded onto one line (exception messages may carry line breaks).</summary>
    internal static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
