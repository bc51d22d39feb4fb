using FastVideo.Models.Smoke;
using NUnit.Framework;

namespace FastVideo.Tests.Smoke;

/// <summary>One smoke model built per test run in a temporary cache root, shared by the read-only tests
/// (building takes about a second; tests that damage or rebuild folders make their own).</summary>
[SetUpFixture]
public sealed class SmokeFolderFixture
{
    private static string? s_root;
    private static string? s_folder;
    private static readonly List<string> s_roots = new();

    /// <summary>The shared smoke model folder (built on first use).</summary>
    public static string Folder
    {
        get
        {
            if (s_folder != null) return s_folder;
            s_root = NewRoot();
            s_folder = SmokeModel.EnsureCreated(s_root);
            return s_folder;
        }
    }

    /// <summary>A fresh, empty cache root under the system temp folder.</summary>
    public static string NewRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "fastvideo-smoke-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        lock (s_roots) s_roots.Add(root);
        return root;
    }

    /// <summary>Copies every file under <paramref name="from"/> to the same relative path under <paramref name="to"/>.</summary>
    public static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [OneTimeTearDown]
    public void RemoveAll()
    {
        // Only the roots this run made: other test runs may share the temp folder.
        lock (s_roots)
        {
            foreach (var root in s_roots)
            {
                try
                {
                    if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                }
            }
            s_roots.Clear();
        }
    }
}
