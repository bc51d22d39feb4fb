using System.Runtime.InteropServices;
using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>
/// AutoencoderKLWan on configs the goldens do not cover (other temporal patterns, stage counts, residual-block
/// counts, attention scales, the Wan2.2 residual/patch structure, BF16 weights, batches), against the naive
/// whole-sequence double-precision <see cref="WanVaeReference"/>: our chunked, cached run must equal it.
/// The reference itself is checked against the diffusers goldens first.
/// </summary>
[TestFixture]
public class WanVaeVariantTests
{
    private const double Tol = 1e-4;

    /// <summary>One config with the inputs to run: video frames to encode, latent frames to decode, video size.</summary>
    public sealed record Case(string Name, WanVaeRefConfig Config, int[] EncodeFrames, int[] DecodeFrames, int Height, int Width)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        Case[] cases =
        [
            new("Wan21Structure_T1_5_13_Latent1_2_4", new() { BaseDim = 2, DimMult = [1, 2, 4, 4], TemperalDownsample = [false, true, true], NumResBlocks = 2 },
                [1, 5, 13], [1, 2, 4], 16, 8),
            new("TimeHalvedInLastStageOnly", new() { BaseDim = 4, DimMult = [1, 2, 2, 2], TemperalDownsample = [false, false, true] },
                [13], [4], 16, 24),
            new("TimeHalvedInFirstStages_ThreeResBlocks", new() { BaseDim = 2, DimMult = [1, 1, 2, 2], TemperalDownsample = [true, true, false], NumResBlocks = 3 },
                [13], [4], 8, 24),
            new("OneStage_OddSize", new() { BaseDim = 3, DimMult = [3], TemperalDownsample = [] },
                [5], [2], 3, 5),
            new("ExtraTemperalEntries_DecoderReadsReversed", new() { BaseDim = 4, DimMult = [1, 2], TemperalDownsample = [false, true, true] },
                [5], [2], 6, 10),
            new("ThreeTimeHalvings_SingleFrameEncode", new() { BaseDim = 2, DimMult = [1, 1, 1, 1], TemperalDownsample = [true, true, true] },
                [1], [3], 8, 16),
            new("AttnScalesMatchingNoStage", new() { BaseDim = 4, DimMult = [1, 2], TemperalDownsample = [true], AttnScales = [0.3, 2.0] },
                [5], [2], 4, 6),
            new("Wan22Structure_ResidualPatch2", new() { BaseDim = 4, DecoderBaseDim = 6, DimMult = [1, 2, 2], TemperalDownsample = [false, true],
                IsResidual = true, PatchSize = 2, InChannels = 12, OutChannels = 12 }, [5, 13], [1, 3], 8, 16),
            new("ResidualWithoutPatch", new() { BaseDim = 4, DimMult = [1, 2, 2], TemperalDownsample = [true, true], IsResidual = true, NumResBlocks = 2 },
                [13], [4], 4, 12),
            new("PatchWithoutResidual", new() { BaseDim = 4, DimMult = [1, 2], TemperalDownsample = [true], PatchSize = 2, InChannels = 12, OutChannels = 12, ZDim = 6 },
                [5], [2], 4, 8),
        ];
        return cases.Select(c => new TestCaseData(c).SetName("MatchesWholeSequenceReference_" + c.Name));
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /// <summary>The reference with all its (random) parameters, and our model loaded from them through config JSON.</summary>
    private static (AutoencoderKLWan Model, WanVaeReference Ref) Build(WanVaeRefConfig cfg, int seed, bool bf16 = false, Action<System.Text.Json.Nodes.JsonObject>? editConfig = null)
    {
        var reference = new WanVaeReference(cfg, seed);
        reference.DeclareAll();
        if (bf16) reference.RoundParamsToBf16();
        var source = new MemoryTensorSource();
        foreach (var (name, (shape, values)) in reference.Params)
        {
            var f = values.Select(v => (float)v).ToArray();
            if (bf16)
                source.Put(name, DType.BF16, shape, MemoryMarshal.AsBytes(f.Select(v => (BFloat16)v).ToArray().AsSpan()).ToArray());
            else
                source.Put(name, DType.F32, shape, MemoryMarshal.AsBytes(f.AsSpan()).ToArray());
        }
        var json = cfg.ToJson(seed);
        editConfig?.Invoke(json);
        var config = WanVaeConfig.FromJson(json.ToJsonString(), "variant/config.json");
        return (AutoencoderKLWan.Load(config, source, CpuBackend.Default), reference);
    }

