using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Encoders.ClipVision;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>CLIPVisionModelWithProjection against transformers (golden/clip_vision, README section 5), atol = rtol = 1e-4.</summary>
public class ClipVisionGoldenTests
{
    private const double Tol = 1e-4;
    private static string ModelDir => Golden.Path_("clip_vision", "model");

    [Test]
    public void OutputsMatch()
    {
        using var model = ClipVisionModelWithProjection.FromFolder(CpuBackend.Default, ModelDir);
        using var st = SafetensorsFile.Open(Golden.Path_("clip_vision", "case_a.safetensors"));
        using var pixels = st.Load("pixel_values");
        using var output = model.Forward(pixels);
        Assert.That(output.PenultimateHiddenState.Shape, Is.EqualTo(new[] { 2, 17, 32 }));
        Assert.That(output.ImageEmbeds.Shape, Is.EqualTo(new[] { 2, 16 }));
        Numerics.AssertClose(output.PenultimateHiddenState.ToArray<float>(), st.Read<float>("penultimate_hidden_state"), Tol, Tol, "penultimate_hidden_state");
        Numerics.AssertClose(output.LastHiddenState.ToArray<float>(), st.Read<float>("last_hidden_state"), Tol, Tol, "last_hidden_state");
        Numerics.AssertClose(output.ImageEmbeds.ToArray<float>(), st.Read<float>("image_embeds"), Tol, Tol, "image_embeds");
    }

    [Test]
    public void HiddenStatesMatchIntermediates()
    {
        using var model = ClipVisionModelWithProjection.FromFolder(CpuBackend.Default, ModelDir);
        using var st = SafetensorsFile.Open(Golden.Path_("clip_vision", "case_a.safetensors"));
        using var inter = SafetensorsFile.Open(Golden.Path_("clip_vision", "case_a_intermediates.safetensors"));
        using var pixels = st.Load("pixel_values");
        var states = new List<Tensor>();
        try
        {
            using var output = model.Forward(pixels, states);
            Assert.That(states, Has.Count.EqualTo(4), "embeddings after pre_layrnorm + 3 layers");
            for (int i = 0; i < states.Count; i++)
                Numerics.AssertClose(states[i].ToArray<float>(), inter.Read<float>($"hidden_states.{i}"), Tol, Tol, $"hidden_states.{i}");
            Assert.That(output.PenultimateHiddenState.ToArray<float>(), Is.EqualTo(states[^2].ToArray<float>()));
        }
        finally
        {
            foreach (var t in states) t.Dispose();
        }
    }

    [Test]
    public void CheckpointProblemsAreNamed()
    {
        var config = ClipVisionConfig.FromFile(Path.Combine(ModelDir, "config.json"));
        var path = Path.Combine(Path.GetTempPath(), $"fv-clip-{Guid.NewGuid():N}.safetensors");
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            using (var src = SafetensorsFile.Open(Path.Combine(ModelDir, "model.safetensors")))
                foreach (var name in src.Names) tensors[name] = src.Load(name);

            // Older checkpoints carry the position_ids buffer: accepted.
            tensors["vision_model.embeddings.position_ids"] = Tensor.FromHost<long>(Enumerable.Range(0, 17).Select(i => (long)i).ToArray(), 1, 17);
            SafetensorsWriter.Save(path, tensors);
            using (var f = SafetensorsFile.Open(path))
            using (ClipVisionModelWithProjection.Load(CpuBackend.Default, config, f)) { }

            tensors["vision_model.encoder.layers.3.mlp.fc1.bias"] = Tensor.FromHost<float>(new float[64], 64);
            SafetensorsWriter.Save(path, tensors);
            using (var f = SafetensorsFile.Open(path))
                Assert.That(Assert.Throws<CheckpointException>(() => ClipVisionModelWithProjection.Load(CpuBackend.Default, config, f))!.Message,
                    Does.Contain("vision_model.encoder.layers.3.mlp.fc1.bias"));

            tensors.Remove("vision_model.encoder.layers.3.mlp.fc1.bias", out var extra);
            extra!.Dispose();
            tensors.Remove("visual_projection.weight", out var proj);
            proj!.Dispose();
            SafetensorsWriter.Save(path, tensors);
            using (var f = SafetensorsFile.Open(path))
                Assert.That(Assert.Throws<CheckpointException>(() => ClipVisionModelWithProjection.Load(CpuBackend.Default, config, f))!.Message,
                    Does.Contain("visual_projection.weight"));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
            File.Delete(path);
        }
    }

    [Test]
    public void WrongInputsAreNamed()
    {
        using var model = ClipVisionModelWithProjection.FromFolder(CpuBackend.Default, ModelDir);
        using var wrongSize = Tensor.FromHost<float>(new float[3 * 32 * 24], 1, 3, 32, 24);
        using var wrongChannels = Tensor.FromHost<float>(new float[4 * 32 * 32], 1, 4, 32, 32);
        using var wrongType = Tensor.FromHost<long>(new long[3 * 32 * 32], 1, 3, 32, 32);
        Assert.That(Assert.Throws<ArgumentNullException>(() => model.Forward(null!))!.ParamName, Is.EqualTo("pixel_values"));
        Assert.That(Assert.Throws<ShapeMismatchException>(() => model.Forward(wrongSize))!.Message, Does.Contain("pixel_values").And.Contain("[1, 3, 32, 24]"));
        Assert.That(Assert.Throws<ShapeMismatchException>(() => model.Forward(wrongChannels))!.Message, Does.Contain("pixel_values"));
        Assert.That(Assert.Throws<ArgumentException>(() => model.Forward(wrongType))!.Message, Does.Contain("pixel_values").And.Contain("I64"));
    }
}
