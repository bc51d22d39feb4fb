using FastVideo.Loading;

namespace FastVideo.Entrypoints;

/// <summary>A model path or Hugging Face repo id could not be resolved to a local folder.</summary>
public sealed class ModelNotFoundException(string message) : Exception(message);

/// <summary>
/// Resolves what a user passes as <c>--model</c>: a local diffusers folder, or a Hugging Face repo id
/// (<c>org/name</c>) already present in the local Hugging Face cache. Never touches the network.
/// </summary>
public static class ModelLocator
{
    /// <summary>The hub cache folder: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub.</summary>
    public static string HubCacheDir(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        if (env("HF_HUB_CACHE") is { Length: > 0 } hub) return hub;
        if (env("HF_HOME") is { Length: > 0 } home) return Path.Combine(home, "hub");
        var xdg = env("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "huggingface", "hub");
    }

    public static bool LooksLikeRepoId(string s) =>
        !s.StartsWith('/') && !s.StartsWith('.') && !s.Contains('\\') && s.Count(c => c == '/') == 1 && !s.EndsWith('/') && !Directory.Exists(s);

    /// <summary>The local folder for <paramref name="pathOrRepoId"/>.</summary>
    /// <exception cref="ModelNotFoundException">neither a folder nor a cached repo; the message says where it looked.</exception>
    public static string Resolve(string pathOrRepoId, Func<string, string?>? env = null)
    {
        if (string.IsNullOrWhiteSpace(pathOrRepoId)) throw new ModelNotFoundException("no model given");
        if (Directory.Exists(pathOrRepoId)) return Path.GetFullPath(pathOrRepoId);
        if (!LooksLikeRepoId(pathOrRepoId))
            throw new ModelNotFoundException($"model folder '{Path.GetFullPath(pathOrRepoId)}' does not exist");

        var cache = HubCacheDir(env);
        var repoDir = Path.Combine(cache, "models--" + pathOrRepoId.Replace("/", "--"));
        var hint = $"download it first (e.g. 'huggingface-cli download {pathOrRepoId}') or pass a local folder with --model; FastVideo.Native never downloads";
        if (!Directory.Exists(repoDir))
            throw new ModelNotFoundException($"'{pathOrRepoId}' is not in the local Hugging Face cache ({repoDir} not found): {hint}");
        var snapshots = Path.Combine(repoDir, "snapshots");
        var refMain = Path.Combine(repoDir, "refs", "main");
        if (File.Exists(refMain))
        {
            var rev = InputFile.ReadAllText(refMain).Trim();
            var snap = Path.Combine(snapshots, rev);
            if (Directory.Exists(snap)) return snap;
        }
        if (Directory.Exists(snapshots))
        {
            var newest = new DirectoryInfo(snapshots).GetDirectories().OrderByDescending(d => d.LastWriteTimeUtc).FirstOrDefault();
            if (newest != null) return newest.FullName;
        }
        throw new ModelNotFoundException($"'{pathOrRepoId}' is in the Hugging Face cache at {repoDir} but has no snapshot: {hint}");
    }
}
