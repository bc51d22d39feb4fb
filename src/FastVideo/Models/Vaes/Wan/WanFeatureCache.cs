using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// The causal feature cache that lets the Wan VAE run a video chunk by chunk (diffusers' <c>feat_cache</c>):
/// one slot per cached layer, holding at most <see cref="CacheFrames"/> trailing frames of that layer's input
/// from the previous chunk, so that memory follows one chunk, not the whole video. A slot also remembers
/// whether its layer has run at all, which the temporal up/downsamplers need (diffusers' <c>"Rep"</c> marker and
/// first-chunk pass-through). Stored tensors are detached from any <see cref="TensorScope"/>: the cache owns
/// them until it replaces them or is disposed.
/// </summary>
public sealed class WanFeatureCache : IDisposable
{
    /// <summary>Frames kept per cached convolution (diffusers' CACHE_T).</summary>
    public const int CacheFrames = 2;

    private readonly Tensor?[] _frames;
    private readonly bool[] _started;

    public WanFeatureCache(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slots);
        _frames = new Tensor?[slots];
        _started = new bool[slots];
    }

    public int Slots => _frames.Length;

    /// <summary>The frames cached by slot <paramref name="slot"/> in the previous chunk, or null.</summary>
    public Tensor? Get(int slot) => _frames[slot];

    /// <summary>Whether the layer owning <paramref name="slot"/> has processed a chunk.</summary>
    public bool Started(int slot) => _started[slot];

    /// <summary>Replaces the slot's frames (the cache takes ownership; the previous tensor is disposed).</summary>
    public void Set(int slot, Tensor? frames)
    {
        if (frames != null) TensorScope.Detach(frames);
        var old = _frames[slot];
        _frames[slot] = frames;
        _started[slot] = true;
        if (!ReferenceEquals(old, frames)) old?.Dispose();
    }

    /// <summary>Marks the slot as started without frames (the first chunk of a temporal upsampler).</summary>
    public void MarkStarted(int slot) => _started[slot] = true;

    /// <summary>Bytes held by the cached frames (for memory accounting in tests and benchmarks).</summary>
    public long Bytes => _frames.Sum(t => t is { IsDisposed: false } ? t.Bytes : 0);

    public void Dispose()
    {
        for (int i = 0; i < _frames.Length; i++)
        {
            _frames[i]?.Dispose();
            _frames[i] = null;
        }
    }
}

/// <summary>Hands out cache slot indices while a VAE half is built, one per cached layer.</summary>
internal sealed class WanCacheSlots
{
    public int Count { get; private set; }
    public int Next() => Count++;
}
