using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Pipelines;

/// <summary>NaN/Inf detection shared by the stages that check what they produced.</summary>
internal static class NonFiniteValues
{
    /// <summary>
    /// Null when every value of the F32 tensor <paramref name="t"/> is finite; otherwise a short description.
    /// <paramref name="hostScan"/>: count in host memory (CPU tensors); else one summed value is read back (NaN and Inf
    /// propagate through a sum), so the device is synchronised once instead of copying the tensor.
    /// </summary>
    public static string? Describe(IBackend backend, Tensor t, bool hostScan)
    {
        if (hostScan) return Describe(t.AsSpan<float>());
        using var flat = t.Reshape(checked((int)t.Numel));
        using var sum = backend.Sum(flat, 0);
        float total = sum.ToFloatArray()[0];
        return float.IsFinite(total) ? null : $"their sum is {total}";
    }

    /// <summary>Null when every value is finite; otherwise "n NaN and m Inf of N values".</summary>
    public static string? Describe(ReadOnlySpan<float> values)
    {
        long nan = 0, inf = 0;
        foreach (float v in values)
        {
            if (float.IsNaN(v)) nan++;
            else if (float.IsInfinity(v)) inf++;
        }
        return nan + inf == 0 ? null : $"{nan} NaN and {inf} Inf of {values.Length} values";
    }
}
