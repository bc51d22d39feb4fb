using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda.Gpu;

/// <summary>
/// Invalid arguments are rejected by the CUDA backend with the CPU backend's exception type and message, word
/// for word (both call OpShapes): each case builds its inputs on the backend under test and must throw. The CPU
/// half runs without a GPU, so the cases themselves are known to be invalid before a GPU sees them.
/// </summary>
[NonParallelizable]
public class CudaValidationParityTests
{
    private static readonly (string Name, Action<IBackend> Call)[] Cases =
    [
        ("MatMul K", b => { using var x = b.Zeros([2, 3, 5]); using var y = b.Zeros([4, 7]); b.MatMul(x, y).Dispose(); }),
        ("MatMul batch", b => { using var x = b.Zeros([2, 3, 5]); using var y = b.Zeros([3, 5, 7]); b.MatMul(x, y).Dispose(); }),
        ("Linear features", b => { using var x = b.Zeros([2, 5]); using var w = b.Zeros([3, 4]); b.Linear(x, w).Dispose(); }),
        ("Conv2d channels", b => { using var x = b.Zeros([1, 3, 5, 5]); using var w = b.Zeros([2, 4, 3, 3]); b.Conv2d(x, w, null, (1, 1), (0, 0, 0, 0)).Dispose(); }),
        ("Conv2d fit", b => { using var x = b.Zeros([1, 3, 2, 2]); using var w = b.Zeros([2, 3, 3, 3]); b.Conv2d(x, w, null, (1, 1), (0, 0, 0, 0)).Dispose(); }),
        ("Conv3d bias", b =>
        {
            using var x = b.Zeros([1, 2, 3, 4, 4]);
            using var w = b.Zeros([5, 2, 1, 1, 1]);
            using var bias = b.Zeros([4]);
            b.Conv3d(x, w, bias, (1, 1, 1), (0, 0, 0, 0, 0, 0)).Dispose();
        }),
        ("Conv3d stride", b => { using var x = b.Zeros([1, 2, 3, 4, 4]); using var w = b.Zeros([5, 2, 1, 1, 1]); b.Conv3d(x, w, null, (0, 1, 1), (0, 0, 0, 0, 0, 0)).Dispose(); }),
        ("Slice range", b => { using var x = b.Zeros([4, 5]); b.Slice(x, 1, 3, 3).Dispose(); }),
        ("Slice dim", b => { using var x = b.Zeros([4, 5]); b.Slice(x, 2, 0, 1).Dispose(); }),
        ("Concat dtype", b => { using var x = b.Zeros([2, 3]); using var y = b.Zeros([2, 3], DType.BF16); b.Concat([x, y], 0).Dispose(); }),
        ("Concat shape", b => { using var x = b.Zeros([2, 3]); using var y = b.Zeros([2, 4]); b.Concat([x, y], 0).Dispose(); }),
        ("Split sizes", b => { using var x = b.Zeros([6, 2]); foreach (var t in b.Split(x, [2, 3], 0)) t.Dispose(); }),
        ("Permute dims", b => { using var x = b.Zeros([2, 3, 4]); b.Permute(x, [0, 0, 1]).Dispose(); }),
        ("Attention mask", b =>
        {
            using var q = b.Zeros([1, 2, 5, 8]);
            using var k = b.Zeros([1, 2, 7, 8]);
            using var m = b.Zeros([1, 3, 5, 7]);
            b.Attention(q, k, k, m, 0.3f).Dispose();
        }),
    ];

    private static IEnumerable<TestCaseData> Rows() => Cases.Select(c => new TestCaseData(c.Name).SetName($"cuda rejects like the CPU: {c.Name}"));

    [Test]
    public void EveryCaseIsRejectedByTheCpuBackend()
    {
        using var cpu = new CpuBackend { Threads = 1 };
        foreach (var (name, call) in Cases)
            Assert.That(() => call(cpu), Throws.InstanceOf<ArgumentException>(), name); // ShapeMismatchException and ArgumentOutOfRangeException included
    }

    [TestCaseSource(nameof(Rows)), Category("Gpu")]
    public void SameExceptionAndMessage(string name)
    {
        GpuTestSupport.RequireDevice();
        var call = Cases.Single(c => c.Name == name).Call;
        using var cuda = GpuTestSupport.Backend();
        using var cpu = new CpuBackend { Threads = 1 };
        var expected = Assert.Catch(() => call(cpu))!;
        var actual = Assert.Catch(() => call(cuda))!;
        Assert.That(actual.GetType(), Is.EqualTo(expected.GetType()), actual.Message);
        Assert.That(actual.Message, Is.EqualTo(expected.Message));
    }
}
