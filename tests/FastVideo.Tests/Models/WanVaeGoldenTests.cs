using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>
/// AutoencoderKLWan against diffusers 0.35.2 (golden folder wan_vae: tiny Wan2.1-structured VAE, base_dim 8,
/// random weights): chunked encode/decode outputs and the per-chunk intermediates, atol = rtol = 1e-4.
/// </summary>
[TestFixture]
public class WanVaeGoldenTests
{
    private const double Tol = 1e-4;
    private AutoencoderKLWan _vae = null!;

    [OneTimeSetUp]
    public void LoadModel() => _vae = AutoencoderKLWan.FromPretrained(Golden.Path_("wan_vae", "model"), CpuBackend.Default);

    [OneTimeTearDown]
    public void DisposeModel() => _vae?.Dispose();

    private static SafetensorsFile Open(string file) => SafetensorsFile.Open(Golden.Path_("wan_vae", file));

    private static void AssertMatches(Tensor actual, SafetensorsFile golden, string name, string what)
    {
        var e = golden.Entry(name);
        Assert.That(actual.ShapeSpan.ToArray(), Is.EqualTo(e.Shape), $"{what}: shape");
        Numerics.AssertClose(actual.ToArray<float>(), golden.Read<float>(name), Tol, Tol, what);
    }

    /// <summary>Runs <paramref name="run"/> while recording copies of every observed intermediate.</summary>
    private static Dictionary<string, (int[] Shape, float[] Values)> Record(Action<Action<string, Tensor>> run)
    {
        var seen = new Dictionary<string, (int[], float[])>();
        run((name, t) => seen[name] = (t.Shape, t.ToArray<float>()));
        return seen;
    }

    private static void AssertIntermediates(Dictionary<string, (int[] Shape, float[] Values)> seen, SafetensorsFile golden, string prefix)
    {
        var names = golden.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.That(names, Is.Not.Empty, $"golden has no {prefix}* tensors");
        foreach (var name in names)
        {
            Assert.That(seen.ContainsKey(name), $"the model did not report {name}; it reported {string.Join(", ", seen.Keys)}");
            Assert.That(seen[name].Shape, Is.EqualTo(golden.Entry(name).Shape), $"{name}: shape");
            Numerics.AssertClose(seen[name].Values, golden.Read<float>(name), Tol, Tol, name);
        }
    }

    [TestCase("encode_9f")]
    [TestCase("encode_1f")]
    public void EncodeMeanMatchesDiffusers(string golden)
    {
        using var g = Open(golden + ".safetensors");
        using var video = g.LoadF32("video");
        using var mean = _vae.EncodeMean(video);
        AssertMatches(mean, g, "latent_mean", $"{golden} latent_mean");
    }

    [TestCase("encode_9f")]
    [TestCase("encode_1f")]
    public void EncodeMomentsAndNormalizedLatentsMatchDiffusers(string golden)
    {
        using var g = Open(golden + ".safetensors");
        using var video = g.LoadF32("video");
        using var moments = _vae.EncodeMoments(video);
        AssertMatches(moments, g, "quant_conv_output", $"{golden} quant_conv_output");
        using var mean = CpuBackend.Default.Slice(moments, 1, 0, _vae.Config.ZDim);
        using var normalized = _vae.NormalizeLatents(mean);
        AssertMatches(normalized, g, "latent_normalized", $"{golden} latent_normalized");
    }

    [TestCase("encode_9f")]
    [TestCase("encode_1f")]
    public void EncoderChunkOutputsMatchDiffusers(string golden)
    {
        using var g = Open(golden + ".safetensors");
        using var gi = Open(golden + "_intermediates.safetensors");
        using var video = g.LoadF32("video");
        var seen = Record(observe => _vae.EncodeMoments(video, observe).Dispose());
        AssertIntermediates(seen, gi, "encoder_chunk_output.");
        AssertIntermediates(seen, gi, "quant_conv_output.");
        Assert.That(seen.Keys.Count(k => k.StartsWith("encoder_chunk_output.", StringComparison.Ordinal)),
            Is.EqualTo(1 + (video.Size(2) - 1) / 4), "one encoder chunk for frame 0, then one per 4 frames");
    }

    [TestCase("decode_3f")]
    [TestCase("decode_1f")]
    public void DecodeMatchesDiffusers(string golden)
    {
        using var g = Open(golden + ".safetensors");
        using var latents = g.LoadF32("latents");
        using var raw = _vae.DecodeUnclamped(latents);
        AssertMatches(raw, g, "video_pre_clamp", $"{golden} video_pre_clamp");
        using var video = _vae.Decode(latents);
        AssertMatches(video, g, "video", $"{golden} video");
        var v = video.ToArray<float>();
        Assert.That(v.All(x => x is >= -1f and <= 1f), "Decode clamps to [-1, 1]");
    }

