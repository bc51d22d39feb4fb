namespace FastVideo.Cli.RunModule;

/// <summary>What <c>fastvideo run-module</c> runs: one forward of one component.</summary>
internal enum ModuleKind
{
    Transformer,
    VaeEncode,
    VaeDecode,
    /// <summary>The VAE, direction chosen by which input is present (<c>video</c> → encode, <c>latents</c> → decode).</summary>
    Vae,
    Umt5,
    Clip,
}

internal static class ModuleKinds
{
    /// <summary>The values <c>--kind</c> accepts.</summary>
    public static readonly string[] Names = ["transformer", "vae-encode", "vae-decode", "umt5", "clip"];

    /// <summary>Model classes (config.json <c>_class_name</c> / <c>architectures[0]</c>) and the kind each one runs as.</summary>
    public static readonly IReadOnlyDictionary<string, ModuleKind> ByClass = new Dictionary<string, ModuleKind>(StringComparer.Ordinal)
    {
        ["WanTransformer3DModel"] = ModuleKind.Transformer,
        ["AutoencoderKLWan"] = ModuleKind.Vae,
        ["UMT5EncoderModel"] = ModuleKind.Umt5,
        ["CLIPVisionModelWithProjection"] = ModuleKind.Clip,
    };

    public static ModuleKind Parse(string name) => name switch
    {
        "transformer" => ModuleKind.Transformer,
        "vae-encode" => ModuleKind.VaeEncode,
        "vae-decode" => ModuleKind.VaeDecode,
        "umt5" => ModuleKind.Umt5,
        "clip" => ModuleKind.Clip,
        _ => throw new UsageException($"--kind {name}: unknown kind; expected one of {string.Join(", ", Names)}"),
    };

    /// <summary>The kinds are the same model (the VAE directions all belong to the VAE).</summary>
    public static bool SameModel(ModuleKind a, ModuleKind b) => Family(a) == Family(b);

    private static ModuleKind Family(ModuleKind k) => k is ModuleKind.VaeEncode or ModuleKind.VaeDecode ? ModuleKind.Vae : k;

    /// <summary>
    /// The kind to run: <paramref name="requested"/> (from <c>--kind</c>) when given, which must fit a known class;
    /// otherwise the one <paramref name="className"/> implies.
    /// </summary>
    public static ModuleKind Resolve(string className, string folder, ModuleKind? requested)
    {
        bool known = ByClass.TryGetValue(className, out var implied);
        if (requested is { } r)
        {
            if (known && !SameModel(r, implied))
                throw new UsageException($"--kind {Describe(r)} does not fit {folder}: its config names {className}, which runs as {Describe(implied)}");
            return r;
        }
        if (!known)
            throw new UsageException($"{folder}: model class '{className}' is not one run-module knows ({string.Join(", ", ByClass.Keys)}); pass --kind {string.Join("|", Names)} if it is one of those models under another name");
        return implied;
    }

    public static string Describe(ModuleKind k) => k switch
    {
        ModuleKind.Vae => "vae-encode or vae-decode",
        _ => Names[NameIndex(k)],
    };

    private static int NameIndex(ModuleKind k) => k switch
    {
        ModuleKind.Transformer => 0,
        ModuleKind.VaeEncode => 1,
        ModuleKind.VaeDecode => 2,
        ModuleKind.Umt5 => 3,
        ModuleKind.Clip => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(k), k, "no single --kind name"),
    };
}
