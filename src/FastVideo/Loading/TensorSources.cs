namespace FastVideo.Loading;

/// <summary>Opens the weights of a model folder, a safetensors file, or a shard index as one <see cref="ITensorSource"/>.</summary>
public static class TensorSources
{
    /// <summary>
    /// The weight files <see cref="OpenFolder"/> looks for, in precedence order; the first that exists wins.
    /// Diffusers names come first (a diffusers component folder), then transformers names. Within each
    /// family the order is the one that library uses itself: diffusers' <c>ModelMixin.from_pretrained</c>
    /// takes the index when one exists, transformers' <c>PreTrainedModel.from_pretrained</c> takes the
    /// single file first. (Both present only happens when a folder was saved twice without clean-up.)
    /// </summary>
    public static IReadOnlyList<string> WeightFileNames { get; } =
    [
        "diffusion_pytorch_model.safetensors.index.json",
        "diffusion_pytorch_model.safetensors",
        "model.safetensors",
        "model.safetensors.index.json",
    ];

    /// <summary>Extensions of PyTorch pickle checkpoints, which are never loaded (unpickling runs arbitrary code).</summary>
    private static readonly string[] PickleExtensions = [".bin", ".pt", ".pth", ".ckpt"];

    /// <summary>The weight file <see cref="OpenFolder"/> would open in <paramref name="dir"/>, or null when there is none.</summary>
    public static string? FindWeights(string dir)
    {
        foreach (var name in WeightFileNames)
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return Path.GetFullPath(p);
        }
        return null;
    }

    /// <summary>
    /// Opens the weights of a model folder: the first of <see cref="WeightFileNames"/> that exists, as a
    /// <see cref="SafetensorsFile"/> or (for an <c>.index.json</c>) a <see cref="ShardedSafetensors"/>.
    /// </summary>
    /// <exception cref="ModelFolderException">the folder does not exist or holds none of those files; the
    /// message lists what was looked for, other safetensors files present (e.g. variants such as
    /// <c>.fp16.safetensors</c>, not picked automatically), and says that pickle <c>.bin</c> weights are not supported.</exception>
    public static ITensorSource OpenFolder(string dir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full))
            throw new ModelFolderException(full, File.Exists(full) ? "is a file, not a model folder (use TensorSources.Open for a file)" : "model folder not found");
        var found = FindWeights(full);
        if (found != null) return OpenFile(found);

        var files = Directory.EnumerateFiles(full).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        var msg = $"no safetensors weights found; looked for {string.Join(", ", WeightFileNames)}.";
        var otherSafetensors = files.Where(f => f.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".safetensors.index.json", StringComparison.OrdinalIgnoreCase)).ToList();
        if (otherSafetensors.Count > 0)
            msg += $" Other safetensors files here: {string.Join(", ", otherSafetensors)} (open one explicitly with TensorSources.Open; variants are not picked automatically).";
        var pickles = files.Where(f => PickleExtensions.Any(x => f.EndsWith(x, StringComparison.OrdinalIgnoreCase))
                                    || f.EndsWith(".bin.index.json", StringComparison.OrdinalIgnoreCase)).ToList();
        if (pickles.Count > 0)
            msg += $" Found PyTorch pickle weights ({string.Join(", ", pickles)}): .bin/.pt files are not supported, because loading them can run arbitrary code; convert them to safetensors (e.g. save_pretrained(..., safe_serialization=True)).";
        msg += $" The folder contains: {FolderListing.Describe(full)}.";
        throw new ModelFolderException(full, msg);
    }

    /// <summary>
    /// Opens a folder (<see cref="OpenFolder"/>), a <c>*.safetensors</c> file, or a <c>*.safetensors.index.json</c> shard index.
    /// </summary>
    public static ITensorSource Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Directory.Exists(path) ? OpenFolder(path) : OpenFile(path);
    }

    private static ITensorSource OpenFile(string path) =>
        path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)
            ? ShardedSafetensors.Open(path)
            : SafetensorsFile.Open(path);
}
