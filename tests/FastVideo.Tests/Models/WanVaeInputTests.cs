using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>AutoencoderKLWan: wrong inputs and wrong checkpoints give errors that say what is wrong.</summary>
[TestFixture]
public class WanVaeInputTests
{
    private AutoencoderKLWan _vae = null!;

    [OneTimeSetUp]
    public void LoadModel() => _vae = AutoencoderKLWan.FromPretrained(Golden.Path_("wan_vae", "model"), CpuBackend.Default);

    [OneTimeTearDown]
    public void DisposeModel() => _vae?.Dispose();

    private static Tensor Zeros(params int[] shape) => Tensor.FromHost<float>(new float[ShapeUtil.Numel(shape)], shape);

    [Test]
    public void EncodeRejectsWrongRank()
    {
        using var v = Zeros(3, 5, 32, 48);
        var e = Assert.Throws<ShapeMismatchException>(() => _vae.EncodeMean(v).Dispose())!;
        Assert.That(e.Message, Does.Contain("rank 5").And.Contain("[3, 5, 32, 48]"));
    }

    [Test]
    public void EncodeRejectsWrongChannels()
    {
        using var v = Zeros(1, 4, 5, 32, 48);
        var e = Assert.Throws<ShapeMismatchException>(() => _vae.EncodeMean(v).Dispose())!;
        Assert.That(e.Message, Does.Contain("4 channels").And.Contain("in_channels is 3"));
    }

    [TestCase(4)]
    [TestCase(8)]
    [TestCase(10)]
    public void EncodeRejectsFrameCountsNotOnePlusFourK(int frames)
    {
        using var v = Zeros(1, 3, frames, 32, 48);
        var e = Assert.Throws<ArgumentException>(() => _vae.EncodeMean(v).Dispose())!;
        Assert.That(e.Message, Does.Contain($"{frames} frames").And.Contain("1 + 4k"));
    }

    [Test]
    public void EncodeRejectsSizesNotMultiplesOfEight()
    {
        using var v = Zeros(1, 3, 1, 30, 48);
        var e = Assert.Throws<ArgumentException>(() => _vae.EncodeMean(v).Dispose())!;
        Assert.That(e.Message, Does.Contain("height 30").And.Contain("multiples of 8"));
    }

    [Test]
    public void EncodeRejectsNonF32()
    {
        using var v = Tensor.Empty(CpuAllocator.Shared, [1, 3, 1, 8, 8], DType.BF16);
        var e = Assert.Throws<ArgumentException>(() => _vae.EncodeMean(v).Dispose())!;
        Assert.That(e.Message, Does.Contain("F32").And.Contain("BF16"));
    }

    [Test]
    public void DecodeRejectsWrongRankAndChannels()
    {
        using var r4 = Zeros(16, 1, 4, 6);
        Assert.That(Assert.Throws<ShapeMismatchException>(() => _vae.Decode(r4).Dispose())!.Message, Does.Contain("rank 5"));
        using var c8 = Zeros(1, 8, 1, 4, 6);
        Assert.That(Assert.Throws<ShapeMismatchException>(() => _vae.DecodeUnclamped(c8).Dispose())!.Message,
            Does.Contain("8 channels").And.Contain("z_dim is 16"));
        Assert.That(Assert.Throws<ShapeMismatchException>(() => _vae.DenormalizeLatents(c8).Dispose())!.Message, Does.Contain("z_dim is 16"));
    }

    [Test]
    public void MissingParameterIsACheckpointError()
    {
        var config = WanVaeConfig.FromFile(Golden.Path_("wan_vae", "model", "config.json"));
        using var file = SafetensorsFile.Open(Golden.Path_("wan_vae", "model", AutoencoderKLWan.WeightsFileName));
        using var source = new EditedSource(file, hide: "decoder.up_blocks.1.upsamplers.0.time_conv.weight");
        var e = Assert.Throws<CheckpointException>(() => AutoencoderKLWan.Load(config, source, CpuBackend.Default).Dispose())!;
        Assert.That(e.Message, Does.Contain("decoder.up_blocks.1.upsamplers.0.time_conv.weight").And.Contain("missing"));
    }

    [Test]
    public void UnexpectedParameterIsACheckpointError()
    {
        var config = WanVaeConfig.FromFile(Golden.Path_("wan_vae", "model", "config.json"));
        using var file = SafetensorsFile.Open(Golden.Path_("wan_vae", "model", AutoencoderKLWan.WeightsFileName));
        using var source = new EditedSource(file, extra: ("encoder.norm_out.bias", "encoder.norm_out.gamma"));
        var e = Assert.Throws<CheckpointException>(() => AutoencoderKLWan.Load(config, source, CpuBackend.Default).Dispose())!;
        Assert.That(e.Message, Does.Contain("unexpected").And.Contain("encoder.norm_out.bias"));
    }

    [Test]
    public void ConfigThatDisagreesWithTheWeightsIsACheckpointError()
    {
        var config = WanVaeConfig.FromFile(Golden.Path_("wan_vae", "model", "config.json")) with { BaseDim = 16, DecoderBaseDim = 16 };
        using var file = SafetensorsFile.Open(Golden.Path_("wan_vae", "model", AutoencoderKLWan.WeightsFileName));
        var e = Assert.Throws<CheckpointException>(() => AutoencoderKLWan.Load(config, file, CpuBackend.Default).Dispose())!;
        Assert.That(e.Message, Does.Contain("encoder.conv_in.weight").And.Contain("shape"));
    }

    /// <summary>A tensor source that hides one name or adds one (an alias of an existing tensor).</summary>
    private sealed class EditedSource(ITensorSource inner, string? hide = null, (string Name, string Alias)? extra = null) : ITensorSource
    {
        private string Resolve(string name) => extra is { } x && name == x.Name ? x.Alias : name;
        public string Description => inner.Description + " (edited)";
        public IEnumerable<string> Names => inner.Names.Where(n => n != hide).Concat(extra is { } x ? [x.Name] : []);
        public bool Contains(string name) => name != hide && (inner.Contains(name) || extra?.Name == name);
        public SafetensorsEntry Entry(string name) => inner.Entry(Resolve(name));
        public Tensor Load(string name, IAllocator? allocator = null) => inner.Load(Resolve(name), allocator);
        public Tensor LoadF32(string name, IAllocator? allocator = null) => inner.LoadF32(Resolve(name), allocator);
        public void Dispose() { }
    }
}
