using FastVideo.Loading;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Loading;

public class TensorSourcesTests
{
    private static void Write(string path, string tensor, float value)
    {
        using var t = Tensor.FromHost<float>(new[] { value }, 1);
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { [tensor] = t });
    }

    private static string Which(ITensorSource s) => s switch
    {
        ShardedSafetensors sh => Path.GetFileName(sh.IndexPath),
        SafetensorsFile f => Path.GetFileName(f.FilePath),
        _ => s.GetType().Name,
    };

    [Test]
    public void OpensGoldenDiffusersAndTransformersFolders()
    {
        using (var s = TensorSources.OpenFolder(Golden.Path_("wan_vae", "model")))
        {
            Assert.That(Which(s), Is.EqualTo("diffusion_pytorch_model.safetensors"));
            Assert.That(s.Contains("decoder.conv_out.weight"));
        }
        using (var s = TensorSources.OpenFolder(Golden.Path_("umt5_encoder", "model")))
        {
            Assert.That(Which(s), Is.EqualTo("model.safetensors"));
            Assert.That(s.Entry("shared.weight").Shape, Is.EqualTo(new[] { 1104, 32 }));
        }
    }

    [TestCase("diffusion_pytorch_model")]
    [TestCase("model")]
    public void OpensShardedFoldersOfEitherLibrary(string stem)
    {
        using var dir = new TempDir();
        ShardedSafetensorsTests.Split(Golden.Path_("umt5_encoder", "model", "model.safetensors"), dir.Path, stem, 2);
        using var s = TensorSources.OpenFolder(dir.Path);
        Assert.That(s, Is.TypeOf<ShardedSafetensors>());
        Assert.That(Which(s), Is.EqualTo($"{stem}.safetensors.index.json"));
        Assert.That(s.Entry("shared.weight").Shape, Is.EqualTo(new[] { 1104, 32 }));
    }

    /// <summary>The documented precedence: diffusers index, diffusers file, transformers file, transformers index.</summary>
    [Test]
    public void PrecedenceFollowsEachLibrary()
    {
        using var dir = new TempDir();
        // Transformers alone: the single file beats its index (transformers' own order).
        Write(dir.File("model.safetensors"), "x", 3);
        Write(dir.File("model-00001-of-00001.safetensors"), "x", 4);
        ShardedSafetensorsTests.WriteIndex(dir.File("model.safetensors.index.json"), [("x", "model-00001-of-00001.safetensors")]);
        using (var s = TensorSources.OpenFolder(dir.Path)) Assert.That(Which(s), Is.EqualTo("model.safetensors"));
        File.Delete(dir.File("model.safetensors"));
        using (var s = TensorSources.OpenFolder(dir.Path)) Assert.That(Which(s), Is.EqualTo("model.safetensors.index.json"));

        // A diffusers file beats both transformers names.
        Write(dir.File("diffusion_pytorch_model.safetensors"), "x", 1);
        using (var s = TensorSources.OpenFolder(dir.Path)) Assert.That(Which(s), Is.EqualTo("diffusion_pytorch_model.safetensors"));

        // The diffusers index beats the diffusers file (diffusers' own order).
        Write(dir.File("diffusion_pytorch_model-00001-of-00001.safetensors"), "x", 2);
        ShardedSafetensorsTests.WriteIndex(dir.File("diffusion_pytorch_model.safetensors.index.json"), [("x", "diffusion_pytorch_model-00001-of-00001.safetensors")]);
        using (var s = TensorSources.OpenFolder(dir.Path))
        {
            Assert.That(Which(s), Is.EqualTo("diffusion_pytorch_model.safetensors.index.json"));
            using var x = s.Load("x");
            Assert.That(x.ToArray<float>(), Is.EqualTo(new[] { 2f }));
        }
        Assert.That(TensorSources.FindWeights(dir.Path), Is.EqualTo(dir.File("diffusion_pytorch_model.safetensors.index.json")));
    }

    [Test]
    public void OpenAcceptsFileIndexOrFolder()
    {
        using var dir = new TempDir();
        Write(dir.File("a.safetensors"), "x", 1);
        Write(dir.File("model.safetensors"), "y", 1);
        using (var s = TensorSources.Open(dir.File("a.safetensors"))) Assert.That(s.Names, Is.EqualTo(new[] { "x" }));
        using (var s = TensorSources.Open(dir.Path)) Assert.That(s.Names, Is.EqualTo(new[] { "y" }));
        ShardedSafetensorsTests.WriteIndex(dir.File("w.safetensors.index.json"), [("x", "a.safetensors")]);
        using (var s = TensorSources.Open(dir.File("w.safetensors.index.json"))) Assert.That(s, Is.TypeOf<ShardedSafetensors>());
    }

    [Test]
    public void NothingFoundListsWhatWasLookedFor()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), "{}");
        var ex = Assert.Throws<ModelFolderException>(() => TensorSources.OpenFolder(dir.Path))!;
        Assert.That(ex.FolderPath, Is.EqualTo(dir.Path));
        foreach (var name in TensorSources.WeightFileNames) Assert.That(ex.Message, Does.Contain(name));
        Assert.That(ex.Message, Does.Contain("config.json"), "lists what is there");
        Assert.That(ex.Message, Does.Not.Contain(".bin"));
    }

    [Test]
    public void OnlyPickleWeightsSaysBinIsNotSupported()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("pytorch_model.bin"), new byte[16]);
        File.WriteAllBytes(dir.File("diffusion_pytorch_model.fp16.safetensors"), new byte[16]);
        var ex = Assert.Throws<ModelFolderException>(() => TensorSources.OpenFolder(dir.Path))!;
        Assert.That(ex.Message, Does.Contain("pytorch_model.bin").And.Contain(".bin/.pt files are not supported"));
        Assert.That(ex.Message, Does.Contain("diffusion_pytorch_model.fp16.safetensors"), "names the variant it did not pick");
    }

    [Test]
    public void MissingFolderOrFileInsteadOfFolder()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<ModelFolderException>(() => TensorSources.OpenFolder(dir.File("absent")))!;
        Assert.That(ex.Message, Does.Contain("not found").And.Contain("absent"));
        Write(dir.File("a.safetensors"), "x", 1);
        Assert.Throws<ModelFolderException>(() => TensorSources.OpenFolder(dir.File("a.safetensors")));
    }
}
