using FastVideo.Backends;
using FastVideo.Layers;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// diffusers <c>WanTimeTextImageEmbedding</c> (parameters under <c>condition_embedder.</c>):
/// <list type="bullet">
/// <item>temb = time_embedder.linear_2(SiLU(time_embedder.linear_1(sinusoid(t))))  [B, inner]</item>
/// <item>timestep_proj = time_proj(SiLU(temb))  [B, 6·inner]</item>
/// <item>text = text_embedder.linear_2(GELU_tanh(text_embedder.linear_1(ctx)))  [B, L, inner]</item>
/// <item>I2V: image = norm2(ff(norm1(img [+ pos_embed])))  [B, Li, inner]; norms are affine LayerNorms with
/// eps 1e-5 (FP32LayerNorm defaults), ff is Linear(image_dim→image_dim), exact GELU, Linear(→inner).</item>
/// </list>
/// </summary>
public sealed class WanConditionEmbedder : IDisposable
{
    /// <summary>FP32LayerNorm's default epsilon (nn.LayerNorm's), used by the image embedder.</summary>
    private const float ImageNormEps = 1e-5f;

    private readonly IBackend _backend;
    private readonly int _freqDim;
    private readonly Linear _timeLinear1, _timeLinear2, _timeProj, _textLinear1, _textLinear2;
    private readonly LayerNorm? _imageNorm1, _imageNorm2;
    private readonly FeedForward? _imageFf;
    private readonly Tensor? _imagePosEmbed;

    private WanConditionEmbedder(IBackend backend, int freqDim, Linear timeLinear1, Linear timeLinear2, Linear timeProj,
        Linear textLinear1, Linear textLinear2, LayerNorm? imageNorm1, FeedForward? imageFf, LayerNorm? imageNorm2, Tensor? imagePosEmbed)
    {
        _backend = backend;
        _freqDim = freqDim;
        _timeLinear1 = timeLinear1;
        _timeLinear2 = timeLinear2;
        _timeProj = timeProj;
        _textLinear1 = textLinear1;
        _textLinear2 = textLinear2;
        _imageNorm1 = imageNorm1;
        _imageFf = imageFf;
        _imageNorm2 = imageNorm2;
        _imagePosEmbed = imagePosEmbed is null ? null : TensorScope.Detach(imagePosEmbed);
    }

    public bool HasImageEmbedder => _imageFf is not null;

    internal static WanConditionEmbedder Load(IBackend backend, ParameterReader reader, WanTransformerConfig config, string prefix = "condition_embedder")
    {
        int inner = config.InnerDim;
        var owned = new List<IDisposable>();
        T Own<T>(T d) where T : IDisposable { owned.Add(d); return d; }
        try
        {
            var t1 = Own(Linear.Load(backend, reader, prefix + ".time_embedder.linear_1", config.FreqDim, inner));
            var t2 = Own(Linear.Load(backend, reader, prefix + ".time_embedder.linear_2", inner, inner));
            var tp = Own(Linear.Load(backend, reader, prefix + ".time_proj", inner, 6 * inner));
            var x1 = Own(Linear.Load(backend, reader, prefix + ".text_embedder.linear_1", config.TextDim, inner));
            var x2 = Own(Linear.Load(backend, reader, prefix + ".text_embedder.linear_2", inner, inner));
            LayerNorm? n1 = null, n2 = null;
            FeedForward? ff = null;
            Tensor? pos = null;
            if (config.ImageDim is int img)
            {
                string ip = prefix + ".image_embedder";
                n1 = Own(LayerNorm.Load(backend, reader, ip + ".norm1", img, ImageNormEps));
                ff = Own(FeedForward.Load(backend, reader, ip + ".ff", img, img, inner, GeluApproximation.None));
                n2 = Own(LayerNorm.Load(backend, reader, ip + ".norm2", inner, ImageNormEps));
                if (config.PosEmbedSeqLen is int p)
                    pos = Own(reader.TakeF32(ip + ".pos_embed", 1, p, img));
            }
            return new WanConditionEmbedder(backend, config.FreqDim, t1, t2, tp, x1, x2, n1, ff, n2, pos);
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }
    }

    /// <summary>
    /// temb [n, inner] and timestep_proj [n, 6, inner] for n host timesteps (one per sample, or one per token
    /// for Wan2.2 TI2V; the caller reshapes those to [B, N, ...]).
    /// </summary>
    public (Tensor Temb, Tensor TimestepProj) EmbedTime(ReadOnlySpan<float> timesteps)
    {
        int batch = timesteps.Length;
        using var scope = TensorScope.Begin();
        var sinusoid = Tensor.FromHost<float>(_backend.Allocator, WanTimestepSinusoid.Compute(timesteps, _freqDim), new[] { batch, _freqDim });
        var temb = _timeLinear2.Forward(_backend.Silu(_timeLinear1.Forward(sinusoid)));
        var proj = _timeProj.Forward(_backend.Silu(temb));
        var proj3 = proj.Reshape(batch, 6, -1);
        return (scope.Keep(temb), scope.Keep(proj3));
    }

    /// <summary>Text context [B, L, text_dim] → [B, L, inner].</summary>
    public Tensor EmbedText(Tensor text)
    {
        using var h = _textLinear1.Forward(text);
        using var a = _backend.Gelu(h, GeluApproximation.Tanh);
        return _textLinear2.Forward(a);
    }

    /// <summary>
    /// CLIP image features [B', Li, image_dim] → [B, Li', inner]. With a position table (FLF2V) two images per
    /// sample are joined first, as diffusers' <c>view(-1, 2·Li, D)</c>: [2B, Li, D] is viewed as [B, 2Li, D] and
    /// the table [1, P, D] is added (P = 2Li, or P = 1 broadcast over the tokens).
    /// </summary>
    public Tensor EmbedImage(Tensor image)
    {
        if (_imageFf is null || _imageNorm1 is null || _imageNorm2 is null)
            throw new InvalidOperationException("this Wan transformer has no image embedder (image_dim is null)");
        using var scope = TensorScope.Begin();
        var x = image;
        if (_imagePosEmbed is not null)
        {
            int joined = 2 * image.Size(1);
            if (image.Size(0) % 2 != 0 || (_imagePosEmbed.Size(1) != joined && _imagePosEmbed.Size(1) != 1))
                throw new ShapeMismatchException($"image embedder: features [{ShapeUtil.Format(image.ShapeSpan)}] cannot be joined in pairs to [B, {joined}, D] for pos_embed [{ShapeUtil.Format(_imagePosEmbed.ShapeSpan)}]");
            x = _backend.Add(image.Reshape(-1, joined, image.Size(2)), _imagePosEmbed);
        }
        var h = _imageNorm2.Forward(_imageFf.Forward(_imageNorm1.Forward(x)));
        return scope.Keep(h);
    }

    public void Dispose()
    {
        _timeLinear1.Dispose();
        _timeLinear2.Dispose();
        _timeProj.Dispose();
        _textLinear1.Dispose();
        _textLinear2.Dispose();
        _imageNorm1?.Dispose();
        _imageFf?.Dispose();
        _imageNorm2?.Dispose();
        _imagePosEmbed?.Dispose();
    }
}
