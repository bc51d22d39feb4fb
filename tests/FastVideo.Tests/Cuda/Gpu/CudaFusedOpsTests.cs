using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using static FastVideo.Tests.Ops.OpTestUtil;

namespace FastVideo.Tests.Cuda.Gpu;

/// <summary>
/// The CUDA override of <see cref="IBackend.LayerNormModulate"/>: one fv_layernorm_f32 launch (its scale/shift row
/// indexing), matching the CUDA composition (LayerNorm then Modulate) and the CPU to F32 rounding (rel L2 ≤ 1e-6);
/// and AddGated's gated-residual row path (fv_residual_gate_f32), exact against the CPU.
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public class CudaFusedOpsTests
{
    [Test]
    public void LayerNormModulateIsOneKernelAndMatchesTheComposition()
    {
        using var cuda = GpuTestSupport.Backend();
        using var cpu = new CpuBackend();
        int seed = 40;
        foreach (var (xs, ms) in new (int[] X, int[] M)[]
        {
            ([2, 5, 33], [2, 1, 33]), ([2, 5, 33], [2, 5, 33]), ([3, 1, 7], [3, 1, 7]), ([2, 7, 301], [2, 1, 301]),
            ([3, 11, 17], [3, 11, 17]), ([2, 5, 15], [5, 15]), ([4, 3, 5, 9], [4, 3, 1, 9]), ([1, 3, 1536], [1, 1, 1536]),
        })
        {
            var (hx, _) = Normal(++seed, xs);
            var (hs, _) = Normal(++seed, ms);
            var (hh, _) = Normal(++seed, ms);
            using var _hx = hx;
            using var _hs = hs;
            using var _hh = hh;
            using var x = cuda.Copy(hx);
            using var scale = cuda.Copy(hs);
            using var shift = cuda.Copy(hh);
            long before = Launches(cuda, "fv_layernorm_f32"), modulateBefore = Launches(cuda, "fv_modulate_f32");
            using var fused = cuda.LayerNormModulate(x, scale, shift, 1e-6f);
            Assert.That(Launches(cuda, "fv_layernorm_f32") - before, Is.EqualTo(1), $"{S(xs)} by {S(ms)}: one fused launch");
            Assert.That(Launches(cuda, "fv_modulate_f32"), Is.EqualTo(modulateBefore), $"{S(xs)} by {S(ms)}: no separate Modulate");
            using var composed = FusedOps.LayerNormModulate(cuda, x, scale, shift, 1e-6f);
            using var onCpu = cpu.LayerNormModulate(hx, hs, hh, 1e-6f);
            var f = fused.ToArray<float>();
            Numerics.AssertRelL2(f, D(composed.ToArray<float>()), 1e-6, $"{S(xs)} by {S(ms)} vs CUDA composition");
            Numerics.AssertRelL2(f, D(onCpu.ToArray<float>()), 1e-6, $"{S(xs)} by {S(ms)} vs CPU");
        }
    }

    [Test]
    public void LayerNormModulateFallsBackToTheCompositionForOtherBroadcasts()
    {
        using var cuda = GpuTestSupport.Backend();
        using var cpu = new CpuBackend();
        var (hx, _) = Normal(1, 2, 3, 5, 7);
        var (hs, _) = Normal(2, 2, 1, 5, 7);
        var (hh, _) = Normal(3, 2, 1, 5, 7);
        using var _hx = hx;
        using var _hs = hs;
        using var _hh = hh;
        using var x = cuda.Copy(hx);
        using var scale = cuda.Copy(hs);
        using var shift = cuda.Copy(hh);
        using var y = cuda.LayerNormModulate(x, scale, shift, 1e-6f);
        using var expected = cpu.LayerNormModulate(hx, hs, hh, 1e-6f);
        Numerics.AssertRelL2(y.ToArray<float>(), D(expected.ToArray<float>()), 1e-6, "[2, 3, 5, 7] by [2, 1, 5, 7]");
    }

    [Test]
    public void GatedResidualTakesTheRowKernelAndEqualsTheBroadcastKernel()
    {
        using var cuda = GpuTestSupport.Backend();
        using var cpu = new CpuBackend();
        int seed = 70;
        foreach (var (xs, gs, row) in new (int[] X, int[] G, bool Row)[]
        {
            ([2, 5, 33], [2, 1, 33], true), ([2, 5, 33], [2, 5, 33], true), ([3, 7, 1536], [3, 1, 1536], true), ([2, 5, 7], [7], true),
            ([2, 3, 5, 7], [2, 1, 5, 7], false), ([2, 5, 7], [2, 5, 1], false),
        })
        {
            var (hx, _) = Normal(++seed, xs);
            var (hy, _) = Normal(++seed, xs);
            var (hg, _) = Normal(++seed, gs);
            using var _hx = hx;
            using var _hy = hy;
            using var _hg = hg;
            using var x = cuda.Copy(hx);
            using var y = cuda.Copy(hy);
            using var gate = cuda.Copy(hg);
            long before = Launches(cuda, "fv_residual_gate_f32");
            using var o = cuda.AddGated(x, y, gate);
            Assert.That(Launches(cuda, "fv_residual_gate_f32") - before, Is.EqualTo(row ? 1 : 0), $"{S(xs)} gate {S(gs)}");
            using var expected = cpu.AddGated(hx, hy, hg);
            // CPU and both CUDA kernels compute fma(y, gate, x): exact agreement.
            Assert.That(o.ToArray<float>(), Is.EqualTo(expected.ToArray<float>()), $"{S(xs)} gate {S(gs)}");
        }
    }

    private static long Launches(FastVideo.Cuda.CudaBackend b, string kernel) =>
        b.KernelLaunchCounts.FirstOrDefault(kv => kv.Key == kernel).Value;
}
