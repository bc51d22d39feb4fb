using FastVideo.Layers;
using FastVideo.Loading;
using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using static FastVideo.Tests.Models.WanGolden;

namespace FastVideo.Tests.Models;

/// <summary>Wrong inputs and wrong checkpoints raise specific exceptions; BF16 checkpoints keep BF16 Linear weights.</summary>
public class WanTransformerValidationTests
{
    /// <summary>A zero tensor of any dtype (inside the caller's TensorScope).</summary>
    private static Tensor Zeros(DType dtype, params int[] shape)
    {
        var t = Tensor.FromHost<float>(Backend.Allocator, new float[shape.Aggregate(1, (a, b) => a * b)], shape);
        return dtype == DType.F32 ? t : Backend.Cast(t, dtype);
    }

    [Test]
    public void T2VRejectsWrongInputs()
    {
        using var model = LoadModel("wan_transformer_t2v");
        using var scope = TensorScope.Begin();
        var x = Zeros(DType.F32, 1, 16, 3, 8, 12);
        var ctx = Zeros(DType.F32, 1, 7, 32);
        var t = Zeros(DType.F32, 1);
        var e = Assert.Throws<ShapeMismatchException>(() => model.Forward(Zeros(DType.F32, 1, 15, 3, 8, 12), t, ctx));
        Assert.That(e!.Message, Does.Contain("hidden_states"));
        Assert.Throws<ShapeMismatchException>(() => model.Forward(Zeros(DType.F32, 1, 16, 3, 1, 12), t, ctx));   // H below the patch
        Assert.Throws<ShapeMismatchException>(() => model.Forward(Zeros(DType.F32, 16, 3, 8, 12), t, ctx));      // rank 4
        Assert.Throws<ShapeMismatchException>(() => model.Forward(x, Zeros(DType.F32, 2), ctx));                  // 2 timesteps, batch 1
        Assert.Throws<ShapeMismatchException>(() => model.Forward(x, t, Zeros(DType.F32, 1, 7, 31)));             // text_dim
        Assert.Throws<ShapeMismatchException>(() => model.Forward(x, t, Zeros(DType.F32, 2, 7, 32)));             // batch
        Assert.Throws<ShapeMismatchException>(() => model.Forward(x, t, Zeros(DType.F32, 1, 0, 32)));             // empty context
        var d = Assert.Throws<ArgumentException>(() => model.Forward(Zeros(DType.BF16, 1, 16, 3, 8, 12), t, ctx));
        Assert.That(d!.Message, Does.Contain("F32"));
        Assert.Throws<ArgumentException>(() => model.Forward(x, new[] { float.NaN }, ctx));
        var i = Assert.Throws<ArgumentException>(() => model.Forward(x, t, ctx, Zeros(DType.F32, 1, 17, 32)));
        Assert.That(i!.ParamName, Is.EqualTo("encoderHiddenStatesImage"));
    }

    /// <summary>
    /// The image features are required, of the right width and batch; the text may have any length (diffusers cuts
    /// the context at total − 512, see WanTransformerReferenceTests.I2VTextLengthsMatchReference).
    /// </summary>
    [Test]
    public void I2VRequiresImageFeatures()
    {
        using var model = LoadModel("wan_transformer_i2v");
        using var scope = TensorScope.Begin();
        var x = Zeros(DType.F32, 1, 36, 1, 2, 2);
        var t = Zeros(DType.F32, 1);
        var ctx = Zeros(DType.F32, 1, 512, 32);
        var img = Zeros(DType.F32, 1, 17, 32);
        var e = Assert.Throws<ArgumentNullException>(() => model.Forward(x, t, ctx));
        Assert.That(e!.ParamName, Is.EqualTo("encoderHiddenStatesImage"));
        Assert.That(e.Message, Does.Contain("encoder_hidden_states_image is required"));
        Assert.Throws<ShapeMismatchException>(() => model.Forward(x, t, ctx, Zeros(DType.F32, 1, 17, 31)));
        Assert.Throws<ShapeMismatchException>(() => model.Forward(x, t, ctx, Zeros(DType.F32, 2, 17, 32)));   // batch
        Assert.Throws<ArgumentException>(() => model.Forward(x, t, ctx, Zeros(DType.BF16, 1, 17, 32)));
        Assert.Throws<ShapeMismatchException>(() => model.Forward(Zeros(DType.F32, 1, 16, 1, 2, 2), t, ctx, img)); // 16 channels, not 36
        using var y = model.Forward(x, t, ctx, img);
        Assert.That(y.Shape, Is.EqualTo(new[] { 1, 16, 1, 2, 2 }));
        using var shortText = model.Forward(x, t, Zeros(DType.F32, 1, 511, 32), img);
        Assert.That(shortText.Shape, Is.EqualTo(new[] { 1, 16, 1, 2, 2 }));
    }

