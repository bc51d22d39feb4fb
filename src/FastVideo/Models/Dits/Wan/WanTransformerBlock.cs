using FastVideo.Attention;
using FastVideo.Backends;
using FastVideo.Layers;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// One Wan DiT block (diffusers <c>WanTransformerBlock</c>). With (shift, scale, gate, c_shift, c_scale, c_gate)
/// = scale_shift_table [1, 6, inner] + timestep_proj [B, 6, inner] (or per token [B, N, 6, inner], Wan2.2 TI2V):
/// <code>
/// x = x + attn1(LN(x)·(1 + scale) + shift)·gate          LN: no affine, eps from config, F32
/// x = x + attn2(norm2(x), context)                        norm2: affine LN when cross_attn_norm, else identity
/// x = x + ffn(LN(x)·(1 + c_scale) + c_shift)·c_gate        ffn: Linear, GELU (tanh), Linear
/// </code>
/// LN + modulation is one fused op (<see cref="IBackend.LayerNormModulate"/>) and the gated residual is
/// <see cref="IBackend.AddGated"/>.
/// </summary>
public sealed class WanTransformerBlock : IDisposable
{
    private readonly IBackend _backend;
    private readonly float _eps;
    private readonly LayerNorm? _norm2;
    private readonly WanSelfAttention _attn1;
    private readonly WanCrossAttention _attn2;
    private readonly FeedForward _ffn;
    private readonly Tensor _scaleShiftTable;

    private WanTransformerBlock(IBackend backend, float eps, WanSelfAttention attn1, LayerNorm? norm2, WanCrossAttention attn2,
        FeedForward ffn, Tensor scaleShiftTable)
    {
        _backend = backend;
        _eps = eps;
        _attn1 = attn1;
        _norm2 = norm2;
        _attn2 = attn2;
        _ffn = ffn;
        _scaleShiftTable = TensorScope.Detach(scaleShiftTable);
    }

    internal static WanTransformerBlock Load(IBackend backend, ParameterReader reader, string prefix, WanTransformerConfig config)
    {
        int dim = config.InnerDim;
        var owned = new List<IDisposable>();
        T Own<T>(T d) where T : IDisposable { owned.Add(d); return d; }
        try
        {
            var attn1 = Own(WanSelfAttention.Load(backend, reader, prefix + ".attn1", config));
            var norm2 = config.CrossAttnNorm ? Own(LayerNorm.Load(backend, reader, prefix + ".norm2", dim, config.Eps)) : null;
            var attn2 = Own(WanCrossAttention.Load(backend, reader, prefix + ".attn2", config));
            var ffn = Own(FeedForward.Load(backend, reader, prefix + ".ffn", dim, config.FfnDim, dim, GeluApproximation.Tanh));
            var table = Own(reader.TakeF32(prefix + ".scale_shift_table", 1, 6, dim));
            return new WanTransformerBlock(backend, config.Eps, attn1, norm2, attn2, ffn, table);
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }
    }

    /// <summary>
    /// x [B, N, inner]; text [B, L, inner] and image [B, Li, inner] or null: the cross-attention context already
    /// cut (<see cref="WanCrossContext"/>); timestepProj [B, 6, inner], or [B, N, 6, inner] per token;
    /// rope cos/sin [N, D/2] → [B, N, inner]. <paramref name="inspect"/>, when given, sees the outputs of
    /// attn1, attn2 and ffn (before gating and residual) under <paramref name="name"/>.attn1 etc.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor text, Tensor? image, Tensor timestepProj, Tensor ropeCos, Tensor ropeSin,
        IAttentionBackend attention, VideoGrid grid, Action<string, Tensor>? inspect = null, string name = "block")
    {
        using var scope = TensorScope.Begin();
        var chunks = Modulation(_backend, _scaleShiftTable, timestepProj, 6);
        Tensor shift = chunks[0], scale = chunks[1], gate = chunks[2], cShift = chunks[3], cScale = chunks[4], cGate = chunks[5];

        // 1. self-attention
        var h = _backend.LayerNormModulate(x, scale, shift, _eps);
        var a1 = _attn1.Forward(h, ropeCos, ropeSin, attention, grid);
        inspect?.Invoke(name + ".attn1", a1);
        x = _backend.AddGated(x, a1, gate);

        // 2. cross-attention (ungated)
        var h2 = _norm2 is null ? x : _norm2.Forward(x);
        var a2 = _attn2.Forward(h2, text, image, attention);
        inspect?.Invoke(name + ".attn2", a2);
        x = _backend.Add(x, a2);

        // 3. feed-forward
        var h3 = _backend.LayerNormModulate(x, cScale, cShift, _eps);
        var f = _ffn.Forward(h3);
        inspect?.Invoke(name + ".ffn", f);
        return scope.Keep(_backend.AddGated(x, f, cGate));
    }

    /// <summary>
    /// The k modulation vectors table + proj, each broadcastable against the tokens [B, N, inner]: for a table
    /// [1, k, inner] and a per-sample proj [B, k, inner] each is [B, 1, inner]; for a per-token proj [B, N, k, inner]
    /// (Wan2.2 TI2V; or [B, N, 1, inner], broadcast) the table is added to every token and each is [B, N, inner].
    /// </summary>
    internal static Tensor[] Modulation(IBackend backend, Tensor table, Tensor proj, int k)
    {
        var ones = Enumerable.Repeat(1, k).ToArray();
        if (proj.Rank == 3) return backend.Split(backend.Add(table, proj), ones, 1);
        int b = proj.Size(0), n = proj.Size(1), inner = table.Size(2);
        var mod = backend.Add(table.Reshape(1, 1, k, inner), proj);     // [B, N, k, inner]
        return backend.Split(mod, ones, 2).Select(c => c.Reshape(b, n, inner)).ToArray();
    }

    public void Dispose()
    {
        _attn1.Dispose();
        _norm2?.Dispose();
        _attn2.Dispose();
        _ffn.Dispose();
        _scaleShiftTable.Dispose();
    }
}
