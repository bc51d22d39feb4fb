using FastVideo.Loading;
using System.Text.Json;
using FastVideo.Entrypoints;
using FastVideo.Tensors;

namespace FastVideo.Models.Smoke;

/// <summary>
/// The embedded default model: a tiny, UNTRAINED Wan2.1-architecture text-to-video pipeline that FastVideo
/// builds itself, deterministically, into a cache folder in exact diffusers format (what
/// <c>WanPipeline.save_pretrained</c> writes), so the ordinary loaders and pipeline run it. Its videos are
/// noise-like: it proves the engine runs end to end, nothing more. See docs/SMOKE_MODEL.md.
/// <para>Cache: <c>{root}/smoke-wan-v2/</c>, root = <c>$FASTVIDEO_CACHE</c>, else <c>$XDG_CACHE_HOME/fastvideo</c>,
/// else <c>~/.cache/fastvideo</c>. The folder is built in a temporary sibling and moved into place in one rename,
/// so readers never see a partial folder; a folder that does not match its stamp is rebuilt (see
/// <see cref="EnsureCreated"/>).</para>
/// <para>Changing anything that alters the files (sizes, vocabulary, seeds, configs) must bump
/// <see cref="FolderName"/>, so that caches built by older versions are not mistaken for the new recipe.</para>
/// </summary>
public static class SmokeModel
{
    /// <summary>The cache sub-folder and recipe name; bump the version whenever the files change.</summary>
    public const string FolderName = "smoke-wan-v2";

    /// <summary>The <c>model_index.json</c> key that marks a smoke folder (diffusers ignores "_" keys).</summary>
    public const string MarkerKey = "_fastvideo_smoke_model";

    /// <summary>What to tell a user who runs it.</summary>
    public const string Notice =
        "Using the built-in smoke model (untrained, deterministic random weights): the video is noise-like and does not follow the prompt. Pass --model <folder or Hugging Face id> for a real checkpoint.";

    /// <summary>The versions the mirrored files claim, those of the golden pipeline folder.</summary>
    internal const string DiffusersVersion = "0.35.2";
    internal const string TransformersVersion = "4.48.0.dev0";

    /// <summary>Root of every stream in <see cref="SmokeRandom"/>; components add 1 (text encoder), 2 (transformer), 3 (VAE).</summary>
    internal const ulong Seed = 0x5EED_F457_0000_0001UL;

    /// <summary>The longest prompt (in tokens, with &lt;/s&gt;) the smoke preset encodes.</summary>
    public const int MaxSequenceLength = 64;

    /// <summary>
    /// Sampling defaults for the smoke model: 64×96 (latent 8×12, 4×6 = 24 patches per frame), 17 frames
    /// (5 latent frames, 120 tokens), 8 UniPC steps, guidance 3.0, flow shift 3.0, 8 fps, seed 1024; prompts are
    /// encoded to <see cref="MaxSequenceLength"/> tokens.
    /// </summary>
    public static readonly WanPreset Preset = new("FastVideo-smoke-wan", 64, 96, 17, 8, 3.0f, 3.0f, 8, 1024, WanPresets.DefaultNegativePrompt, MaxSequenceLength);

    internal const int TextEncoderDModel = 64;
    /// <summary>2 heads × 64 (dim 128): a head dim the flash attention kernel serves (64 or 128), so a bf16 smoke run
    /// on CUDA takes the same attention path as Wan2.1 (head dim 128). v1 had 4 heads × 32.</summary>
    internal static readonly SmokeTransformerRecipe Transformer = new() { TextDim = TextEncoderDModel, NumAttentionHeads = 2, AttentionHeadDim = 64 };
    internal static readonly SmokeVaeRecipe Vae = new();
    /// <summary>Stored dtype of the transformer weights: BF16, as the 14B checkpoints ship, so every smoke run exercises
    /// BF16 storage (Linear/conv weights stay BF16, norms and tables are converted to F32 on load).</summary>
    internal static readonly DType TransformerDType = DType.BF16;

    internal static SmokeUmt5Recipe TextEncoderRecipe(int vocabSize) => new() { VocabSize = vocabSize, DModel = TextEncoderDModel };

    /// <summary>The cache root: FASTVIDEO_CACHE, else XDG_CACHE_HOME/fastvideo, else ~/.cache/fastvideo.</summary>
    public static string DefaultCacheRoot(Func<string, string?>? env = null) => ResolveCacheRoot(env).Root;

