using FastVideo.Backends;

namespace FastVideo.Entrypoints;

/// <summary>How <see cref="VideoGenerator.FromPretrained"/> sets a generator up. Read once, at load.</summary>
public sealed record GeneratorOptions
{
    /// <summary>"cpu", "cuda" or "cuda:N". A device whose backend is not in this build is an error.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// The numeric precision, read once here. <see cref="Backends.Precision.Auto"/> (default): bf16 on CUDA (as FastVideo
    /// does: GEMM inputs bf16 with FP32 accumulation, flash attention where eligible), fp32 on the CPU.
    /// <see cref="Backends.Precision.Fp32"/>: the exact FP32 op contract on every device (bit-identical to earlier
    /// releases). <see cref="Backends.Precision.Bf16"/> must be served: on a device without a bf16 compute path (the
    /// CPU) it is an error, never silently downgraded.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Auto;

    /// <summary>
    /// The attention implementation ("sdpa"). Null: the FASTVIDEO_ATTENTION_BACKEND environment variable, else
    /// the best available one.
    /// </summary>
    public string? AttentionBackend { get; init; }

    /// <summary>Receives informational lines (loading, resizing, the smoke-model notice).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Record every intermediate value (token ids, embeddings, per-step noise predictions and latents) in
    /// <see cref="GenerationResult.Trace"/>. Each value is read back to the host, so leave it off for speed.
    /// </summary>
    public bool Trace { get; init; }

    /// <summary>On a device backend, check the latents for NaN/Inf every this many steps (and after the last); the CPU checks every step.</summary>
    public int NonFiniteCheckInterval { get; init; } = 10;
}
