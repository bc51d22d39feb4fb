using FastVideo.Tensors;

namespace FastVideo.Models.Tokenizers;

/// <summary>
/// Token ids and attention mask of a batch, row-major [BatchSize, Length] (what a transformers tokenizer returns with
/// <c>padding="max_length"</c>): mask 1 for real tokens, 0 for padding.
/// </summary>
public sealed class TokenizedBatch
{
    public TokenizedBatch(long[] inputIds, long[] attentionMask, int batchSize, int length)
    {
        if (inputIds.Length != (long)batchSize * length || attentionMask.Length != inputIds.Length)
            throw new ArgumentException($"ids ({inputIds.Length}) and mask ({attentionMask.Length}) must both hold {batchSize}×{length} values");
        InputIds = inputIds;
        AttentionMask = attentionMask;
        BatchSize = batchSize;
        Length = length;
    }

    public long[] InputIds { get; }
    public long[] AttentionMask { get; }
    public int BatchSize { get; }
    public int Length { get; }

    public ReadOnlySpan<long> Row(int b) => InputIds.AsSpan(b * Length, Length);

    /// <summary>Number of mask entries that are 1 in row <paramref name="b"/> (WanPipeline's <c>mask.gt(0).sum(1)</c>).</summary>
    public int SequenceLength(int b)
    {
        int n = 0;
        foreach (long m in AttentionMask.AsSpan(b * Length, Length)) if (m > 0) n++;
        return n;
    }

    /// <summary>input_ids as an I64 tensor [B, L] (caller disposes).</summary>
    public Tensor InputIdsTensor(IAllocator? allocator = null) =>
        Tensor.FromHost<long>(allocator ?? CpuAllocator.Shared, InputIds, [BatchSize, Length]);

    /// <summary>attention_mask as an I64 tensor [B, L] (caller disposes).</summary>
    public Tensor AttentionMaskTensor(IAllocator? allocator = null) =>
        Tensor.FromHost<long>(allocator ?? CpuAllocator.Shared, AttentionMask, [BatchSize, Length]);
}
