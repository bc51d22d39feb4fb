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

    /// <summary>
    /// The bucket of every relative position r = key − query of a [queryLength, keyLength] grid, indexed by
    /// r + queryLength − 1 (r from −(queryLength − 1) to keyLength − 1): the bucket depends on r alone, so these
    /// queryLength + keyLength − 1 ids are all the distinct values of <see cref="Buckets"/>.
    /// </summary>
    public static int[] OffsetBuckets(int queryLength, int keyLength, int numBuckets, int maxDistance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queryLength);
        ArgumentOutOfRangeException.ThrowIfNegative(keyLength);
        var ids = new int[Math.Max(0, checked(queryLength + keyLength - 1))];
        for (int k = 0; k < ids.Length; k++) ids[k] = Bucket(k - (queryLength - 1), numBuckets, maxDistance);
        return ids;
    }

    /// <summary>Bucket ids [queryLength, keyLength] (row-major) for bias lookup: row i is the window of
    /// <see cref="OffsetBuckets"/> starting at queryLength − 1 − i, so <see cref="Bucket"/> runs O(q + k) times.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a length is negative, or the grid exceeds the largest array.</exception>
    public static int[] Buckets(int queryLength, int keyLength, int numBuckets, int maxDistance)
    {
        var byOffset = OffsetBuckets(queryLength, keyLength, numBuckets, maxDistance);
        long count = (long)queryLength * keyLength;
        if (count == 0) return [];
        if (count > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(keyLength), keyLength,
                $"relative-position buckets: a {queryLength}×{keyLength} grid exceeds the largest array ({Array.MaxLength} entries)");
        var ids = new int[count];
        for (int i = 0; i < queryLength; i++)
            Array.Copy(byOffset, queryLength - 1 - i, ids, (long)i * keyLength, keyLength);
        return ids;
    }
}
