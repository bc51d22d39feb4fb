using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Encoders.Umt5;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>UMT5 checkpoint layouts (tied embedding stored or not), parameter errors, input validation, buckets.</summary>
public class Umt5EncoderLoadingTests
{
    private static string ModelDir => Golden.Path_("umt5_encoder", "model");
    private static Umt5Config GoldenConfig => Umt5Config.FromFile(Path.Combine(ModelDir, "config.json"));

    /// <summary>Writes the golden weights with <paramref name="edit"/> applied to a temporary file and loads it.</summary>
    private static T WithEditedCheckpoint<T>(Action<Dictionary<string, Tensor>> edit, Func<SafetensorsFile, T> use)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fv-umt5-{Guid.NewGuid():N}.safetensors");
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            using (var src = SafetensorsFile.Open(Path.Combine(ModelDir, "model.safetensors")))
                foreach (var name in src.Names) tensors[name] = src.Load(name);
            edit(tensors);
            SafetensorsWriter.Save(path, tensors);
            using var file = SafetensorsFile.Open(path);
            return use(file);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
            File.Delete(path);
        }
    }

    private static float[] RunCaseA(Umt5EncoderModel model)
    {
        using var st = SafetensorsFile.Open(Golden.Path_("umt5_encoder", "case_a.safetensors"));
        using var ids = st.Load("input_ids");
        using var mask = st.Load("attention_mask");
        using var h = model.Forward(ids, mask);
        return h.ToArray<float>();
    }

    [Test]
    public void EmbeddingStoredAsEncoderEmbedTokensOrBothGivesTheSameOutput()
    {
        float[] reference;
        using (var model = Umt5EncoderModel.FromFolder(CpuBackend.Default, ModelDir)) reference = RunCaseA(model);

        var renamed = WithEditedCheckpoint(t =>
        {
            t["encoder.embed_tokens.weight"] = t["shared.weight"];
            t.Remove("shared.weight");
        }, f => { using var m = Umt5EncoderModel.Load(CpuBackend.Default, GoldenConfig, f); return RunCaseA(m); });
        Assert.That(renamed, Is.EqualTo(reference), "only encoder.embed_tokens.weight stored");

        var both = WithEditedCheckpoint(t => t["encoder.embed_tokens.weight"] = t["shared.weight"].Share(),
            f => { using var m = Umt5EncoderModel.Load(CpuBackend.Default, GoldenConfig, f); return RunCaseA(m); });
        Assert.That(both, Is.EqualTo(reference), "both stored (tied)");
    }

    [Test]
    public void MissingParameterIsNamed()
    {
        var e = Assert.Throws<CheckpointException>(() => WithEditedCheckpoint(
            t => { t["encoder.block.1.layer.1.DenseReluDense.wi_1.weight"].Dispose(); t.Remove("encoder.block.1.layer.1.DenseReluDense.wi_1.weight"); },
            f => Umt5EncoderModel.Load(CpuBackend.Default, GoldenConfig, f)));
        Assert.That(e!.Message, Does.Contain("encoder.block.1.layer.1.DenseReluDense.wi_1.weight"));
    }

    [Test]
    public void FailedLoadReleasesTheParametersItHadTaken()
    {
        // The last block's gate is missing: every earlier parameter was already on the backend when the load fails.
        var backend = new CpuBackend(new CpuAllocator());
        Assert.Throws<CheckpointException>(() => WithEditedCheckpoint(
            t => { t["encoder.block.1.layer.1.DenseReluDense.wi_1.weight"].Dispose(); t.Remove("encoder.block.1.layer.1.DenseReluDense.wi_1.weight"); },
            f => Umt5EncoderModel.Load(backend, GoldenConfig, f)));
        Assert.That(backend.Allocator.Stats.PeakBytes, Is.GreaterThan(0), "parameters were taken before the failure");
        Assert.That(backend.Allocator.Stats.CurrentBytes, Is.EqualTo(0), "and all of them released");
    }

    [Test]
    public void UnexpectedParameterIsNamed()
    {
        var e = Assert.Throws<CheckpointException>(() => WithEditedCheckpoint(
            t => t["encoder.block.2.layer.0.SelfAttention.q.weight"] = Tensor.FromHost<float>(new float[4], 2, 2),
            f => Umt5EncoderModel.Load(CpuBackend.Default, GoldenConfig, f)));
        Assert.That(e!.Message, Does.Contain("encoder.block.2.layer.0.SelfAttention.q.weight"));
    }

    [Test]
    public void WrongParameterShapeIsNamed()
    {
        var e = Assert.Throws<CheckpointException>(() => WithEditedCheckpoint(
            t => { t["encoder.final_layer_norm.weight"].Dispose(); t["encoder.final_layer_norm.weight"] = Tensor.FromHost<float>(new float[31], 31); },
            f => Umt5EncoderModel.Load(CpuBackend.Default, GoldenConfig, f)));
        Assert.That(e!.Message, Does.Contain("encoder.final_layer_norm.weight").And.Contain("[32]"));
    }

    [Test]
    public void WrongInputsAreNamed()
    {
        using var model = Umt5EncoderModel.FromFolder(CpuBackend.Default, ModelDir);
        using var ids = Tensor.FromHost<long>(new long[] { 5, 6, 7, 8, 9, 10 }, 2, 3);
        using var idsF = Tensor.FromHost<float>(new float[6], 2, 3);
        using var ids1d = Tensor.FromHost<long>(new long[3], 3);
        using var badId = Tensor.FromHost<long>(new long[] { 5, 6, 7, 8, 9, 1104 }, 2, 3);
        using var mask = Tensor.FromHost<long>(new long[] { 1, 1, 1, 1, 1, 0 }, 2, 3);
        using var maskShort = Tensor.FromHost<long>(new long[] { 1, 1, 1, 1 }, 2, 2);
        using var maskF = Tensor.FromHost<float>(new float[6], 2, 3);

        Assert.That(Assert.Throws<ArgumentNullException>(() => model.Forward(null!, mask))!.ParamName, Is.EqualTo("input_ids"));
        Assert.That(Assert.Throws<ArgumentException>(() => model.Forward(idsF, mask))!.Message, Does.Contain("input_ids").And.Contain("F32"));
        Assert.That(Assert.Throws<ShapeMismatchException>(() => model.Forward(ids1d, null))!.Message, Does.Contain("input_ids"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(badId, mask))!.Message, Does.Contain("input_ids[1, 2] = 1104"));
        Assert.That(Assert.Throws<ShapeMismatchException>(() => model.Forward(ids, maskShort))!.Message, Does.Contain("attention_mask"));
        Assert.That(Assert.Throws<ArgumentException>(() => model.Forward(ids, maskF))!.Message, Does.Contain("attention_mask"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => model.EncodePrompts(ids, null!))!.ParamName, Is.EqualTo("attentionMask"));
    }

    [Test]
    public void RelativePositionBucketsFollowT5()
    {
        // 32 buckets, bidirectional: 16 per direction, 8 exact; log-spaced up to distance 128, then clamped.
        Assert.That(Umt5RelativePosition.Bucket(0, 32, 128), Is.EqualTo(0));
        Assert.That(Umt5RelativePosition.Bucket(-7, 32, 128), Is.EqualTo(7));
        Assert.That(Umt5RelativePosition.Bucket(7, 32, 128), Is.EqualTo(16 + 7));
        Assert.That(Umt5RelativePosition.Bucket(-16, 32, 128), Is.EqualTo(10), "8 + log(2)/log(16)·8 = 10");
        Assert.That(Umt5RelativePosition.Bucket(1000, 32, 128), Is.EqualTo(31));
        Assert.That(Umt5RelativePosition.Bucket(-1000, 32, 128), Is.EqualTo(15));
        // Independent double-precision evaluation away from bucket edges.
        for (int r = -300; r <= 300; r++)
        {
            int a = Math.Abs(r);
            double large = 8 + Math.Log(a / 8.0) / Math.Log(16.0) * 8;
            if (a >= 8 && Math.Abs(large - Math.Round(large)) < 1e-4) continue;
            int expected = (r > 0 ? 16 : 0) + (a < 8 ? a : Math.Min(15, (int)large));
            Assert.That(Umt5RelativePosition.Bucket(r, 32, 128), Is.EqualTo(expected), $"r = {r}");
        }
    }

    [TestCase(1, 1)]
    [TestCase(7, 7)]
    [TestCase(300, 300)]
    [TestCase(5, 40)]
    [TestCase(40, 5)]
    [TestCase(0, 3)]
    public void BucketGridIsTheBucketOfEachOffset(int queries, int keys)
    {
        var ids = Umt5RelativePosition.Buckets(queries, keys, 32, 128);
        Assert.That(ids, Has.Length.EqualTo(queries * keys));
        for (int i = 0; i < queries; i++)
            for (int j = 0; j < keys; j++)
                if (ids[i * keys + j] != Umt5RelativePosition.Bucket(j - i, 32, 128))
                    Assert.Fail($"[{i}, {j}]: {ids[i * keys + j]}, expected {Umt5RelativePosition.Bucket(j - i, 32, 128)}");
    }

    [Test]
    public void BucketGridTooLargeForAnArrayIsRefusedBeforeAllocating()
    {
        // 65536² = 2³² entries: int arithmetic wrapped to 0 and failed with IndexOutOfRange; 100000² wrapped to a 5.6 GB table.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Umt5RelativePosition.Buckets(65536, 65536, 32, 128))!;
        Assert.That(e.Message, Does.Contain("65536×65536"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Umt5RelativePosition.Buckets(100_000, 100_000, 32, 128));
    }
}
