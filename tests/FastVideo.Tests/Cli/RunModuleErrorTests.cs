using FastVideo.Cli;
using FastVideo.Tests.Loading;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Cli;

/// <summary>
/// <c>fastvideo run-module</c> failures: command-line mistakes exit 2, model errors (wrong shape/dtype) exit 1,
/// each with one line naming the problem, and no output file is written or damaged.
/// </summary>
public class RunModuleErrorTests
{
    private static string T2V => Golden.Path_("wan_transformer_t2v", "model");
    private static string T2VCase => Golden.Path_("wan_transformer_t2v", "case_a.safetensors");

    [Test]
    public void MissingInputListsTheExpectedNames()
    {
        using var dir = new TempDir();
        var inPath = dir.File("in.safetensors");
        CliTestSupport.CopyTensors(T2VCase, inPath, "hidden_states", "encoder_hidden_states");
        var run = CliTestSupport.Run("run-module", T2V, "--inputs", inPath, "--output", dir.File("out.safetensors"));
        CliTestSupport.AssertUsageError(run, "missing 'timestep'",
            "hidden_states, timestep, encoder_hidden_states (optional: encoder_hidden_states_image)",
            "the file has encoder_hidden_states, hidden_states");
        Assert.That(File.Exists(dir.File("out.safetensors")), Is.False);
    }

    [Test]
    public void UnknownKind()
    {
        using var dir = new TempDir();
        var run = CliTestSupport.Run("run-module", T2V, "--inputs", T2VCase, "--output", dir.File("out.safetensors"), "--kind", "unet");
        CliTestSupport.AssertUsageError(run, "--kind unet", "transformer, vae-encode, vae-decode, umt5, clip");
    }

    [Test]
    public void KindThatDoesNotFitTheFolder()
    {
        using var dir = new TempDir();
        var run = CliTestSupport.Run("run-module", T2V, "--inputs", T2VCase, "--output", dir.File("out.safetensors"), "--kind", "umt5");
        CliTestSupport.AssertUsageError(run, "--kind umt5 does not fit", "WanTransformer3DModel");
    }

    [Test]
    public void MissingFolder()
    {
        using var dir = new TempDir();
        var run = CliTestSupport.Run("run-module", dir.File("no-such-model"), "--inputs", T2VCase, "--output", dir.File("out.safetensors"));
        CliTestSupport.AssertUsageError(run, "no-such-model", "component folder not found");
    }

    [Test]
    public void WholePipelineFolderIsNotAComponent()
    {
        using var dir = new TempDir();
        var run = CliTestSupport.Run("run-module", Golden.Path_("wan_pipeline_t2v", "pipeline"), "--inputs", T2VCase, "--output", dir.File("out.safetensors"));
        CliTestSupport.AssertUsageError(run, "whole diffusers pipeline", "transformer");
    }

    [Test]
    public void MissingInputsFileAndMissingOptions()
    {
        using var dir = new TempDir();
        CliTestSupport.AssertUsageError(CliTestSupport.Run("run-module", T2V, "--inputs", dir.File("nope.safetensors"), "--output", dir.File("o.safetensors")),
            "--inputs", "nope.safetensors", "file not found");
        CliTestSupport.AssertUsageError(CliTestSupport.Run("run-module", T2V, "--output", dir.File("o.safetensors")), "--inputs");
        CliTestSupport.AssertUsageError(CliTestSupport.Run("run-module", T2V, "--inputs", T2VCase), "--output");
        CliTestSupport.AssertUsageError(CliTestSupport.Run("run-module", "--inputs", T2VCase, "--output", dir.File("o.safetensors")),
            "Required argument missing", "fastvideo run-module --help");
    }

    [Test]
    public void UnknownDeviceIsUsage()
    {
        using var dir = new TempDir();
        var outPath = dir.File("out.safetensors");
        CliTestSupport.AssertUsageError(CliTestSupport.Run("run-module", T2V, "-i", T2VCase, "-o", outPath, "--device", "tpu"), "--device tpu", "cpu, cuda or cuda:N");
        Assert.That(File.Exists(outPath), Is.False);
    }

    [Test]
    public void CudaDeviceThatCannotBeOpenedIsARuntimeError()
    {
        // Device 99 does not exist on any test machine; without a driver the reason is the missing driver instead.
        using var dir = new TempDir();
        var outPath = dir.File("out.safetensors");
        CliTestSupport.AssertError(CliTestSupport.Run("run-module", T2V, "-i", T2VCase, "-o", outPath, "--device", "cuda:99"), CliApp.ExitFailure,
            "--device cuda:99: the CUDA backend is not available on this machine", "use --device cpu");
        Assert.That(File.Exists(outPath), Is.False);
    }

