using FastVideo.Backends;
using FastVideo.Cuda.Diagnostics;
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
}
