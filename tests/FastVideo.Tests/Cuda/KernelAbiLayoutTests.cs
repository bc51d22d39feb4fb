using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using FastVideo.Cuda.Kernels;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>
/// The whole layout of every params struct, not only the offsets the C side pins: each C field's offset is
/// computed from its type with the x86-64/CUDA rules (natural alignment, pointers 8 bytes) and compared with the
/// C# mirror field of the same name, together with its type (pointers → nint, fv_i64 → long, arrays → fixed
/// buffers of the same length). Also the sizes kernels/ABI.md states, and the launch constants the kernels are
/// compiled with against the catalog.
/// </summary>
public sealed partial class KernelAbiTests
{
    /// <summary>C field type → (size = alignment in bytes, the C# field type of the mirror).</summary>
    private static readonly Dictionary<string, (int Size, Type CSharp)> CTypes = new()
    {
        ["void*"] = (8, typeof(nint)),
        ["float*"] = (8, typeof(nint)),
        ["int*"] = (8, typeof(nint)),
        ["fv_i64"] = (8, typeof(long)),
        ["fv_u64"] = (8, typeof(ulong)),
        ["int"] = (4, typeof(int)),
        ["float"] = (4, typeof(float)),
    };

    [GeneratedRegex(@"struct (Fv\w+Params)\s*\{([^}]*)\};")]
    private static partial Regex StructBody();

    [GeneratedRegex(@"^(?:const\s+)?(\w+)\s*(\*?)\s*(.+)$", RegexOptions.Singleline)]
    private static partial Regex Declaration();

    [GeneratedRegex(@"^(\w+)(?:\[(\w+)\])?$")]
    private static partial Regex Declarator();

    [GeneratedRegex(@"#define (FV_\w+) (\d+)")]
    private static partial Regex Define();

    [Test]
    public void EveryCFieldHasTheOffsetTypeAndLengthOfItsMirror()
    {
        var seen = new HashSet<string>();
        foreach (var file in KernelSources())
            foreach (Match s in StructBody().Matches(File.ReadAllText(file)))
            {
                string name = s.Groups[1].Value;
                if (!Mirrors.TryGetValue(name, out var type))
                {
                    Assert.Fail($"{Path.GetFileName(file)}: {name} has no C# mirror");
                    return;
                }
                seen.Add(name);
                long offset = 0;
                int maxAlign = 1;
                foreach (var decl in s.Groups[2].Value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var d = Declaration().Match(decl);
                    Assert.That(d.Success, $"{name}: cannot read the declaration '{decl}'");
                    string ctype = d.Groups[1].Value + d.Groups[2].Value;
                    Assert.That(CTypes.TryGetValue(ctype, out var t), $"{name}: C type {ctype} has no rule here (add its size and C# type)");
                    foreach (var part in d.Groups[3].Value.Split(',', StringSplitOptions.TrimEntries))
                    {
                        var v = Declarator().Match(part);
                        Assert.That(v.Success, $"{name}: cannot read the declarator '{part}'");
                        int count = !v.Groups[2].Success ? 1 : v.Groups[2].Value == "FV_MAX_RANK" ? KernelLimits.MaxRank : int.Parse(v.Groups[2].Value);
                        offset = (offset + t.Size - 1) / t.Size * t.Size;
                        maxAlign = Math.Max(maxAlign, t.Size);
                        string field = Pascal(v.Groups[1].Value);
                        var f = type.GetField(field);
                        if (f == null)
                        {
                            Assert.Fail($"{type.Name} has no field {field} (C {name}.{v.Groups[1].Value})");
                            return;
                        }
                        Assert.That((long)Marshal.OffsetOf(type, field), Is.EqualTo(offset), $"{type.Name}.{field}: offset");
                        var fixedBuffer = f.GetCustomAttribute<FixedBufferAttribute>();
                        Assert.That(fixedBuffer?.ElementType ?? f.FieldType, Is.EqualTo(t.CSharp), $"{type.Name}.{field}: type (C {ctype})");
                        Assert.That(fixedBuffer?.Length ?? 1, Is.EqualTo(count), $"{type.Name}.{field}: element count");
                        offset += (long)t.Size * count;
                    }
                }
                long size = (offset + maxAlign - 1) / maxAlign * maxAlign;
                Assert.That(SizeOf(type), Is.EqualTo(size), $"{type.Name}: size from the C field list");
            }
        Assert.That(seen, Is.EquivalentTo(Mirrors.Keys), "every mirrored struct's field list was read from the kernel sources");
    }

    [GeneratedRegex(@"`(Fv\w+Params)`(?: \(|, )(\d+) B")]
    private static partial Regex DocumentedSize();

    [Test]
    public void AbiMdStatesEveryStructWithItsSize()
    {
        var documented = new Dictionary<string, int>();
        foreach (Match m in DocumentedSize().Matches(File.ReadAllText(Path.Combine(KernelsDir, "ABI.md"))))
            documented[m.Groups[1].Value] = int.Parse(m.Groups[2].Value);
        Assert.That(documented.Keys, Is.EquivalentTo(Mirrors.Keys), "kernels/ABI.md names each params struct as `FvXParams` (N B");
        foreach (var (name, size) in documented)
            Assert.That(SizeOf(Mirrors[name]), Is.EqualTo(size), $"kernels/ABI.md: {name}");
    }

    [Test]
    public void LaunchConstantsOfTheAttentionKernelsMatchTheCatalog()
    {
        var defines = new Dictionary<string, int>();
        foreach (var f in new[] { "flash_attn_fwd.cu", "flash_attn_hopper.cu" })
            foreach (Match m in Define().Matches(File.ReadAllText(Path.Combine(KernelsDir, "attention", f))))
                defines[m.Groups[1].Value] = int.Parse(m.Groups[2].Value);
        // __launch_bounds__(FV_FA_THREADS) / (FV_FH_THREADS, 1): a launch with more threads per block fails.
        Assert.That(KernelCatalog.FlashAttentionLaunch(1, 1, 1, 64).BlockX, Is.EqualTo((uint)defines["FV_FA_THREADS"]));
        Assert.That(KernelCatalog.FlashAttentionLaunch(1, 1, 1, 64, hopper: true).BlockX, Is.EqualTo((uint)defines["FV_FH_THREADS"]));
        Assert.That(KernelCatalog.FlashAttentionBlockM, Is.EqualTo(defines["FV_FA_BLOCK_M"]));
        Assert.That(KernelCatalog.FlashAttentionHopperBlockM, Is.EqualTo(defines["FV_FH_BLOCK_M"]));
        Assert.That(KernelCatalog.FlashAttentionHopperBlockN, Is.EqualTo(defines["FV_FH_BLOCK_N"]));
        Assert.That(KernelCatalog.FlashAttentionHopperStages, Is.EqualTo(defines["FV_FH_STAGES"]));
        // The Hopper kernel's dynamic shared memory: Q tile + stages × (K + V) tiles of 16-bit values, + 1 KiB alignment slack.
        foreach (int d in KernelCatalog.AttentionHeadDims)
            Assert.That(KernelCatalog.FlashAttentionHopperSharedBytes(d),
                Is.EqualTo(2 * d * (defines["FV_FH_BLOCK_M"] + 2 * defines["FV_FH_STAGES"] * defines["FV_FH_BLOCK_N"]) + 1024), $"D = {d}");
    }
}
