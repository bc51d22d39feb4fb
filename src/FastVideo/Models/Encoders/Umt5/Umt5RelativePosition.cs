namespace FastVideo.Models.Encoders.Umt5;

/// <summary>
/// T5's bidirectional relative-position buckets (transformers <c>UMT5Attention._relative_position_bucket</c>,
/// encoder case). For relative position r = key − query, with n = num_buckets/2 and e = n/2 exact positions:
/// bucket = (r &gt; 0 ? n : 0) + (|r| &lt; e ? |r| : min(n − 1, e + ⌊log(|r|/e) / log(max_distance/e) · (n − e)⌋)).
/// The logarithm branch is evaluated in float32 exactly as PyTorch does (a float32 tensor divided and multiplied
/// by Python scalars cast to float32), so bucket edges land where the library puts them.
/// </summary>
public static class Umt5RelativePosition
{
    public static int Bucket(int relativePosition, int numBuckets, int maxDistance)
    {
        int n = numBuckets / 2;
        int bucket = relativePosition > 0 ? n : 0;
        int rp = Math.Abs(relativePosition);
        int maxExact = n / 2;
        if (rp < maxExact) return bucket + rp;
        float logRatio = MathF.Log(rp / (float)maxExact);
        logRatio /= (float)Math.Log(maxDistance / (double)maxExact);
        logRatio *= n - maxExact;
        // .to(torch.long) truncates toward zero; the ratio is ≥ 0 here.
        int large = maxExact + (int)logRatio;
        return bucket + Math.Min(large, n - 1);
    }

    /// <summary>Bucket ids [queryLength, keyLength] (row-major) for bias lookup.</summary>
    public static int[] Buckets(int queryLength, int keyLength, int numBuckets, int maxDistance)
    {
        var ids = new int[queryLength * keyLength];
        for (int i = 0; i < queryLength; i++)
            for (int j = 0; j < keyLength; j++)
                ids[i * keyLength + j] = Bucket(j - i, numBuckets, maxDistance);
        return ids;
    }
}
