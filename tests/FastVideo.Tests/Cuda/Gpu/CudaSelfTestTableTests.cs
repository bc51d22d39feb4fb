using FastVideo.Backends;
using FastVideo.Cuda;
using FastVideo.Cuda.Diagnostics;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda.Gpu;

/// <summary>
/// Every row of the self-test table (every op, odd sizes and Wan shapes, exact and mixed precision) as its own
/// GPU test: CUDA against the CPU backend, outputs poisoned with NaN before each op; fp32 ≤ 1e-5, bf16 ≤ 1e-2.
/// The full-sequence Wan attention rows (<see cref="SelfTestCase.NeedsRealGpu"/>) are also [Category("GpuHardware")]:
/// ignored on the CPU emulator (15–60 s each there), where every other row, Wan shapes included, runs.
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public class CudaSelfTestTableTests
{
    private CudaBackend? _exact, _mixed;
    private SelfTestRunner? _runner;

    public static IEnumerable<TestCaseData> Rows() =>
        SelfTestCases.All.Select((c, i) =>
        {
            var row = new TestCaseData(c, i).SetName($"cuda selftest: {c.Name}");
            return c.NeedsRealGpu ? row.SetCategory(GpuTestSupport.HardwareCategory) : row;
        });

    [OneTimeSetUp]
    public void Open()
    {
        if (!GpuTestSupport.Available) return;
        _exact = GpuTestSupport.Backend(mixed: false);
        _mixed = GpuTestSupport.Backend(mixed: true);
        _runner = new SelfTestRunner(_exact, _mixed, seed: 20261123);
    }

    [OneTimeTearDown]
    public void Close()
    {
        _exact?.Dispose();
        _mixed?.Dispose();
    }

    [TestCaseSource(nameof(Rows))]
    public void MatchesTheCpuBackend(SelfTestCase c, int index)
    {
        if (c.NeedsRealGpu) GpuTestSupport.RequireRealGpu();
        else GpuTestSupport.RequireDevice();
        var r = _runner!.Run(c, index);
        TestContext.Out.WriteLine($"{c.Name}: {r.Status} rel L2 {r.RelL2:E2} (tol {c.Tolerance:E0}) {r.CudaMilliseconds:F2} ms {r.Message}");
        switch (r.Status)
        {
            case SelfTestStatus.Unsupported: Assert.Ignore(r.Message); break;
            case SelfTestStatus.NotImplemented: Assert.Inconclusive(r.Message); break;
            case SelfTestStatus.Passed: break;
            default: Assert.Fail($"{c.Name}: {r.Status}: {r.Message}"); break;
        }
    }
}
