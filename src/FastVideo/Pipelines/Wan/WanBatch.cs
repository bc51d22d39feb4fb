using FastVideo.Entrypoints;
using FastVideo.Media;
using FastVideo.Models.Schedulers;
using FastVideo.Models.Tokenizers;
using FastVideo.Tensors;

namespace FastVideo.Pipelines.Wan;

/// <summary>
/// The state that flows through the Wan stages: the request and its trace (common to every pipeline), then one
/// group of fields per stage that fills it. Each tensor is owned by the batch (replacing one disposes the old
/// value; <see cref="Dispose"/> releases everything left); outputs are taken out with <see cref="TakeOutput"/>.
/// </summary>
public sealed class WanBatch(ResolvedRequest request, GenerationTrace? trace = null) : IDisposable
{
    private Tensor? _promptEmbeds, _negativeEmbeds, _imageEmbeds, _condition, _latents, _floatFrames;
    private IScheduler? _scheduler;

    // ---- common ---------------------------------------------------------------------------------------
    public ResolvedRequest Request { get; } = request ?? throw new ArgumentNullException(nameof(request));
    /// <summary>Receives intermediate values when tracing; null otherwise.</summary>
    public GenerationTrace? Trace { get; } = trace;

    // ---- input validation ------------------------------------------------------------------------------
    /// <summary>I2V: the input image, RGB uint8 (set by input validation from <see cref="ResolvedRequest.ImagePath"/>).</summary>
    public RgbImage? Image { get; set; }

    // ---- text encoding ---------------------------------------------------------------------------------
    public TokenizedBatch? PromptTokens { get; set; }
    public TokenizedBatch? NegativePromptTokens { get; set; }
    /// <summary>[1, L, d_model] F32.</summary>
    public Tensor? PromptEmbeds { get => _promptEmbeds; set => Replace(ref _promptEmbeds, value); }
    /// <summary>[1, L, d_model] F32; null without classifier-free guidance.</summary>
    public Tensor? NegativePromptEmbeds { get => _negativeEmbeds; set => Replace(ref _negativeEmbeds, value); }

    // ---- image encoding (I2V) --------------------------------------------------------------------------
    /// <summary>The CLIP penultimate hidden state [1, tokens, hidden] F32.</summary>
    public Tensor? ImageEmbeds { get => _imageEmbeds; set => Replace(ref _imageEmbeds, value); }

    // ---- conditioning ----------------------------------------------------------------------------------
    /// <summary>Whether the denoiser runs the unconditional pass (decided by the conditioning stage).</summary>
    public bool DoClassifierFreeGuidance { get; set; }

    // ---- timestep preparation --------------------------------------------------------------------------
    /// <summary>The scheduler of this run, with its timesteps set.</summary>
    public IScheduler? Scheduler { get => _scheduler; set { if (!ReferenceEquals(_scheduler, value)) _scheduler?.Dispose(); _scheduler = value; } }

    // ---- latent preparation ----------------------------------------------------------------------------
    /// <summary>[1, z, T', h, w] F32: the noise, then the denoised latents after each step.</summary>
    public Tensor? Latents { get => _latents; set => Replace(ref _latents, value); }
    /// <summary>I2V: cat(mask [1, 4, T', h, w], normalised image latents [1, z, T', h, w]) along channels.</summary>
    public Tensor? ImageCondition { get => _condition; set => Replace(ref _condition, value); }

    // ---- decoding --------------------------------------------------------------------------------------
    /// <summary>F32 [T, H, W, 3] in [0, 1].</summary>
    public Tensor? FloatFrames { get => _floatFrames; set => Replace(ref _floatFrames, value); }
    public VideoFrames? Frames { get; set; }

    /// <summary>
    /// Moves the frames and final latents out of the batch (the caller owns them from now on).
    /// </summary>
    /// <exception cref="InvalidOperationException">decoding has not run.</exception>
    public PipelineOutput TakeOutput()
    {
        if (Frames is null || _floatFrames is null || _latents is null)
            throw new InvalidOperationException("the batch has no decoded output: run every stage first");
        var output = new PipelineOutput(Frames, _floatFrames, _latents);
        _floatFrames = null;
        _latents = null;
        return output;
    }

    private static void Replace(ref Tensor? field, Tensor? value)
    {
        if (ReferenceEquals(field, value)) return;
        field?.Dispose();
        field = value is null ? null : TensorScope.Detach(value);
    }

    public void Dispose()
    {
        PromptEmbeds = null;
        NegativePromptEmbeds = null;
        ImageEmbeds = null;
        ImageCondition = null;
        Latents = null;
        FloatFrames = null;
        Scheduler = null;
    }
}
