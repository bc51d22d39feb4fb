using FastVideo.Attention;
using FastVideo.Backends;
using FastVideo.Layers;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// Wan cross-attention (diffusers <c>attn2</c>): q = norm_q(to_q(x)); over the text context k = norm_k(to_k(ctx)),
/// v = to_v(ctx) (one fused GEMM for to_k | to_v); no rotary embedding, no mask.
/// I2V adds a second attention of the same q over the image context with k = norm_added_k(add_k_proj(img)),
/// v = add_v_proj(img), and sums the two results before to_out.0.
/// </summary>
public sealed class WanCrossAttention : IDisposable
{
    private readonly IBackend _backend;
    private readonly int _heads, _headDim;
    private readonly Linear _q, _kv, _out;
    private readonly RmsNorm _normQ, _normK;
    private readonly Linear? _addedKv;
    private readonly RmsNorm? _normAddedK;

    private WanCrossAttention(IBackend backend, int heads, int headDim, Linear q, Linear kv, RmsNorm normQ, RmsNorm normK,
        Linear? addedKv, RmsNorm? normAddedK, Linear @out)
    {
        _backend = backend;
        _heads = heads;
        _headDim = headDim;
        _q = q;
        _kv = kv;
        _normQ = normQ;
        _normK = normK;
        _addedKv = addedKv;
        _normAddedK = normAddedK;
        _out = @out;
    }

    public bool HasImageProjections => _addedKv is not null;

    internal static WanCrossAttention Load(IBackend backend, ParameterReader reader, string prefix, WanTransformerConfig config)
    {
        int dim = config.InnerDim;
        var owned = new List<IDisposable>();
        T Own<T>(T d) where T : IDisposable { owned.Add(d); return d; }
        try
        {
            var q = Own(Linear.Load(backend, reader, prefix + ".to_q", dim, dim));
            var kv = Own(Linear.LoadFused(backend, reader, new[] { prefix + ".to_k", prefix + ".to_v" }, dim, new[] { dim, dim }));
            var nq = Own(RmsNorm.Load(backend, reader, prefix + ".norm_q", dim, config.Eps));
            var nk = Own(RmsNorm.Load(backend, reader, prefix + ".norm_k", dim, config.Eps));
            Linear? addedKv = null;
            RmsNorm? nak = null;
            if (config.AddedKvProjDim is int added)
            {
                addedKv = Own(Linear.LoadFused(backend, reader, new[] { prefix + ".add_k_proj", prefix + ".add_v_proj" }, added, new[] { dim, dim }));
                nak = Own(RmsNorm.Load(backend, reader, prefix + ".norm_added_k", dim, config.Eps));
            }
            // diffusers ignores a stored norm_added_q (older checkpoints carry one it never uses).
            reader.Skip(prefix + ".norm_added_q.weight");
            var o = Own(Linear.Load(backend, reader, prefix + ".to_out.0", dim, dim));
            return new WanCrossAttention(backend, config.NumAttentionHeads, config.AttentionHeadDim, q, kv, nq, nk, addedKv, nak, o);
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }
    }

    /// <summary>x [B, N, inner]; text [B, L, inner]; image [B, Li, inner] or null → [B, N, inner].</summary>
    public Tensor Forward(Tensor x, Tensor text, Tensor? image, IAttentionBackend attention)
    {
        int b = x.Size(0), n = x.Size(1), inner = x.Size(2);
        float scale = 1f / MathF.Sqrt(_headDim);
        using var scope = TensorScope.Begin();
        var q = _normQ.Forward(_q.Forward(x)).Reshape(b, n, _heads, _headDim);
        var (k, v) = KeysValues(_kv, _normK, text);
        var o = attention.Attend(q, k, v, scale);                     // [B, N, H, D]
        if (image is not null)
        {
            if (_addedKv is null || _normAddedK is null)
                throw new InvalidOperationException("cross-attention got an image context but has no add_k_proj/add_v_proj");
            var (ki, vi) = KeysValues(_addedKv, _normAddedK, image);
            var oi = attention.Attend(q, ki, vi, scale);
            // diffusers adds the image attention to the text attention (text + image, in that order).
            o = _backend.Add(o, oi);
        }
        return scope.Keep(_out.Forward(o.Reshape(b, n, inner)));
    }

    /// <summary>ctx [B, L, in] → k = norm(kv[..., :inner]) and v = kv[..., inner:], both [B, L, H, D].</summary>
    private (Tensor K, Tensor V) KeysValues(Linear kvProj, RmsNorm normK, Tensor ctx)
    {
        int b = ctx.Size(0), l = ctx.Size(1), inner = _heads * _headDim;
        var kv = kvProj.Forward(ctx);                                  // [B, L, 2·inner]
        var parts = _backend.Split(kv, new[] { inner, inner }, 2);
        var k = normK.Forward(parts[0]).Reshape(b, l, _heads, _headDim);
        var v = parts[1].Reshape(b, l, _heads, _headDim);
        return (k, v);
    }

    public void Dispose()
    {
        _q.Dispose();
        _kv.Dispose();
        _normQ.Dispose();
        _normK.Dispose();
        _addedKv?.Dispose();
        _normAddedK?.Dispose();
        _out.Dispose();
    }
}
