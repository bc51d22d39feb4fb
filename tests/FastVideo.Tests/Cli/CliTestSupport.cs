using FastVideo.Cli;
using FastVideo.Loading;
using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Cli;

/// <summary>What one in-process <c>fastvideo</c> run printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The error output's non-empty lines.</summary>
    public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

public static class CliTestSupport
{
    /// <summary>Runs <see cref="CliApp.Run"/> in-process with captured output.</summary>
    public static CliRun Run(params string[] args) => Run(default, args);

    public static CliRun Run(CancellationToken cancellation, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e, cancellation);
        return new CliRun(code, o.ToString(), e.ToString());
    }

    /// <summary>Asserts a usage failure: exit 2 and exactly one error line containing every fragment.</summary>
    public static void AssertUsageError(CliRun run, params string[] fragments) => AssertError(run, CliApp.ExitUsage, fragments);

    public static void AssertError(CliRun run, int exitCode, params string[] fragments)
    {
        Assert.That(run.ExitCode, Is.EqualTo(exitCode), run.ToString());
        Assert.That(run.ErrorLines, Has.Length.EqualTo(1), run.ToString());
        Assert.That(run.ErrorLines[0], Does.StartWith("fastvideo: "));
        foreach (var f in fragments) Assert.That(run.ErrorLines[0], Does.Contain(f), run.ToString());
    }

    /// <summary>Copies the named tensors of a golden file into a new safetensors file (an inputs file as a user would write it).</summary>
    public static void CopyTensors(string from, string to, params string[] names)
    {
        using var src = SafetensorsFile.Open(from);
        var tensors = names.ToDictionary(n => n, n => src.Load(n));
        try
        {
            SafetensorsWriter.Save(to, tensors);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Writes F32 tensors given as host arrays.</summary>
    public static void WriteF32(string path, params (string Name, float[] Values, int[] Shape)[] tensors)
    {
        var d = tensors.ToDictionary(t => t.Name, t => Tensor.FromHost<float>(t.Values, t.Shape));
        try
        {
            SafetensorsWriter.Save(path, d);
        }
        finally
        {
            foreach (var t in d.Values) t.Dispose();
        }
    }
}