    /// <summary>Runs the reference on each batch row of <paramref name="input"/> [B, C, T, H, W] and stacks the rows.</summary>
    private static (int[] Shape, double[] Values) PerRow(float[] input, int[] shape, Func<WanVaeReference.Vol, WanVaeReference.Vol> run)
    {
        int rowSize = input.Length / shape[0];
        var rows = new List<WanVaeReference.Vol>();
        for (int b = 0; b < shape[0]; b++)
        {
            var v = new WanVaeReference.Vol(shape[1], shape[2], shape[3], shape[4]);
            for (int i = 0; i < rowSize; i++) v.D[i] = input[b * rowSize + i];
            rows.Add(run(v));
        }
        var r0 = rows[0];
        return ([shape[0], r0.C, r0.T, r0.H, r0.W], rows.SelectMany(r => r.D).ToArray());
    }

    private static void AssertMatches(Tensor actual, (int[] Shape, double[] Values) expected, string what)
    {
        Assert.That(actual.ShapeSpan.ToArray(), Is.EqualTo(expected.Shape), $"{what}: shape");
        var a = actual.ToArray<float>();
        Numerics.AssertClose(a, expected.Values.Select(v => (float)v).ToArray(), Tol, Tol, what);
        Numerics.AssertRelL2(a, expected.Values, 1e-5, what);
    }

    private static (float[] Values, int[] Shape) Video(int batch, int channels, int frames, int h, int w, int seed) =>
        (Numerics.RandomUniform(batch * channels * frames * h * w, seed), [batch, channels, frames, h, w]);

    private static (float[] Values, int[] Shape) Latents(int batch, int z, int frames, int h, int w, int seed) =>
        (Numerics.RandomNormal(batch * z * frames * h * w, seed), [batch, z, frames, h, w]);

    private static void CheckEncode(AutoencoderKLWan model, WanVaeReference reference, (float[] Values, int[] Shape) video, string what)
    {
        using var x = Tensor.FromHost<float>(video.Values, video.Shape);
        using var moments = model.EncodeMoments(x);
        var expected = PerRow(video.Values, video.Shape, reference.Encode);
        AssertMatches(moments, expected, what + " moments");
        Assert.That(moments.Size(2), Is.EqualTo(model.LatentFrames(video.Shape[2])), what + ": LatentFrames");
        using var mean = model.EncodeMean(x);
        var m = moments.ToArray<float>();
        int batch = video.Shape[0], half = m.Length / batch / 2;
        var firstHalves = Enumerable.Range(0, batch).SelectMany(b => m.Skip(2 * b * half).Take(half)).ToArray();
        Assert.That(mean.ToArray<float>(), Is.EqualTo(firstHalves), what + ": latent_mean = the first z_dim channels of the moments");
    }

    private static void CheckDecode(AutoencoderKLWan model, WanVaeReference reference, (float[] Values, int[] Shape) latents, string what)
    {
        using var z = Tensor.FromHost<float>(latents.Values, latents.Shape);
        using var raw = model.DecodeUnclamped(z);
        var expected = PerRow(latents.Values, latents.Shape, reference.Decode);
        AssertMatches(raw, expected, what + " video_pre_clamp");
        Assert.That(raw.Size(2), Is.EqualTo(model.VideoFrames(latents.Shape[2])), what + ": VideoFrames");
        using var video = model.Decode(z);
        var r = raw.ToArray<float>();
        Assert.That(video.ToArray<float>(), Is.EqualTo(r.Select(v => Math.Clamp(v, -1f, 1f)).ToArray()), what + ": video = clamp(video_pre_clamp, -1, 1)");
    }

    // ---- tests -------------------------------------------------------------------------------------------

    [TestCaseSource(nameof(Cases))]
    public void MatchesWholeSequenceReference(Case c)
    {
        var (model, reference) = Build(c.Config, seed: 101);
        using (model)
        {
            int videoChannels = c.Config.InChannels / (c.Config.Patch * c.Config.Patch);
            foreach (int t in c.EncodeFrames)
                CheckEncode(model, reference, Video(1, videoChannels, t, c.Height, c.Width, seed: t), $"encode {t} frames");
            int s = c.Config.SpatialFactor;
            foreach (int t in c.DecodeFrames)
                CheckDecode(model, reference, Latents(1, c.Config.ZDim, t, c.Height / s, c.Width / s, seed: 50 + t), $"decode {t} latent frames");
        }
    }