    /// <summary>The cache root and where it came from (the variable, or the default), for error messages.</summary>
    internal static (string Root, string Origin) ResolveCacheRoot(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        if (env("FASTVIDEO_CACHE") is { Length: > 0 } root) return (Path.GetFullPath(root), "FASTVIDEO_CACHE");
        if (env("XDG_CACHE_HOME") is { Length: > 0 } xdg) return (Path.GetFullPath(Path.Combine(xdg, "fastvideo")), "XDG_CACHE_HOME");
        return (Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fastvideo"), "the default ~/.cache/fastvideo");
    }

    /// <summary>
    /// The smoke model folder under <paramref name="cacheRoot"/> (default <see cref="DefaultCacheRoot"/>), built
    /// first when it is absent or does not match its stamp. Safe to call from several threads and processes at
    /// once: a valid folder is returned without locking; builders take an exclusive lock file
    /// (<c>.smoke-wan-vN.lock</c>, released by the OS if a process dies), look again, build in a temporary sibling
    /// and rename it into place, so a reader never sees a partial folder and a late caller uses the winner's.
    /// </summary>
    /// <exception cref="IOException">the cache folder is not usable (read-only, not a folder, no permission: at once,
    /// naming the folder and where it came from), or the lock, held by another process, was not released within
    /// <paramref name="lockTimeout"/> (default two minutes).</exception>
    public static string EnsureCreated(string? cacheRoot = null, TimeSpan? lockTimeout = null)
    {
        var (root, origin) = cacheRoot is null ? ResolveCacheRoot() : (Path.GetFullPath(cacheRoot), "the cacheRoot argument");
        var final = Path.Combine(root, FolderName);
        if (Directory.Exists(final) && SmokeStamp.Verify(final, out _) != null) return final;
        FileStream buildLock;
        try
        {
            Directory.CreateDirectory(root);
            buildLock = AcquireLock(Path.Combine(root, $".{FolderName}.lock"), lockTimeout ?? TimeSpan.FromMinutes(2));
        }
        catch (Exception e) when (e is UnauthorizedAccessException || (e is IOException && e is not LockTimeoutException))
        {
            throw CacheError(root, origin, $"not usable: {e.Message}", e);
        }
        using var lockLifetime = buildLock;
        string problem = "absent";
        if (Directory.Exists(final) && SmokeStamp.Verify(final, out problem) != null) return final; // built while we waited
        RemoveLeftovers(root);
        var temp = Path.Combine(root, $".{FolderName}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            SmokeModelWriter.Write(temp);
            if (Directory.Exists(final))
            {
                // Stale or damaged (see problem): move it out of the way in one rename, then delete it.
                var stale = Path.Combine(root, $".{FolderName}.stale-{Guid.NewGuid():N}");
                Directory.Move(final, stale);
                TryDelete(stale);
            }
            Directory.Move(temp, final);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A builder that ignores the lock (another tool, a copy) may have won the rename: use its folder if valid.
            if (Directory.Exists(final) && SmokeStamp.Verify(final, out _) != null) return final;
            throw CacheError(root, origin, $"could not create {FolderName} in it (previous state: {problem}): {e.Message}", e);
        }
        finally
        {
            TryDelete(temp);
        }
        return final;
    }

    /// <summary>An exclusive lock: a file opened with FileShare.None (flock(LOCK_EX | LOCK_NB) on Unix, a share lock on
    /// Windows), retried every 50 ms until <paramref name="timeout"/> while another process holds it. Any other
    /// failure (read-only file system, no permission, not a folder) is thrown at once.</summary>
    private static FileStream AcquireLock(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (IsHeldByAnother(e))
            {
                if (DateTime.UtcNow >= deadline)
                    throw new LockTimeoutException($"could not take the smoke model build lock {path} within {timeout.TotalSeconds:F0} s: another process holds it ({e.Message})", e);
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>
    /// True when opening a file failed only because another handle holds its lock. .NET reports that as a plain
    /// <see cref="IOException"/> whose HResult is the raw errno EWOULDBLOCK on Unix (11 on Linux, 35 on macOS and the
    /// BSDs: flock(LOCK_NB) refused), or ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION on Windows. Every other
    /// failure has another errno (EROFS 30, EEXIST 17, ...) or a derived type (FileNotFoundException for ENOENT,
    /// DirectoryNotFoundException for ENOTDIR, UnauthorizedAccessException for EACCES/EISDIR).
    /// </summary>
    internal static bool IsHeldByAnother(IOException e)
    {
        if (e.GetType() != typeof(IOException)) return false;
        if (OperatingSystem.IsWindows()) return (e.HResult & 0xFFFF) is 32 or 33;
        return e.HResult == (OperatingSystem.IsLinux() ? 11 : 35);
    }

    /// <summary>A failure of the cache folder, naming it and where it came from, with the way out.</summary>
    private static IOException CacheError(string root, string origin, string detail, Exception inner) =>
        new($"smoke model cache folder {root} (from {origin}): {detail.TrimEnd('.')}; set FASTVIDEO_CACHE to a writable folder", inner);

    /// <summary>The build lock stayed held by another process past the timeout.</summary>
    private sealed class LockTimeoutException(string message, Exception inner) : IOException(message, inner);

    /// <summary>True when <paramref name="folder"/> is a smoke model (its model_index.json carries <see cref="MarkerKey"/>).</summary>
    public static bool IsSmokeModel(string folder)
    {
        var index = Path.Combine(folder, "model_index.json");
        if (!File.Exists(index)) return false;
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllBytes(index));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(MarkerKey, out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Deletes temporary/stale folders that crashed builders left behind (called under the lock, so no
    /// other builder of this recipe is running).</summary>
    private static void RemoveLeftovers(string root)
    {
        foreach (var dir in Directory.EnumerateDirectories(root, $".{FolderName}.*")) TryDelete(dir);
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