    [Test]
    public void ShardedCheckpointFolderLoadsLikeTheSingleFile()
    {
        // save_pretrained shards a large VAE the same way as a transformer: the folder loader must follow the index.
        using var dir = new FastVideo.Tests.Loading.TempDir();
        var model = Golden.Path_("wan_vae", "model");
        File.Copy(System.IO.Path.Combine(model, "config.json"), System.IO.Path.Combine(dir.Path, "config.json"));
        FastVideo.Tests.Loading.ShardedSafetensorsTests.Split(System.IO.Path.Combine(model, AutoencoderKLWan.WeightsFileName), dir.Path, "diffusion_pytorch_model", 2);
        using var sharded = AutoencoderKLWan.FromPretrained(dir.Path, CpuBackend.Default);
        using var g = Open("decode_1f.safetensors");
        using var latents = g.LoadF32("latents");
        using var expected = _vae.DecodeUnclamped(latents);
        using var actual = sharded.DecodeUnclamped(latents);
        Assert.That(actual.ToArray<float>(), Is.EqualTo(expected.ToArray<float>()), "same parameters, same arithmetic: bit-identical");
    }

    [TestCase("decode_3f")]
    [TestCase("decode_1f")]
    public void DecoderChunkOutputsMatchDiffusers(string golden)
    {
        using var g = Open(golden + ".safetensors");
        using var gi = Open(golden + "_intermediates.safetensors");
        using var latents = g.LoadF32("latents");
        var seen = Record(observe => _vae.DecodeUnclamped(latents, observe).Dispose());
        AssertIntermediates(seen, gi, "post_quant_conv_output.");
        AssertIntermediates(seen, gi, "decoder_chunk_output.");
        Assert.That(seen["decoder_chunk_output.0"].Shape[2], Is.EqualTo(1), "the first latent frame decodes to one frame");
    }

    [Test]
    public void BatchOfTwoMatchesSeparateRuns()
    {
        // The goldens are batch 1; a batch must behave as its rows run one by one (attention is per (b, t) frame).
        var b = CpuBackend.Default;
        using var g = Open("decode_3f.safetensors");
        using var latents = g.LoadF32("latents");
        using var other = b.Scale(latents, -0.5f, 0.25f);
        using var batch = b.Concat([latents, other], 0);
        using var video = _vae.DecodeUnclamped(batch);
        using var row1 = _vae.DecodeUnclamped(other);
        var v = video.ToArray<float>();
        int half = v.Length / 2;
        Numerics.AssertClose(v.AsSpan(0, half), g.Read<float>("video_pre_clamp"), Tol, Tol, "decode batch row 0");
        Numerics.AssertClose(v.AsSpan(half), row1.ToArray<float>(), 1e-5, 1e-5, "decode batch row 1");

        using var ge = Open("encode_9f.safetensors");
        using var clip = ge.LoadF32("video");
        using var flipped = b.Scale(clip, -1f);
        using var clips = b.Concat([clip, flipped], 0);
        using var means = _vae.EncodeMean(clips);
        using var mean1 = _vae.EncodeMean(flipped);
        var m = means.ToArray<float>();
        Numerics.AssertClose(m.AsSpan(0, m.Length / 2), ge.Read<float>("latent_mean"), Tol, Tol, "encode batch row 0");
        Numerics.AssertClose(m.AsSpan(m.Length / 2), mean1.ToArray<float>(), 1e-5, 1e-5, "encode batch row 1");
    }

    [Test]
    public void DenormalizeInvertsNormalizeAsThePipelinesDo()
    {
        var cfg = _vae.Config;
        int n = 2 * cfg.ZDim * 3 * 2 * 5;
        var x = Numerics.RandomNormal(n, seed: 7);
        using var t = Tensor.FromHost<float>(x, 2, cfg.ZDim, 3, 2, 5);
        using var d = _vae.DenormalizeLatents(t);
        using var back = _vae.NormalizeLatents(d);
        var dv = d.ToArray<float>();
        var expected = new double[n];
        for (int i = 0; i < n; i++)
        {
            int c = i / (3 * 2 * 5) % cfg.ZDim;
            // WanPipeline: latents / (1 / std) + mean, with 1/std in float32.
            expected[i] = x[i] / (double)(1f / cfg.LatentsStd[c]) + cfg.LatentsMean[c];
        }
        Numerics.AssertRelL2(dv, expected, 1e-6, "DenormalizeLatents");
        Numerics.AssertClose(back.ToArray<float>(), x, 1e-5, 1e-5, "NormalizeLatents(DenormalizeLatents(x))");
    }
}
