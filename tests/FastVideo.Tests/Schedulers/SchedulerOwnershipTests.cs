using FastVideo.Backends.Cpu;
using FastVideo.Models.Schedulers;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Schedulers;

/// <summary>
/// Memory ownership: a denoising loop that opens a <see cref="TensorScope"/> per step (disposing everything
/// but the carried sample) must not destroy the scheduler's history, and nothing may leak once the scheduler
/// and the last sample are disposed.
/// </summary>
[TestFixture]
public sealed class SchedulerOwnershipTests
{
    [TestCase(typeof(FlowUniPCMultistepScheduler))]
    [TestCase(typeof(FlowMatchEulerDiscreteScheduler))]
    public void StepInsideCallerScopes_KeepsHistory_AndLeaksNothing(Type kind)
    {
        var allocator = new CpuAllocator();
        var backend = new CpuBackend(allocator);
        IScheduler Make() => kind == typeof(FlowUniPCMultistepScheduler)
            ? new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(3.0) with { SolverOrder = 3 })
            : new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { Shift = 3.0 });

        float[] RunLoop(IScheduler s, bool scoped)
        {
            s.SetTimesteps(8);
            var x = Tensor.FromHost<float>(allocator, Numerics.RandomNormal(30, 3), [2, 3, 5]);
            using var c = Tensor.FromHost<float>(allocator, Numerics.RandomNormal(30, 4), [2, 3, 5]);
            for (int i = 0; i < s.NumInferenceSteps; i++)
            {
                using var scope = scoped ? TensorScope.Begin() : null;
                var v = backend.Axpby(0.2f, x, 1f, c);
                var next = s.Step(backend, v, i, x);
                if (scoped) scope!.Keep(next); // moves it out: there is no enclosing scope
                else v.Dispose();
                x.Dispose();
                x = next;
            }
            var result = x.ToArray<float>();
            x.Dispose();
            return result;
        }

        float[] plain, scoped;
        using (var s = Make()) plain = RunLoop(s, scoped: false);
        using (var s = Make()) scoped = RunLoop(s, scoped: true);
        Assert.That(scoped, Is.EqualTo(plain), "results must not depend on the caller's scopes");
        Assert.That(allocator.Stats.CurrentBytes, Is.EqualTo(0), "bytes still held after disposing everything");
    }

    [Test]
    public void SetTimesteps_RestartsTheMultistepState()
    {
        var backend = CpuBackend.Default;
        using var s = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(5.0));
        float[] Run()
        {
            s.SetTimesteps(5);
            var x = Tensor.FromHost<float>(Numerics.RandomNormal(8, 9), 8);
            for (int i = 0; i < 5; i++)
            {
                using var v = backend.Scale(x, -0.5f, 0.25f);
                var next = s.Step(backend, v, i, x);
                x.Dispose();
                x = next;
            }
            var r = x.ToArray<float>();
            x.Dispose();
            return r;
        }
        var first = Run();
        var second = Run();
        Assert.That(second, Is.EqualTo(first));
    }
}