    [Test]
    public void Wan22StructureBatchOfTwoAndBf16Weights()
    {
        var cfg = new WanVaeRefConfig
        {
            BaseDim = 4, DecoderBaseDim = 6, DimMult = [1, 2, 2], TemperalDownsample = [false, true],
            IsResidual = true, PatchSize = 2, InChannels = 12, OutChannels = 12,
        };
        var (model, reference) = Build(cfg, seed: 7, bf16: true);
        using (model)
        {
            CheckEncode(model, reference, Video(2, 3, 5, 8, 16, seed: 3), "BF16 weights, batch 2: encode");
            CheckDecode(model, reference, Latents(2, 4, 2, 1, 2, seed: 4), "BF16 weights, batch 2: decode");
        }
    }

    [Test]
    public void AttentionInTheEncoderDecodesButRefusesToEncode()
    {
        // attn_scales [1.0, 0.25]: attention after each residual block of encoder stages 0 and 2 (scale 1/2^stage).
        var cfg = new WanVaeRefConfig { BaseDim = 4, DimMult = [1, 2, 2], TemperalDownsample = [false, true], AttnScales = [1.0, 0.25], NumResBlocks = 2 };
        var (model, reference) = Build(cfg, seed: 11);
        using (model)
        {
            Assert.That(reference.Params.Keys, Has.Some.StartsWith("encoder.down_blocks.1.to_qkv"), "the reference placed an attention block after the first residual block");
            CheckDecode(model, reference, Latents(1, 4, 2, 2, 3, seed: 5), "decode");
            using var video = Tensor.FromHost<float>(new float[3 * 5 * 8 * 12], 1, 3, 5, 8, 12);
            var e = Assert.Throws<NotSupportedException>(() => model.EncodeMoments(video).Dispose())!;
            Assert.That(e.Message, Does.Contain("variant/config.json").And.Contain("attn_scales [1, 0.25]")
                .And.Contain("encoder.down_blocks.1").And.Contain("encoder.down_blocks.9"));
        }
    }

    [Test]
    public void ThreeTimeHalvingsRefuseMultiFrameEncode()
    {
        var cfg = new WanVaeRefConfig { BaseDim = 2, DimMult = [1, 1, 1, 1], TemperalDownsample = [true, true, true] };
        var (model, _) = Build(cfg, seed: 12);
        using (model)
        {
            using var video = Tensor.FromHost<float>(new float[3 * 5 * 8 * 8], 1, 3, 5, 8, 8);
            var e = Assert.Throws<NotSupportedException>(() => model.EncodeMoments(video).Dispose())!;
            Assert.That(e.Message, Does.Contain("temperal_downsample [True, True, True]").And.Contain("5 frames"));
        }
    }

    [Test]
    public void EncodeNamesTheShapeWhenSizeIsNotAMultipleOfTheCompression()
    {
        // patch 2 × two halvings: H and W must be multiples of 8 (16 would be wrong, 4 too).
        var cfg = new WanVaeRefConfig { BaseDim = 4, DimMult = [1, 2, 2], TemperalDownsample = [false, true], PatchSize = 2, InChannels = 12, OutChannels = 12 };
        var (model, _) = Build(cfg, seed: 13);
        using (model)
        {
            Assert.That(model.Config.SpatialCompression, Is.EqualTo(8));
            using var bad = Tensor.FromHost<float>(new float[3 * 1 * 12 * 16], 1, 3, 1, 12, 16);
            var e = Assert.Throws<ArgumentException>(() => model.EncodeMoments(bad).Dispose())!;
            Assert.That(e.Message, Does.Contain("[1, 3, 1, 12, 16]").And.Contain("multiples of 8"));
            using var wrongChannels = Tensor.FromHost<float>(new float[12 * 8 * 8], 1, 12, 1, 8, 8);
            var e2 = Assert.Throws<ShapeMismatchException>(() => model.EncodeMoments(wrongChannels).Dispose())!;
            Assert.That(e2.Message, Does.Contain("12 channels").And.Contain("3 video channels"));
        }
    }

