using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using NUnit.Framework;

namespace FastVideo.Tests.Parity;

/// <summary>
/// Every row of <see cref="ParityCases"/> as its own test, for each candidate backend. Today the only
/// candidate is a single-threaded CpuBackend against the multithreaded reference CpuBackend (so the rows check
/// determinism across thread partitions and the suite mechanics), each row also judged against its
/// double-precision reference. A new backend joins with one more source and method, e.g.
/// <code>
/// public static IEnumerable&lt;TestCaseData&gt; Cuda() => Rows("cuda");
/// [TestCaseSource(nameof(Cuda)), Category("Gpu")] public void CudaVsCpu(ParityCase c) => Check(() => new CudaBackend(), c);
/// </code>
/// </summary>
public class BackendParityTests
{
    private static readonly CpuBackend ReferenceBackend = new() { Threads = Math.Max(2, Environment.ProcessorCount) };

    /// <summary>The rows, named like <c>Add[3x1x7 + 7] f32</c> (prefixed with the candidate unless it is the CPU).</summary>
    public static IEnumerable<TestCaseData> Rows(string candidate) =>
        ParityCases.All.Select(c => new TestCaseData(c).SetName(candidate == "cpu" ? c.Name : $"{candidate}: {c.Name}"));

    public static IEnumerable<TestCaseData> Cpu() => Rows("cpu");

    /// <summary>Single-threaded CPU on a guarded allocator: also catches stray writes and leaked buffers.</summary>
    [TestCaseSource(nameof(Cpu))]
    public void CpuSingleThreadVsCpu(ParityCase c)
    {
        var guarded = new GuardedAllocator();
        Check(() => new CpuBackend(guarded) { Threads = 1 }, c);
        Assert.That(guarded.TakeViolations(), Is.Empty, "guard zones around the candidate's buffers");
        Assert.That(guarded.LiveBuffers, Is.Zero, "buffers still allocated after the op's tensors were disposed");
    }

    /// <summary>Runs one row and maps its status onto NUnit: unsupported → Ignore, not implemented → Inconclusive.</summary>
    public static void Check(Func<IBackend> candidate, ParityCase c)
    {
        using var backend = candidate();
        var r = new BackendParity(ReferenceBackend, backend).Run(c);
        TestContext.Out.WriteLine($"{c.Name}: {r.Status}: {r.Message}");
        switch (r.Status)
        {
            case ParityStatus.Unsupported: Assert.Ignore(r.Message); break;
            case ParityStatus.NotImplemented: Assert.Inconclusive(r.Message); break;
            case ParityStatus.Failed: Assert.Fail($"{c.Name}: {r.Message}"); break;
        }
    }

    [Test]
    public unsafe void GuardedAllocatorCatchesStrayWrites()
    {
        var g = new GuardedAllocator();
        nint p = g.Allocate(10, out long cap);
        ((byte*)p)[9] = 1;          // last byte: fine
        g.Free(p, cap);
        Assert.That(g.TakeViolations(), Is.Empty);
        p = g.Allocate(10, out cap);
        ((byte*)p)[10] = 1;         // one past the end
        g.Free(p, cap);
        Assert.That(g.TakeViolations(), Has.Count.EqualTo(1).And.Some.Contains("after"));
        p = g.Allocate(64, out cap);
        ((byte*)p)[-1] = 1;         // one before the start
        g.Free(p, cap);
        Assert.That(g.TakeViolations(), Has.Some.Contains("before"));
        Assert.That((long)p % 64, Is.Zero, "64-byte alignment kept");
    }

    [Test]
    public void TableCoversEveryOp()
    {
        var missing = Enum.GetValues<Op>().Where(op => !ParityCases.All.Any(c => c.Op == op)).ToList();
        Assert.That(missing, Is.Empty, "ops without a parity row");
        var dupes = ParityCases.All.GroupBy(c => c.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.That(dupes, Is.Empty, "row names must be unique");
    }

    [Test]
    public void MechanicsDetectWrongResultsUnsupportedAndMissingOps()
    {
        var add = ParityCases.All.First(c => c.Op == Op.Add);
        var softmax = ParityCases.All.First(c => c.Op == Op.Softmax);
        var gelu = ParityCases.All.First(c => c.Op == Op.Gelu);
        var mul = ParityCases.All.First(c => c.Op == Op.Mul);
        using var faulty = new FaultyBackend(new CpuBackend { Threads = 1 });
        var parity = new BackendParity(ReferenceBackend, faulty);

        var wrong = parity.Run(add);
        Assert.That(wrong.Status, Is.EqualTo(ParityStatus.Failed), wrong.Message);
        Assert.That(wrong.Nmse, Is.GreaterThan(1e-7));

        Assert.That(parity.Run(softmax).Status, Is.EqualTo(ParityStatus.Unsupported));
        Assert.That(parity.Run(gelu).Status, Is.EqualTo(ParityStatus.NotImplemented));

        var nan = parity.Run(mul);
        Assert.That(nan.Status, Is.EqualTo(ParityStatus.Failed));
        Assert.That(nan.Message, Does.Contain("NaN"));

        var ok = parity.Run(ParityCases.All.First(c => c.Op == Op.Sub));
        Assert.That(ok.Status, Is.EqualTo(ParityStatus.Passed), ok.Message);
        Assert.That(ok.Nmse, Is.EqualTo(0), "same CPU code, different thread count: bit-identical");
        Assert.That(ok.NmseVsDouble, Is.LessThan(1e-14));
    }

    [Test]
    public void NmseIsNormalizedAndNaNAware()
    {
        Assert.That(BackendParity.Nmse([1, 2, 3], [1, 2, 3]), Is.EqualTo(0));
        Assert.That(BackendParity.Nmse([1.1, 2], [1, 2]), Is.EqualTo(0.01 / 5).Within(1e-15));
        Assert.That(BackendParity.Nmse([double.NaN, 1], [double.NaN, 1]), Is.EqualTo(0));
        Assert.That(BackendParity.Nmse([0.5], [0]), Is.EqualTo(0.25), "all-zero reference: plain squared error");
    }
}
