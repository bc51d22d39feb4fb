using System.Runtime.InteropServices;
using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Smoke;
using FastVideo.Tensors;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// An in-memory <see cref="ITensorSource"/> holding every parameter a text-to-video <see cref="WanTransformer3DModel"/>
/// with <paramref name="config"/> needs (names and shapes as the smoke recipe lists them, the real checkpoint's), with
/// deterministic random values generated on demand, never all held on the host: N(mean, std²) with the recipe's mean
/// (1 for norm gains, 0 otherwise) and a small <paramref name="std"/>, stored in <paramref name="dtype"/> (BF16 like the
/// released checkpoints, or F32). For benchmarks (<c>fastvideo bench dit</c>): values are random, not trained, so only
/// the timing and memory of a forward mean anything.
/// </summary>
public sealed class WanRandomCheckpoint(WanTransformerConfig config, ulong seed = 0x5EED, double std = 0.02, DType dtype = DType.BF16) : ITensorSource
{
    private const int Chunk = 1 << 16;
    private readonly Dictionary<string, ParameterSpec> _specs = Specs(config);

    public string Description => "random in-memory checkpoint";
    public IEnumerable<string> Names => _specs.Keys;
    /// <summary>The number of parameters.</summary>
    public long ParameterCount => _specs.Values.Sum(s => s.Count);

    public bool Contains(string name) => _specs.ContainsKey(name);

    public SafetensorsEntry Entry(string name)
    {
        if (!_specs.TryGetValue(name, out var s)) throw new SafetensorsException(Description, name, "not in this checkpoint");
        return new SafetensorsEntry(name, dtype, s.Shape, 0, s.Count * dtype.Size());
    }

    public Tensor Load(string name, IAllocator? allocator = null)
    {
        var e = Entry(name);
        var values = Values(name);
        byte[] bytes;
        if (dtype == DType.BF16)
        {
            var h = new BFloat16[values.Length];
            for (int i = 0; i < h.Length; i++) h[i] = (BFloat16)values[i];
            bytes = MemoryMarshal.AsBytes(h.AsSpan()).ToArray();
        }
        else if (dtype == DType.F32) bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        else throw new NotSupportedException($"{Description}: dtype {dtype} is not supported (BF16 or F32)");
        var t = Tensor.Empty(allocator ?? CpuAllocator.Shared, e.Shape, dtype);
        t.Name = name;
        t.Storage.Allocator.CopyFromHost(bytes, t.DataPointer);
        return t;
    }

    public Tensor LoadF32(string name, IAllocator? allocator = null)
    {
        var e = Entry(name);
        var values = Values(name);
        if (dtype == DType.BF16)
            for (int i = 0; i < values.Length; i++) values[i] = (float)(BFloat16)values[i]; // as stored
        var t = Tensor.FromHost<float>(allocator ?? CpuAllocator.Shared, values, e.Shape);
        t.Name = name;
        return t;
    }

    public void Dispose() { }

    /// <summary>The values of one tensor: chunks of 64 Ki values, each from its own splitmix64 stream, in parallel.</summary>
    private float[] Values(string name)
    {
        var s = _specs[name];
        var values = new float[s.Count];
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in name) { h ^= c; h *= 0x100000001B3UL; }
        int chunks = (int)((values.Length + Chunk - 1) / Chunk);
        float mean = (float)s.Mean;
        Parallel.For(0, chunks, k =>
        {
            var r = new SmokeRandom(seed ^ h ^ ((ulong)k * 0x9E3779B97F4A7C15UL));
            r.NextUInt64();
            int start = k * Chunk, end = Math.Min(values.Length, start + Chunk);
            for (int i = start; i < end; i += 2)
            {
                // Box–Muller with the platform's libm (fast; bit-exactness across machines is not needed here)
                double u1 = 1.0 - r.NextDouble(), u2 = r.NextDouble();
                double rad = std * Math.Sqrt(-2.0 * Math.Log(u1));
                var (sin, cos) = Math.SinCos(2 * Math.PI * u2);
                values[i] = mean + (float)(rad * cos);
                if (i + 1 < end) values[i + 1] = mean + (float)(rad * sin);
            }
        });
        return values;
    }

    private static Dictionary<string, ParameterSpec> Specs(WanTransformerConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.ImageDim is not null || c.AddedKvProjDim is not null || c.PosEmbedSeqLen is not null)
            throw new NotSupportedException("WanRandomCheckpoint: only text-to-video configs (no image_dim, added_kv_proj_dim, pos_embed_seq_len)");
        var recipe = new SmokeTransformerRecipe
        {
            NumAttentionHeads = c.NumAttentionHeads,
            AttentionHeadDim = c.AttentionHeadDim,
            InChannels = c.InChannels,
            OutChannels = c.OutChannels,
            TextDim = c.TextDim,
            FreqDim = c.FreqDim,
            FfnDim = c.FfnDim,
            NumLayers = c.NumLayers,
            PatchSize = c.PatchSize,
            RopeMaxSeqLen = c.RopeMaxSeqLen,
        };
        return recipe.Parameters().ToDictionary(p => p.Name, StringComparer.Ordinal);
    }
}
