using FastVideo.Models.Tokenizers;
using FastVideo.Tensors;

namespace FastVideo.Pipelines;

/// <summary>A host copy of a tensor's values (F32) and shape, taken while tracing.</summary>
public sealed record TracedTensor(int[] Shape, float[] Values)
{
    /// <summary>Reads <paramref name="t"/> back to the host (a device synchronisation: tracing is for tests and debugging).</summary>
    public static TracedTensor Of(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new TracedTensor(t.Shape, t.ToFloatArray());
    }
}

/// <summary>
/// The intermediate values of one generation, recorded by the stages when tracing is on
/// (<see cref="Entrypoints.GeneratorOptions.Trace"/>): what the golden pipeline tests compare step by step. Every
/// entry is a host copy, so recording costs one read-back per value; leave tracing off for production runs.
/// </summary>
public sealed class GenerationTrace
{
    /// <summary>Tokenizer output for the (cleaned) prompt: [1, max_sequence_length].</summary>
    public TokenizedBatch? PromptTokens { get; internal set; }
    /// <summary>Tokenizer output for the negative prompt (only with classifier-free guidance).</summary>
    public TokenizedBatch? NegativePromptTokens { get; internal set; }
    /// <summary>[1, L, d_model], positions past the prompt's length zeroed.</summary>
    public TracedTensor? PromptEmbeds { get; internal set; }
    public TracedTensor? NegativePromptEmbeds { get; internal set; }
    /// <summary>I2V: the CLIP penultimate hidden state [1, tokens, hidden].</summary>
    public TracedTensor? ImageEmbeds { get; internal set; }
    /// <summary>I2V: cat(mask, normalised image latents) [1, 4 + z, T', h, w].</summary>
    public TracedTensor? ImageCondition { get; internal set; }
    /// <summary>The timesteps the transformer receives, one per step.</summary>
    public IReadOnlyList<float> Timesteps { get; internal set; } = [];
    /// <summary>The initial noise [1, z, T', h, w].</summary>
    public TracedTensor? InitialLatents { get; internal set; }
    /// <summary>Raw transformer output with the prompt, per step.</summary>
    public List<TracedTensor> NoisePredCond { get; } = new();
    /// <summary>Raw transformer output with the negative prompt, per step (empty without guidance).</summary>
    public List<TracedTensor> NoisePredUncond { get; } = new();
    /// <summary>Latents after each scheduler step.</summary>
    public List<TracedTensor> LatentsAfterStep { get; } = new();
    /// <summary>The VAE decoder output before clamping, [1, 3, T, H, W].</summary>
    public TracedTensor? DecodedPreClamp { get; internal set; }
}
