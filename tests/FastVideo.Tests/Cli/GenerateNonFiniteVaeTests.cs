using FastVideo.Loading;
using FastVideo.Tensors;
using FastVideo.Tests.Smoke;
using NUnit.Framework;

namespace FastVideo.Tests.Cli;

/// <summary>
/// A VAE decoder that turns finite latents into NaN or Inf ends the run with one line naming the decoding stage, the
/// frame and the cause, not a failure deep in frame conversion (NaN) or a silently clamped, white video (Inf).
/// </summary>
public class GenerateNonFiniteVaeTests
{
    private const string PoisonedTensor = "decoder.conv_out.bias"; // every output pixel of channel 0, every frame

    /// <summary>A copy of the smoke model whose VAE decoder has <paramref name="value"/> as the first element of <see cref="PoisonedTensor"/>.</summary>
    private static string PoisonedSmokeModel(float value)
    {
        var folder = Path.Combine(SmokeFolderFixture.NewRoot(), "poisoned-smoke");
        SmokeFolderFixture.CopyFolder(SmokeFolderFixture.Folder, folder);
        var weights = Path.Combine(folder, "vae", "diffusion_pytorch_model.safetensors");
        long offset;
        using (var file = SafetensorsFile.Open(weights))
        {
            var entry = file.Entry(PoisonedTensor);
            Assert.That(entry.DType, Is.EqualTo(DType.F32));
            offset = file.DataOffset + entry.Begin;
        }
        using (var stream = new FileStream(weights, FileMode.Open, FileAccess.Write))
        {
            stream.Position = offset;
            stream.Write(BitConverter.GetBytes(value)); // little-endian, as safetensors stores it
        }
        return folder;
    }

    [TestCase(float.NaN, "NaN and 0 Inf")]
    [TestCase(float.PositiveInfinity, "0 NaN and")]
    public void NonFiniteVaeWeightsNameTheDecodingStageAndTheCause(float poison, string detail)
    {
        var model = PoisonedSmokeModel(poison);
        var output = Path.Combine(Path.GetDirectoryName(model)!, "out.safetensors");
        var run = CliTestSupport.Run("generate", "-m", model, "-p", "a fox", "--steps", "2", "--num-frames", "5", "-o", output);
        CliTestSupport.AssertError(run, 1, "decoding", "the latents were finite", "VAE decoder produced NaN or Inf",
            "from frame 1 of 5", "non-finite VAE weights in " + Path.Combine(model, "vae"), "overflow");
        Assert.That(run.ErrorLines[0], Does.Contain(detail));
        Assert.That(File.Exists(output), Is.False, "nothing is written");
    }
}