    [Test]
    public void WrongShapeIsTheModelsMessageOnOneLineAndLeavesAnExistingOutputAlone()
    {
        // I2V inputs (36 channels) into the T2V transformer (16): the model rejects them; exit 1.
        using var dir = new TempDir();
        var outPath = dir.File("out.safetensors");
        File.WriteAllText(outPath, "previous result");
        var run = CliTestSupport.Run("run-module", T2V, "--inputs", Golden.Path_("wan_transformer_i2v", "case_a.safetensors"), "--output", outPath, "--overwrite");
        CliTestSupport.AssertError(run, CliApp.ExitFailure, "hidden_states must be [B, 16, T, H, W], got [1, 36, 3, 8, 12]");
        Assert.That(File.ReadAllText(outPath), Is.EqualTo("previous result"));
        Assert.That(Directory.GetFiles(dir.Path), Has.Length.EqualTo(1), "no temporary file is left behind");
    }

    [Test]
    public void AnExistingOutputIsReplacedOnlyWithOverwriteAndNeverADevice()
    {
        using var dir = new TempDir();
        var outPath = dir.File("out.safetensors");
        File.WriteAllText(outPath, "previous result");
        var inputs = Golden.Path_("wan_transformer_t2v", "case_a.safetensors");
        var run = CliTestSupport.Run("run-module", T2V, "--inputs", inputs, "--output", outPath);
        CliTestSupport.AssertUsageError(run, "--output", outPath, "--overwrite");
        Assert.That(File.ReadAllText(outPath), Is.EqualTo("previous result"));
        var link = dir.File("null.safetensors");
        File.CreateSymbolicLink(link, "/dev/null");
        run = CliTestSupport.Run("run-module", T2V, "--inputs", inputs, "--output", link, "--overwrite");
        CliTestSupport.AssertUsageError(run, "--output", link, "symbolic link");
        run = CliTestSupport.Run("run-module", T2V, "--inputs", "/dev/zero", "--output", dir.File("x.safetensors"));
        CliTestSupport.AssertUsageError(run, "--inputs /dev/zero", "character device");
        Assert.That(Directory.GetFileSystemEntries(dir.Path), Has.Length.EqualTo(2));
    }

    [Test]
    public void WrongDtypeIsTheModelsMessage()
    {
        // Token ids given as float: UMT5 names the input and the dtype it needs.
        using var dir = new TempDir();
        var inPath = dir.File("in.safetensors");
        CliTestSupport.WriteF32(inPath, ("input_ids", [1, 2, 3], [1, 3]));
        var run = CliTestSupport.Run("run-module", Golden.Path_("umt5_encoder", "model"), "--inputs", inPath, "--output", dir.File("out.safetensors"));
        CliTestSupport.AssertError(run, CliApp.ExitFailure, "input_ids must be I64 or I32", "F32");
    }

    [Test]
    public void VaeFramesNotOnePlusFourK()
    {
        using var dir = new TempDir();
        var inPath = dir.File("in.safetensors");
        CliTestSupport.WriteF32(inPath, ("video", new float[3 * 6 * 32 * 48], [1, 3, 6, 32, 48]));
        var outPath = dir.File("out.safetensors");
        var run = CliTestSupport.Run("run-module", Golden.Path_("wan_vae", "model"), "--inputs", inPath, "--output", outPath);
        CliTestSupport.AssertError(run, CliApp.ExitFailure, "6 frames", "1 + 4k", "use 5 or 9");
        Assert.That(File.Exists(outPath), Is.False);
    }

    [Test]
    public void VaeDirectionNeedsKindWhenBothOrNeitherInputIsPresent()
    {
        using var dir = new TempDir();
        var vae = Golden.Path_("wan_vae", "model");
        CliTestSupport.AssertUsageError(CliTestSupport.Run("run-module", vae, "-i", Golden.Path_("wan_vae", "decode_3f.safetensors"), "-o", dir.File("o.safetensors")),
            "both 'video' and 'latents'", "--kind vae-encode or --kind vae-decode");
        CliTestSupport.AssertUsageError(CliTestSupport.Run("run-module", vae, "-i", T2VCase, "-o", dir.File("o.safetensors")),
            "'video' (encode) or 'latents' (decode)", "hidden_states");
        CliTestSupport.AssertUsageError(CliTestSupport.Run("run-module", vae, "-i", T2VCase, "-o", dir.File("o.safetensors"), "--kind", "vae-decode"),
            "missing 'latents'", "vae-decode takes latents");
    }
}