    /// <summary>FLF2V features come in pairs per sample whose joined length must fit pos_embed_seq_len.</summary>
    [Test]
    public void Flf2vRequiresImagePairs()
    {
        var c = WanTransformerReferenceTests.TinyI2V() with { PosEmbedSeqLen = 6 };
        using var model = WanTinyCheckpoint.Random(c, 90).Load();
        using var scope = TensorScope.Begin();
        var x = Zeros(DType.F32, 2, c.InChannels, 1, 2, 2);
        var t = Zeros(DType.F32, 2);
        var ctx = Zeros(DType.F32, 2, 512, c.TextDim);
        var single = Assert.Throws<ShapeMismatchException>(() => model.Forward(x, t, ctx, Zeros(DType.F32, 2, 3, c.ImageDim!.Value)));
        Assert.That(single!.Message, Does.Contain("[4, 3, 6]").And.Contain("first and last frame"));
        Assert.Throws<ShapeMismatchException>(() => model.Forward(x, t, ctx, Zeros(DType.F32, 4, 4, c.ImageDim!.Value)));   // 2·4 ≠ 6
        using var y = model.Forward(x, t, ctx, Zeros(DType.F32, 4, 3, c.ImageDim!.Value));
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, c.OutChannels, 1, 2, 2 }));
    }

    [Test]
    public void MissingUnexpectedOrMisshapenParametersRaiseCheckpointException()
    {
        var dir = ModelDir("wan_transformer_t2v");
        var config = WanTransformerConfig.FromFile(Path.Combine(dir, "config.json"));
        using var file = SafetensorsFile.Open(Path.Combine(dir, "diffusion_pytorch_model.safetensors"));

        var missing = MemoryTensorSource.CopyOf(file);
        missing.Remove("blocks.1.attn2.to_v.bias");
        var e = Assert.Throws<CheckpointException>(() => WanTransformer3DModel.Load(Backend, config, missing));
        Assert.That(e!.Message, Does.Contain("blocks.1.attn2.to_v.bias"));

        var unexpected = MemoryTensorSource.CopyOf(file);
        unexpected.Rename("blocks.0.norm2.weight", "blocks.0.norm2.gamma");
        e = Assert.Throws<CheckpointException>(() => WanTransformer3DModel.Load(Backend, config, unexpected));
        Assert.That(e!.Message, Does.Contain("blocks.0.norm2.weight"));

        var extra = MemoryTensorSource.CopyOf(file);
        extra.Put("blocks.2.ffn.net.2.bias", DType.F32, new[] { 1 }, new byte[4]);
        e = Assert.Throws<CheckpointException>(() => WanTransformer3DModel.Load(Backend, config, extra));
        Assert.That(e!.Message, Does.Contain("blocks.2.ffn.net.2.bias"));

        var misshapen = MemoryTensorSource.CopyOf(file);
        misshapen.Put("proj_out.weight", DType.F32, new[] { 64, 32 }, new byte[64 * 32 * 4]);
        e = Assert.Throws<CheckpointException>(() => WanTransformer3DModel.Load(Backend, config, misshapen));
        Assert.That(e!.Message, Does.Contain("proj_out.weight"));

        // A config with more layers than the checkpoint holds is a missing parameter, not a crash.
        e = Assert.Throws<CheckpointException>(() => WanTransformer3DModel.Load(Backend, config with { NumLayers = 3 }, file));
        Assert.That(e!.Message, Does.Contain("blocks.2."));
    }

    [Test]
    public void I2VIgnoresNormAddedQLikeDiffusers()
    {
        var dir = ModelDir("wan_transformer_i2v");
        var config = WanTransformerConfig.FromFile(Path.Combine(dir, "config.json"));
        using var file = SafetensorsFile.Open(Path.Combine(dir, "diffusion_pytorch_model.safetensors"));
        var src = MemoryTensorSource.CopyOf(file);
        src.Put("blocks.0.attn2.norm_added_q.weight", DType.F32, new[] { 64 }, new byte[64 * 4]);
        using var model = WanTransformer3DModel.Load(Backend, config, src);
        using var f = Case("wan_transformer_i2v", "case_a");
        using var y = WanTransformerGoldenTests.Run(model, f, null);
        Numerics.AssertClose(y.ToArray<float>(), f.Read<float>("output"), Atol, Rtol, "i2v with an ignored norm_added_q");
    }

    [Test]
    public void Bf16LinearWeightsStayBf16()
    {
        var src = new MemoryTensorSource();
        var w = Numerics.RandomNormal(3 * 5, 1);
        var b = Numerics.RandomNormal(3, 2);
        foreach (var name in new[] { "q", "k", "v" })
        {
            src.Put(name + ".weight", DType.F32, new[] { 3, 5 }, System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()).ToArray());
            src.Put(name + ".bias", DType.F32, new[] { 3 }, System.Runtime.InteropServices.MemoryMarshal.AsBytes(b.AsSpan()).ToArray());
        }
        src.ConvertToBf16(n => n.EndsWith(".weight", StringComparison.Ordinal));
        var reader = new ParameterReader(src, Backend.Allocator);
        using var single = Linear.Load(Backend, reader, "q", 5, 3);
        using var fused = Linear.LoadFused(Backend, reader, new[] { "q", "k", "v" }, 5, new[] { 3, 3, 3 });
        Assert.That((single.Weight.DType, single.Bias!.DType), Is.EqualTo((DType.BF16, DType.F32)));
        Assert.That((fused.Weight.DType, fused.OutFeatures, fused.InFeatures), Is.EqualTo((DType.BF16, 9, 5)));
        var fw = fused.Weight.ToFloatArray();
        var sw = single.Weight.ToFloatArray();
        for (int part = 0; part < 3; part++)
            Assert.That(fw.Skip(part * 15).Take(15), Is.EqualTo(sw), $"fused rows of part {part}");
        Assert.That(fused.Bias!.ToArray<float>(), Is.EqualTo(b.Concat(b).Concat(b)));
    }

    /// <summary>
    /// The whole model from a BF16 checkpoint: Linear/conv weights stay BF16, norms and tables become F32; the
    /// output differs from the F32 golden only by the weight rounding (8-bit mantissa: about 2⁻⁹ per weight).
    /// </summary>
    [Test]
    public void Bf16CheckpointRunsCloseToF32()
    {
        var dir = ModelDir("wan_transformer_t2v");
        var config = WanTransformerConfig.FromFile(Path.Combine(dir, "config.json"));
        using var file = SafetensorsFile.Open(Path.Combine(dir, "diffusion_pytorch_model.safetensors"));
        var src = MemoryTensorSource.CopyOf(file);
        src.ConvertToBf16(_ => true);
        using var model = WanTransformer3DModel.Load(Backend, config, src);
        using var f = Case("wan_transformer_t2v", "case_a");
        using var y = WanTransformerGoldenTests.Run(model, f, null);
        double err = Numerics.RelL2(y.ToArray<float>(), f.Read<float>("output"));
        Assert.That(err, Is.GreaterThan(1e-5), "BF16 weights must change the result a little (else they were not used)");
        Assert.That(err, Is.LessThan(2e-2), "relative L2 error of a BF16-weight forward");
    }
}
