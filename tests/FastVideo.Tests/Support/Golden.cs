using NUnit.Framework;

namespace FastVideo.Tests.Support;

/// <summary>
/// Locates the shared golden folders (real diffusers/transformers outputs). Order: FASTVIDEO_GOLDEN_DIR,
/// then ../shared/golden beside the repository. Under CI=true a missing folder fails the test; elsewhere it
/// is ignored with a message.
/// </summary>
public static class Golden
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "FastVideo.Native.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("cannot find FastVideo.Native.sln above the test directory");
        }
    }

    /// <summary>The golden root (…/shared/golden).</summary>
    public static string Dir => Require(Environment.GetEnvironmentVariable("FASTVIDEO_GOLDEN_DIR") is { Length: > 0 } env
        ? env
        : Path.Combine(RepoRoot, "..", "shared", "golden"));

    /// <summary>The RNG golden root (…/shared/golden_rng), or FASTVIDEO_GOLDEN_RNG_DIR.</summary>
    public static string RngDir => Require(Environment.GetEnvironmentVariable("FASTVIDEO_GOLDEN_RNG_DIR") is { Length: > 0 } env
        ? env
        : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Dir))!, "golden_rng"));

    /// <summary>Path of a file or folder under the golden root; missing → fail on CI, ignore elsewhere.</summary>
    public static string Path_(params string[] parts) => Require(Path.Combine(new[] { Dir }.Concat(parts).ToArray()));

    public static string File_(params string[] parts) => Path_(parts);

    private static string Require(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full) || File.Exists(full)) return full;
        var msg = $"golden data not found at {full} (set FASTVIDEO_GOLDEN_DIR or place ../shared beside the repository)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail(msg);
        Assert.Ignore(msg);
        return full;
    }
}
