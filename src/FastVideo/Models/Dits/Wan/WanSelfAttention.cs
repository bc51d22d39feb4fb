using FastVideo.Attention;
using FastVideo.Backends;
using FastVideo.Layers;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// Wan self-attention (diffusers <c>attn1</c>): one fused GEMM for to_q | to_k | to_v, RMSNorm of q and k over
/// the whole inner dim (across heads), rotary embedding on q and k, dense attention with scale 1/√D, to_out.0.
/// </summary>
public sealed class WanSelfAttention : IDisposable
{
    private readonly IBackend _backend;
    private readonly int _heads, _headDim;
    private readonly Linear _qkv, _out;
    private readonly RmsNorm _normQ, _normK;

    private WanSelfAttention(IBackend backend, int heads, int headDim, Linear qkv, RmsNorm normQ, RmsNorm normK, Linear @out)
    {
        _backend = backend;
        _heads = heads;
        _headDim = headDim;
        _qkv = qkv;
        _normQ = normQ;
        _normK = normK;
        _out = @out;
    }

    internal static WanSelfAttention Load(IBackend backend, ParameterReader reader, string prefix, WanTransformerConfig config)
    {
        int dim = config.InnerDim;
        var owned = new List<IDisposable>();
        T Own<T>(T d) where T : IDisposable { owned.Add(d); return d; }
        try
        {
            var qkv = Own(Linear.LoadFused(backend, reader, new[] { prefix + ".to_q", prefix + ".to_k", prefix + ".to_v" }, dim, new[] { dim, dim, dim }));
            var nq = Own(RmsNorm.Load(backend, reader, prefix + ".norm_q", dim, config.Eps));
            var nk = Own(RmsNorm.Load(backend, reader, prefix + ".norm_k", dim, config.Eps));
            var o = Own(Linear.Load(backend, reader, prefix + ".to_out.0", dim, dim));
            return new WanSelfAttention(backend, config.NumAttentionHeads, config.AttentionHeadDim, qkv, nq, nk, o);
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }
    }

    /// <summary>x [B, N, inner]; rope cos/sin [N, D/2] → [B, N, inner].</summary>
    public Tensor Forward(Tensor x, Tensor ropeCos, Tensor ropeSin, IAttentionBackend attention, VideoGrid grid)
    {
        int b = x.Size(0), n = x.Size(1), inner = x.Size(2);
        using var scope = TensorScope.Begin();
        var qkv = _qkv.Forward(x);                                    // [B, N, 3·inner]
        var parts = _backend.Split(qkv, new[] { inner, inner, inner }, 2);
        var q = _normQ.Forward(parts[0]).Reshape(b, n, _heads, _headDim);
        var k = _normK.Forward(parts[1]).Reshape(b, n, _heads, _headDim);
        var v = parts[2].Reshape(b, n, _heads, _headDim);
        q = _backend.ApplyRope(q, ropeCos, ropeSin);
        k = _backend.ApplyRope(k, ropeCos, ropeSin);
        var o = attention.Attend(q, k, v, 1f / MathF.Sqrt(_headDim), grid); // [B, N, H, D]
        return scope.Keep(_out.Forward(o.Reshape(b, n, inner)));
    }

    public void Dispose()
    {
        _qkv.Dispose();
        _normQ.Dispose();
        _normK.Dispose();
        _out.Dispose();
    }
}
