using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using FastVideo.Cuda.Kernels;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>
/// The C# mirrors of the kernel params structs against the C structs, and the kernel catalog against the
/// sources, without a GPU. The C side pins each struct's size and key offsets with static_asserts (checked by
/// nvcc and clang on every kernel build); these tests read those same numbers out of the sources and check
/// them against the C# layout, so a field added on one side only fails here or in the kernel build.
/// </summary>
[TestFixture]
public sealed partial class KernelAbiTests
{
    private static string KernelsDir => Path.Combine(Golden.RepoRoot, "kernels");

    private static IEnumerable<string> KernelSources() =>
        Directory.EnumerateFiles(KernelsDir, "*.cu*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}dev{Path.DirectorySeparatorChar}"));

    private static readonly Dictionary<string, Type> Mirrors = new()
    {
        ["FvRmsNormParams"] = typeof(RmsNormParams),
        ["FvLayerNormParams"] = typeof(LayerNormParams),
        ["FvGatedResidualParams"] = typeof(GatedResidualParams),
        ["FvQkvNormRopeParams"] = typeof(QkvNormRopeParams),
        ["FvAttentionParams"] = typeof(AttentionParams),
        ["FvUnaryParams"] = typeof(UnaryParams),
        ["FvBinaryParams"] = typeof(BinaryParams),
        ["FvBroadcastParams"] = typeof(BroadcastParams),
        ["FvFillParams"] = typeof(FillParams),
        ["FvCastParams"] = typeof(CastParams),
        ["FvSoftmaxParams"] = typeof(SoftmaxParams),
        ["FvReduceParams"] = typeof(ReduceParams),
        ["FvRopeParams"] = typeof(RopeParams),
        ["FvPermuteParams"] = typeof(PermuteParams),
        ["FvCopyRowsParams"] = typeof(CopyRowsParams),
        ["FvPatchParams"] = typeof(PatchParams),
        ["FvUpsampleParams"] = typeof(UpsampleParams),
        ["FvEmbeddingParams"] = typeof(EmbeddingParams),
        ["FvIm2ColParams"] = typeof(Im2ColParams),
    };

    [GeneratedRegex(@"sizeof\((Fv\w+)\) == (\d+)")]
    private static partial Regex SizeAssert();

    [GeneratedRegex(@"FV_ABI_OFFSET\((Fv\w+), (\w+), (\d+)\)")]
    private static partial Regex OffsetAssert();

    [GeneratedRegex(@"^\s*(?:extern ""C"" __global__ void(?: __launch_bounds__\([^)]*\))? (fv_\w+)\(|FV_[A-Z_]+\((fv_\w+),)", RegexOptions.Multiline)]
    private static partial Regex EntryPoint();

    /// <summary>snake_case C field → PascalCase C# field (q_stride_b → QStrideB, kv_lens → KvLens).</summary>
    private static string Pascal(string snake) =>
        string.Concat(snake.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    private static int SizeOf(Type t) => (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;

    [Test]
    public void EveryParamsStructHasAMirrorWithTheSizeTheKernelsAssert()
    {
        var seen = new HashSet<string>();
        foreach (var file in KernelSources())
            foreach (Match m in SizeAssert().Matches(File.ReadAllText(file)))
            {
                string c = m.Groups[1].Value;
                Assert.That(Mirrors.ContainsKey(c), Is.True, $"{Path.GetFileName(file)}: {c} has no C# mirror in FastVideo.Cuda.Kernels");
                int expected = int.Parse(m.Groups[2].Value);
                Assert.That(SizeOf(Mirrors[c]), Is.EqualTo(expected), $"{c}: C sizeof (static_assert in {Path.GetFileName(file)}) vs C# {Mirrors[c].Name}");
                Assert.That(Marshal.SizeOf(Mirrors[c]), Is.EqualTo(expected), $"{c}: marshalled size of {Mirrors[c].Name}");
                seen.Add(c);
            }
        Assert.That(seen, Is.EquivalentTo(Mirrors.Keys), "every mirrored struct has a size static_assert in the kernels");
    }

    [Test]
    public void AssertedFieldOffsetsMatchTheMirrors()
    {
        int checkedOffsets = 0;
        foreach (var file in KernelSources())
            foreach (Match m in OffsetAssert().Matches(File.ReadAllText(file)))
            {
                var type = Mirrors[m.Groups[1].Value];
                string field = Pascal(m.Groups[2].Value);
                Assert.That(type.GetField(field), Is.Not.Null, $"{type.Name} has no field {field} (C field {m.Groups[2].Value})");
                Assert.That((int)Marshal.OffsetOf(type, field), Is.EqualTo(int.Parse(m.Groups[3].Value)), $"{type.Name}.{field}");
                checkedOffsets++;
            }
        Assert.That(checkedOffsets, Is.GreaterThanOrEqualTo(20));
    }

    [Test]
    public void MirrorFieldsFollowTheCFieldOrder()
    {
        // Every C field of every struct, in order, must be the C# field at the same position (arrays aside).
        foreach (var file in KernelSources())
        {
            string text = File.ReadAllText(file);
            foreach (Match s in Regex.Matches(text, @"struct (Fv\w+Params)\s*\{([^}]*)\};"))
            {
                var type = Mirrors[s.Groups[1].Value];
                var cFields = new List<string>();
                foreach (var decl in s.Groups[2].Value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var names = decl.Split(',').Select(part => Regex.Match(part.Trim(), @"(\w+)(\[\w+\])?$").Groups[1].Value);
                    cFields.AddRange(names.Select(Pascal));
                }
                var csFields = type.GetFields().Where(f => !f.IsStatic).Select(f => f.Name).ToList();
                Assert.That(csFields, Is.EqualTo(cFields), $"{type.Name} vs {s.Groups[1].Value} in {Path.GetFileName(file)}");
            }
        }
    }

    [Test]
    public void CatalogMatchesTheEntryPointsInTheSources()
    {
        var inSources = new HashSet<KernelEntry>();
        foreach (var file in Directory.EnumerateFiles(KernelsDir, "*.cu", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}dev{Path.DirectorySeparatorChar}")) continue;
            string module = Path.GetFileNameWithoutExtension(file);
            foreach (Match m in EntryPoint().Matches(File.ReadAllText(file)))
                inSources.Add(new KernelEntry(module, m.Groups[1].Success && m.Groups[1].Length > 0 ? m.Groups[1].Value : m.Groups[2].Value));
        }
        Assert.That(KernelCatalog.All, Is.Unique);
        Assert.That(KernelCatalog.All, Is.EquivalentTo(inSources));
    }

    [Test]
    public void PickersNameTheInstantiatedKernels()
    {
        Assert.That(KernelCatalog.RmsNorm(DType.F32, DType.BF16).Name, Is.EqualTo("fv_rmsnorm_f32_bf16"));
        Assert.That(KernelCatalog.LayerNorm(DType.BF16, DType.BF16).Name, Is.EqualTo("fv_layernorm_bf16"));
        Assert.That(KernelCatalog.QkvNormRope(DType.F32, DType.BF16).Name, Is.EqualTo("fv_qkv_norm_rope_f32_bf16"));
        Assert.That(KernelCatalog.FlashAttention(DType.F16, 128), Is.EqualTo(new KernelEntry("flash_attn_fwd", "fv_flash_attn_fwd_f16_d128")));
        Assert.That(KernelCatalog.FlashAttention(DType.BF16, 64, hopper: true).Module, Is.EqualTo("flash_attn_hopper"));
        Assert.That(KernelCatalog.Cast(DType.BF16, DType.F32).Name, Is.EqualTo("fv_cast_bf16_f32"));
        Assert.That(KernelCatalog.Permute(8).Name, Is.EqualTo("fv_permute_b8"));
        Assert.Throws<NotSupportedException>(() => KernelCatalog.FlashAttention(DType.BF16, 96));
        Assert.Throws<NotSupportedException>(() => KernelCatalog.FlashAttention(DType.F32, 64));
        Assert.Throws<NotSupportedException>(() => KernelCatalog.RmsNorm(DType.BF16, DType.F32));
        Assert.Throws<NotSupportedException>(() => KernelCatalog.Patchify(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelCatalog.Permute(3));
    }

    [Test]
    public void LaunchGeometry()
    {
        // Row kernels: ceil(cols / vec) threads rounded to a warp, 32..256; one block per row.
        Assert.That(LaunchConfig.PerRow(rows: 7, cols: 5120, vec: 4), Is.EqualTo(new LaunchConfig(7, 1, 1, 256, 0)));
        Assert.That(LaunchConfig.PerRow(rows: 3, cols: 100, vec: 4), Is.EqualTo(new LaunchConfig(3, 1, 1, 32, 0)));
        Assert.That(LaunchConfig.PerRow(rows: 1, cols: 1000, vec: 8), Is.EqualTo(new LaunchConfig(1, 1, 1, 128, 0)));
        Assert.That(LaunchConfig.PerRow(rows: 0, cols: 0, vec: 4).GridX, Is.EqualTo(1u));
        Assert.That(LaunchConfig.PerRow(rows: 1L << 30, cols: 64, vec: 4).GridX, Is.EqualTo((uint)KernelLimits.MaxLoopBlocks));
        Assert.That(KernelCatalog.RowLaunch(5, 1536, DType.BF16).BlockX, Is.EqualTo(192u));
        // Grid-stride: ceil(n / (256·perThread)) blocks, capped.
        Assert.That(LaunchConfig.GridStride(1000), Is.EqualTo(new LaunchConfig(4, 1, 1, 256, 0)));
        Assert.That(LaunchConfig.GridStride(1024, perThread: 4), Is.EqualTo(new LaunchConfig(1, 1, 1, 256, 0)));
        Assert.That(LaunchConfig.GridStride(0).GridX, Is.EqualTo(1u));
        Assert.That(LaunchConfig.GridStride(long.MaxValue / 2).GridX, Is.EqualTo((uint)KernelLimits.MaxLoopBlocks));
        // Attention: 64 query rows per 128-thread block; Hopper 128 rows per 384 threads with dynamic smem.
        Assert.That(KernelCatalog.FlashAttentionLaunch(2, 12, 1560, 128), Is.EqualTo(new LaunchConfig(25, 12, 2, 128, 0)));
        var h = KernelCatalog.FlashAttentionLaunch(1, 40, 32760, 128, hopper: true);
        Assert.That((h.GridX, h.GridY, h.GridZ, h.BlockX), Is.EqualTo((256u, 40u, 1u, 384u)));
        Assert.That(h.SharedBytes, Is.EqualTo(2 * 128 * (128 + 4 * 64) + 1024));
    }

    [Test]
    public void ContiguousAttentionStrides()
    {
        var p = new AttentionParams();
        p.SetContiguousBhnd(nq: 10, nk: 7, heads: 3, headDim: 64);
        Assert.That((p.QStrideB, p.QStrideH, p.QStrideN), Is.EqualTo((3L * 10 * 64, 10L * 64, 64L)));
        Assert.That((p.KStrideB, p.KStrideH, p.KStrideN), Is.EqualTo((3L * 7 * 64, 7L * 64, 64L)));
        Assert.That((p.VStrideB, p.OStrideH), Is.EqualTo((3L * 7 * 64, 10L * 64)));
    }
}
