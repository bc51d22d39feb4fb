using FastVideo.Entrypoints;
using NUnit.Framework;

namespace FastVideo.Tests.Pipelines;

public class RequestValidationTests
{
    [Test]
    public void PresetFillsUnsetValues()
    {
        var r = new GenerationRequest { Prompt = "a cat" }.Resolve(WanPresets.T2V_1_3B);
        Assert.That((r.Height, r.Width, r.NumFrames, r.Steps, r.GuidanceScale, r.FlowShift, r.Fps, r.Seed),
            Is.EqualTo((480, 832, 81, 50, 3.0f, 3.0f, 16, 1024L)));
        Assert.That(r.NegativePrompt, Is.EqualTo(WanPresets.DefaultNegativePrompt));
        Assert.That(r.MaxSequenceLength, Is.EqualTo(512));
    }

    [TestCase(80, "num-frames")]
    [TestCase(0, "num-frames")]
    public void FramesMustBeOnePlusFourK(int frames, string name)
    {
        var e = Assert.Throws<ArgumentException>(() => new GenerationRequest { Prompt = "x", NumFrames = frames }.Resolve(WanPresets.T2V_1_3B))!;
        Assert.That(e.ParamName, Is.EqualTo(name));
        Assert.That(e.Message, Does.Contain("1 + 4k"));
    }

    [Test]
    public void SizesMustBeMultiplesOf16()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new GenerationRequest { Prompt = "x", Height = 470 }.Resolve(WanPresets.T2V_1_3B))!.ParamName, Is.EqualTo("height"));
        Assert.That(Assert.Throws<ArgumentException>(() => new GenerationRequest { Prompt = "x", Width = 8 }.Resolve(WanPresets.T2V_1_3B))!.ParamName, Is.EqualTo("width"));
    }

    [Test]
    public void StepsAndGuidanceAreChecked()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new GenerationRequest { Prompt = "x", Steps = 0 }.Resolve(WanPresets.T2V_1_3B))!.ParamName, Is.EqualTo("steps"));
        Assert.That(Assert.Throws<ArgumentException>(() => new GenerationRequest { Prompt = "x", GuidanceScale = 0.5f }.Resolve(WanPresets.T2V_1_3B))!.ParamName, Is.EqualTo("guidance-scale"));
        var off = new GenerationRequest { Prompt = "x", GuidanceScale = 1f }.Resolve(WanPresets.T2V_1_3B);
        Assert.That(off.DoClassifierFreeGuidance, Is.False);
    }

    [TestCase(GenerationRequest.StepsLimit + 1, 512, "steps", "at most 10000")]
    [TestCase(int.MaxValue, 512, "steps", "at most 10000")]
    [TestCase(4, GenerationRequest.SequenceLengthLimit + 1, "max-sequence-length", "at most 4096")]
    [TestCase(4, 65536, "max-sequence-length", "at most 4096")]
    public void StepsAndSequenceLengthAreBounded(int steps, int maxSequenceLength, string name, string rule)
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new GenerationRequest { Prompt = "x", Steps = steps, MaxSequenceLength = maxSequenceLength }.Resolve(WanPresets.T2V_1_3B))!;
        Assert.That(e.ParamName, Is.EqualTo(name));
        Assert.That(e.Message, Does.Contain(rule));
        var atLimit = new GenerationRequest { Prompt = "x", Steps = GenerationRequest.StepsLimit, MaxSequenceLength = GenerationRequest.SequenceLengthLimit }
            .Resolve(WanPresets.T2V_1_3B);
        Assert.That((atLimit.Steps, atLimit.MaxSequenceLength), Is.EqualTo((10_000, 4096)));
    }

    [Test]
    public void PresetChoiceFollowsTheCheckpoint()
    {
        Assert.That(WanPresets.For(false, 1536, "Wan2.1-T2V-1.3B-Diffusers"), Is.SameAs(WanPresets.T2V_1_3B));
        Assert.That(WanPresets.For(false, 5120, "Wan2.1-T2V-14B-Diffusers"), Is.SameAs(WanPresets.T2V_14B));
        Assert.That(WanPresets.For(true, 5120, "Wan2.1-I2V-14B-720P-Diffusers"), Is.SameAs(WanPresets.I2V_14B_720P));
        Assert.That(WanPresets.For(true, 5120, "Wan2.1-I2V-14B-480P-Diffusers").Steps, Is.EqualTo(40));
    }
}
