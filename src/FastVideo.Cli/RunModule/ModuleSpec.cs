using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Cli.RunModule;

/// <summary>
/// One runnable component forward: the tensor names it reads and writes (those of the goldens, i.e. the
/// library's argument and output names) and how to run it. <see cref="Run"/> loads the model from the folder,
/// runs it once on the named inputs and returns the named outputs, owned by the caller.
/// </summary>
internal sealed record ModuleSpec(
    ModuleKind Kind,
    string ClassName,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> OptionalInputs,
    IReadOnlyList<string> Outputs,
    Func<IBackend, string, IReadOnlyDictionary<string, Tensor>, IReadOnlyList<KeyValuePair<string, Tensor>>> Run)
{
    /// <summary>"a, b, c[, d]": the input names for messages.</summary>
    public string DescribeInputs() =>
        string.Join(", ", Inputs) + (OptionalInputs.Count > 0 ? $" (optional: {string.Join(", ", OptionalInputs)})" : "");

    public static ModuleSpec For(ModuleKind kind) => kind switch
    {
        ModuleKind.Transformer => ModuleRunners.Transformer,
        ModuleKind.VaeEncode => ModuleRunners.VaeEncode,
        ModuleKind.VaeDecode => ModuleRunners.VaeDecode,
        ModuleKind.Umt5 => ModuleRunners.Umt5,
        ModuleKind.Clip => ModuleRunners.Clip,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "the VAE direction must be decided first"),
    };
}
