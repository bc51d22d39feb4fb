using FastVideo.Tensors;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// The timestep argument of <see cref="WanTransformer3DModel"/>'s Forward resolved to host values, with the
/// shapes diffusers 0.35.2 accepts:
/// <list type="bullet">
/// <item>[B]: one timestep per sample (Wan2.1, Wan2.2 14B); [1] broadcasts over the batch as torch does.</item>
/// <item>[B, S] (Wan2.2 TI2V): diffusers flattens it, embeds B·S timesteps and adds the modulation per token, so S
/// must be the token count N = T'·H'·W' (or 1, which broadcasts and equals the [B] path); [1, S] broadcasts
/// over the batch.</item>
/// </list>
/// A 0-d timestep is rejected, as diffusers' <c>get_timestep_embedding</c> asserts a 1-d tensor. Integer
/// timesteps become float as diffusers' <c>.float()</c>.
/// </summary>
public readonly record struct WanTimesteps
{
    /// <summary>B values (per sample) or B·N values (per token, token-major within each sample).</summary>
    public float[] Values { get; }
    /// <summary>Whether <see cref="Values"/> holds one timestep per token.</summary>
    public bool PerToken { get; }

    private WanTimesteps(float[] values, bool perToken)
    {
        Values = values;
        PerToken = perToken;
    }

    /// <summary>One timestep per sample: <paramref name="values"/> holds B values, or 1 value for every sample.</summary>
    public static WanTimesteps PerSample(ReadOnlySpan<float> values, int batch, string op)
    {
        if (values.Length != batch && values.Length != 1)
            throw new ShapeMismatchException($"{op}: {values.Length} timesteps for a batch of {batch} (give one per sample, or one for all)");
        return new WanTimesteps(Expand(values, 1, batch, op), perToken: false);
    }

    /// <summary>Reads <paramref name="timestep"/> ([B], [1], [B, N], [B, 1] or [1, N]) to the host, expanded to the batch.</summary>
    public static WanTimesteps FromTensor(Tensor timestep, int batch, int tokens, string op)
    {
        ArgumentNullException.ThrowIfNull(timestep);
        if (timestep.DType is DType.Bool or DType.U8)
            throw new ArgumentException($"{op}: timestep must be a float or integer tensor, got {timestep.DType}", nameof(timestep));
        string shape = $"[{ShapeUtil.Format(timestep.ShapeSpan)}]";
        switch (timestep.Rank)
        {
            case 0:
                throw new ShapeMismatchException($"{op}: timestep is a 0-d scalar; diffusers' Timesteps takes a 1-d tensor [B] (one per sample) or [B, N] (one per token), e.g. [{batch}]");
            case 1:
                return PerSample(timestep.ToFloatArray(), batch, op);
            case 2:
                int rows = timestep.Size(0), seq = timestep.Size(1);
                if (rows != batch && rows != 1)
                    throw new ShapeMismatchException($"{op}: timestep {shape} has {rows} rows for a batch of {batch}");
                if (seq != tokens && seq != 1)
                    throw new ShapeMismatchException($"{op}: per-token timestep {shape} must be [{batch}, {tokens}] (one per patch token, T'·H'·W' = {tokens}) or [{batch}, 1]");
                var values = timestep.ToFloatArray();
                if (seq == 1) return new WanTimesteps(Expand(values, 1, batch, op), perToken: false);
                return new WanTimesteps(Expand(values, seq, batch, op), perToken: true);
            default:
                throw new ShapeMismatchException($"{op}: timestep must be [B] or [B, N], got {shape}");
        }
    }

    /// <summary>Rows of <paramref name="rowLength"/> values, one row or <paramref name="batch"/> rows, as <paramref name="batch"/> rows; all finite.</summary>
    private static float[] Expand(ReadOnlySpan<float> values, int rowLength, int batch, string op)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) throw new ArgumentException($"{op}: timestep {i} is {values[i]}", "timestep");
        var r = new float[(long)rowLength * batch];
        for (int b = 0; b < batch; b++)
            values.Slice(values.Length == rowLength ? 0 : b * rowLength, rowLength).CopyTo(r.AsSpan(b * rowLength, rowLength));
        return r;
    }
}
