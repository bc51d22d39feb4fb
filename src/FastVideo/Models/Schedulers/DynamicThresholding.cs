using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// diffusers' <c>_threshold_sample</c> (Imagen's dynamic thresholding) on a predicted x0 [B, ...]: per batch entry,
/// s = clamp(quantile(|x0|, ratio), min = 1, max = sample_max_value) and x0 = clamp(x0, −s, s)/s. torch.clamp with
/// min &gt; max gives max, so for sample_max_value ≤ 1 every s is sample_max_value and the update stays on the
/// device (Clamp, then a division by a one-element tensor); otherwise the quantiles need the values on the host
/// (torch.quantile, linear interpolation, computed in float32 as torch does).
/// </summary>
internal static class DynamicThresholding
{
    public static Tensor Apply(IBackend backend, Tensor x0, double ratio, double sampleMaxValue)
    {
        if (x0.Rank < 2)
            throw new ShapeMismatchException($"{UniPCMultistepConfig.DiffusersClassName}: thresholding needs a sample of rank ≥ 2 [batch, channels, ...], got [{ShapeUtil.Format(x0.ShapeSpan)}]");
        float smv = (float)sampleMaxValue;
        if (smv <= 1f)
        {
            using var clamped = backend.Clamp(x0, -smv, smv);
            using var s = backend.Full([1], smv);
            return backend.Div(clamped, s);
        }

        int batch = x0.ShapeSpan[0];
        int per = checked((int)(x0.Numel / batch));
        var values = x0.ToArray<float>();
        var row = new float[per];
        for (int b = 0; b < batch; b++)
        {
            var span = values.AsSpan(b * per, per);
            for (int i = 0; i < per; i++) row[i] = MathF.Abs(span[i]);
            float q = Quantile(row, (float)ratio);
            float s = MathF.Min(MathF.Max(q, 1f), smv); // torch.clamp(q, min=1, max=smv); NaN propagates
            if (float.IsNaN(q)) s = float.NaN;
            for (int i = 0; i < per; i++) span[i] = MathF.Min(MathF.Max(span[i], -s), s) / s;
        }
        return Tensor.FromHost<float>(backend.Allocator, values, x0.ShapeSpan);
    }

    /// <summary>
    /// torch.quantile(v, q) with linear interpolation: sorted ascending (NaN last, any NaN gives NaN), rank = q·(n − 1)
    /// in float32, lerp(v[⌊rank⌋], v[⌈rank⌉], rank − ⌊rank⌋) with torch's two-sided lerp formula.
    /// </summary>
    internal static float Quantile(float[] v, float q)
    {
        var sorted = (float[])v.Clone();
        Array.Sort(sorted);
        foreach (float x in sorted) if (float.IsNaN(x)) return float.NaN;
        float rank = q * (sorted.Length - 1);
        long below = (long)rank;
        long above = (long)MathF.Ceiling(rank);
        float w = rank - below;
        float a = sorted[below], b = sorted[above];
        return w < 0.5f ? a + w * (b - a) : b - (b - a) * (1f - w);
    }
}
