using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Cuda.Diagnostics;
using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>The self-test table itself (no GPU needed): coverage, names, seeded inputs.</summary>
public class SelfTestTableTests
{
    [Test]
    public void TheTableCoversEveryOpAndNamesAreUnique()
    {
        var missing = Enum.GetValues<Op>().Where(op => !SelfTestCases.All.Any(c => c.Op == op)).ToList();
        Assert.That(missing, Is.Empty, "ops without a self-test row");
        Assert.That(SelfTestCases.All.Select(c => c.Name), Is.Unique);
        Assert.That(SelfTestCases.All.Where(c => c.Mixed).Select(c => c.Op).Distinct(),
            Is.SupersetOf(new[] { Op.Linear, Op.Conv2d, Op.Conv3d, Op.Attention }), "mixed-precision paths are exercised");
    }

    [Test]
    public void InputsAreDrawnFromTheSeed()
    {
        var c = SelfTestCases.All.First(x => x.Op == Op.Attention);
        var a = SelfTestRunner.MakeInputs(c, 7);
        var b = SelfTestRunner.MakeInputs(c, 7);
        var d = SelfTestRunner.MakeInputs(c, 8);
        Assert.That(a[0].Bytes, Is.EqualTo(b[0].Bytes));
        Assert.That(a[0].Bytes, Is.Not.EqualTo(d[0].Bytes));
        Assert.That(a[0].Bytes.Any(x => x != 0), "never all zeros");
    }

    private static IEnumerable<TestCaseData> SmallRows() =>
        SelfTestCases.All.Select((c, i) => (c, i))
            .Where(x => x.c.Inputs.Sum(s => ShapeUtil.Numel(s.Shape)) <= 100_000)
            .Select(x => new TestCaseData(x.c, x.i).SetName($"selftest row on the CPU: {x.c.Name}"));

    /// <summary>
    /// The table's own rows run with a single-threaded CPU backend as the candidate (no GPU needed): every case
    /// builds valid inputs, the op accepts them and the comparison passes, so a GPU run fails only for GPU reasons.
    /// Rows with more than 100 000 input elements (the Wan shapes) are left to the GPU run: on 2 cores they take
    /// seconds each.
    /// </summary>
    [TestCaseSource(nameof(SmallRows))]
    public void RowRunsOnTheCpu(SelfTestCase c, int index)
    {
        using var candidate = new CpuBackend { Threads = 1 };
        var r = new SelfTestRunner(candidate, candidate, seed: 99).Run(c, index);
        Assert.That(r.Status, Is.EqualTo(SelfTestStatus.Passed), r.Message);
        Assert.That(r.RelL2, Is.LessThanOrEqualTo(1e-6).Or.NaN);
    }
}
