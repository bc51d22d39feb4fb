using System.CommandLine;

namespace FastVideo.Cli;

/// <summary>The <c>fastvideo</c> command. Exit codes: 0 success, 1 runtime failure, 2 bad arguments.</summary>
public static class CliApp
{
    public const int ExitOk = 0, ExitFailure = 1, ExitUsage = 2;

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = stdout ?? Console.Out;
        var error = stderr ?? Console.Error;
        var root = new RootCommand("FastVideo.Native: video generation in-process, no Python");
        root.Subcommands.Add(InfoCommand.Create(output));
        root.Subcommands.Add(SelftestCommand.Create(output));
        root.Subcommands.Add(BenchCommand.Create(output));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            error.WriteLine($"fastvideo: {parse.Errors[0].Message} (see 'fastvideo --help')");
            return ExitUsage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error.WriteLine($"fastvideo: {e.Message}");
            return ExitFailure;
        }
    }
}
