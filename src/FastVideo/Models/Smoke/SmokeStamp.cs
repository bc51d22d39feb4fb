using FastVideo.Loading;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FastVideo.Models.Smoke;

/// <summary>
/// The stamp of a smoke model folder (<c>smoke_stamp.json</c>): the recipe name and the SHA-256 of every other
/// file, plus <c>content_sha256</c> = SHA-256 of the lines <c>"{sha256}  {relative path}\n"</c> in ordinal path
/// order (the <c>sha256sum</c> format). A folder is complete when the stamp exists, names the current recipe and
/// matches the files exactly: none missing, none extra, every hash equal. Anything else — a partial copy, a
/// truncated weight file, an edited config, an old recipe — is rebuilt.
/// </summary>
internal static class SmokeStamp
{
    public const string FileName = "smoke_stamp.json";

    /// <summary>Hashes the folder's files and writes the stamp (the last file written).</summary>
    public static void Write(string folder)
    {
        var files = HashFiles(folder);
        var d = new PyDict
        {
            { "content_sha256", ContentHash(files) },
            { "files", ToDict(files) },
            { "recipe", SmokeModel.FolderName },
        };
        File.WriteAllText(Path.Combine(folder, FileName), PyJson.Dumps(d), new UTF8Encoding(false));
    }

    /// <summary>The content hash recorded in the stamp, or null when the folder is not complete (see the class summary);
    /// <paramref name="problem"/> says why.</summary>
    public static string? Verify(string folder, out string problem)
    {
        var stampPath = Path.Combine(folder, FileName);
        if (!File.Exists(stampPath))
        {
            problem = $"no {FileName}";
            return null;
        }
        Dictionary<string, string> expected;
        string? recipe, content;
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllBytes(stampPath));
            var root = doc.RootElement;
            recipe = root.GetProperty("recipe").GetString();
            content = root.GetProperty("content_sha256").GetString();
            expected = root.GetProperty("files").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            problem = $"{FileName} is unreadable ({e.Message})";
            return null;
        }
        if (recipe != SmokeModel.FolderName)
        {
            problem = $"{FileName} is for recipe '{recipe}', not '{SmokeModel.FolderName}'";
            return null;
        }
        var actual = HashFiles(folder);
        var missing = expected.Keys.Except(actual.Select(f => f.Path)).ToList();
        var extra = actual.Select(f => f.Path).Except(expected.Keys).ToList();
        var changed = actual.Where(f => expected.TryGetValue(f.Path, out var h) && h != f.Sha256).Select(f => f.Path).ToList();
        if (missing.Count + extra.Count + changed.Count > 0)
        {
            problem = string.Join("; ", new[]
            {
                missing.Count > 0 ? "missing " + string.Join(", ", missing) : null,
                extra.Count > 0 ? "unexpected " + string.Join(", ", extra) : null,
                changed.Count > 0 ? "changed " + string.Join(", ", changed) : null,
            }.Where(s => s != null));
            return null;
        }
        var recomputed = ContentHash(actual);
        if (recomputed != content)
        {
            problem = $"{FileName} content_sha256 {content} does not match the files ({recomputed})";
            return null;
        }
        problem = "";
        return content;
    }

    /// <summary>SHA-256 (lower-case hex) of every file under the folder except the stamp, by ordinal relative path ('/' separated).</summary>
    public static List<(string Path, string Sha256)> HashFiles(string folder)
    {
        var list = new List<(string, string)>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            if (rel == FileName) continue;
            using var s = File.OpenRead(file);
            list.Add((rel, Convert.ToHexStringLower(SHA256.HashData(s))));
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return list;
    }

    public static string ContentHash(IEnumerable<(string Path, string Sha256)> files)
    {
        var sb = new StringBuilder();
        foreach (var (path, sha) in files) sb.Append(sha).Append("  ").Append(path).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static PyDict ToDict(List<(string Path, string Sha256)> files)
    {
        var d = new PyDict();
        foreach (var (p, h) in files) d.Add(p, h);
        return d;
    }
}