    [Test]
    public void LatentStatisticsNotOfZDimValuesStillEncodeAndDecode()
    {
        // z_dim 4 with diffusers' 16 default latents_mean/std (a config.json without those keys): diffusers builds,
        // encodes and decodes; only normalising fails (checked with the real library, max abs diff 9.5e-7).
        var cfg = new WanVaeRefConfig { BaseDim = 2, DimMult = [1, 2], TemperalDownsample = [true] };
        var (model, reference) = Build(cfg, seed: 17, editConfig: j => { j.Remove("latents_mean"); j.Remove("latents_std"); });
        using (model)
        {
            Assert.That((model.Config.LatentsMean.Length, model.Config.HasLatentStatistics), Is.EqualTo((16, false)));
            CheckEncode(model, reference, Video(1, 3, 5, 4, 6, seed: 1), "encode");
            CheckDecode(model, reference, Latents(1, 4, 2, 2, 3, seed: 2), "decode");
            using var z = Tensor.FromHost<float>(new float[4 * 6], 1, 4, 1, 2, 3);
            var e = Assert.Throws<InvalidOperationException>(() => model.NormalizeLatents(z).Dispose())!;
            Assert.That(e.Message, Does.Contain("variant/config.json").And.Contain("latents_mean has 16 values").And.Contain("z_dim is 4"));
            Assert.Throws<InvalidOperationException>(() => model.DenormalizeLatents(z).Dispose());
        }
    }

    [Test]
    public void NonFiniteLatentsPropagateCausallyWithoutAnError()
    {
        // As diffusers: no check (it would read the latents back from the device; the pipeline checks while
        // denoising). A NaN in latent frame 1 must leave video frame 0 (decoded from latent frame 0) finite.
        var (model, _) = Build(new WanVaeRefConfig(), seed: 14);                  // 4× space, time doubled once
        using (model)
        {
            var z = Numerics.RandomNormal(4 * 2 * 2 * 3, seed: 9);
            z[1 * 6] = float.NaN;                                                   // channel 0, latent frame 1
            using var latents = Tensor.FromHost<float>(z, 1, 4, 2, 2, 3);
            using var video = model.Decode(latents);                                // [1, 3, 3, 8, 12]
            Assert.That(video.ShapeSpan.ToArray(), Is.EqualTo(new[] { 1, 3, 3, 8, 12 }));
            var v = video.ToArray<float>();
            var frame0 = Enumerable.Range(0, 3).SelectMany(c => v.Skip(c * 3 * 96).Take(96)).ToArray();
            var later = Enumerable.Range(0, 3).SelectMany(c => v.Skip(c * 3 * 96 + 96).Take(2 * 96)).ToArray();
            Assert.That(frame0.All(float.IsFinite), "video frame 0 depends on latent frame 0 only");
            Assert.That(later.Any(float.IsNaN), "NaN reaches the frames decoded from latent frame 1, through the clamp");
        }
    }

    // ---- the reference against diffusers ---------------------------------------------------------------------

    private static WanVaeReference GoldenReference()
    {
        var cfg = new WanVaeRefConfig { BaseDim = 8, ZDim = 16, DimMult = [1, 2, 4, 4], NumResBlocks = 2, TemperalDownsample = [false, true, true] };
        using var file = SafetensorsFile.Open(Golden.Path_("wan_vae", "model", AutoencoderKLWan.WeightsFileName));
        var p = new Dictionary<string, (int[], double[])>(StringComparer.Ordinal);
        foreach (var e in file.Entries) p[e.Name] = (e.Shape, file.Read<float>(e.Name).Select(v => (double)v).ToArray());
        return new WanVaeReference(cfg, p);
    }

    [Test]
    public void ReferenceDecodeMatchesDiffusers()
    {
        var reference = GoldenReference();
        using var g = SafetensorsFile.Open(Golden.Path_("wan_vae", "decode_3f.safetensors"));
        var z = g.Read<float>("latents");
        var expected = PerRow(z, g.Entry("latents").Shape, reference.Decode);
        Assert.That(expected.Shape, Is.EqualTo(g.Entry("video_pre_clamp").Shape));
        Numerics.AssertClose(expected.Values.Select(v => (float)v).ToArray(), g.Read<float>("video_pre_clamp"), Tol, Tol, "reference decode_3f");
    }

    [Test]
    public void ReferenceEncodeMatchesDiffusers()
    {
        var reference = GoldenReference();
        using var g = SafetensorsFile.Open(Golden.Path_("wan_vae", "encode_9f.safetensors"));
        var video = g.Read<float>("video");
        var expected = PerRow(video, g.Entry("video").Shape, reference.Encode);
        Assert.That(expected.Shape, Is.EqualTo(g.Entry("quant_conv_output").Shape));
        Numerics.AssertClose(expected.Values.Select(v => (float)v).ToArray(), g.Read<float>("quant_conv_output"), Tol, Tol, "reference encode_9f");
    }
}
