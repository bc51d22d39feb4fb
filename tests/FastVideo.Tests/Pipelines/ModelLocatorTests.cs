using FastVideo.Entrypoints;
using NUnit.Framework;

namespace FastVideo.Tests.Pipelines;

public class ModelLocatorTests
{
    private string _root = "";

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("fv-hf-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public void ResolvesRepoIdThroughRefsMain()
    {
        var repo = Path.Combine(_root, "hub", "models--Wan-AI--Wan2.1-T2V-1.3B-Diffusers");
        Directory.CreateDirectory(Path.Combine(repo, "snapshots", "abc123"));
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), "abc123\n");
        string? Env(string k) => k == "HF_HOME" ? _root : null;
        Assert.That(ModelLocator.Resolve("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", Env), Is.EqualTo(Path.Combine(repo, "snapshots", "abc123")));
    }

    [Test]
    public void HubCacheVariableWinsOverHome()
    {
        string? Env(string k) => k switch { "HF_HUB_CACHE" => "/x/hub", "HF_HOME" => "/y", _ => null };
        Assert.That(ModelLocator.HubCacheDir(Env), Is.EqualTo("/x/hub"));
    }

    [Test]
    public void MissingRepoSaysWhereItLookedAndNeverDownloads()
    {
        string? Env(string k) => k == "HF_HUB_CACHE" ? _root : null;
        var e = Assert.Throws<ModelNotFoundException>(() => ModelLocator.Resolve("Wan-AI/Nope", Env))!;
        Assert.That(e.Message, Does.Contain("models--Wan-AI--Nope").And.Contain("never downloads"));
    }

    [Test]
    public void MissingLocalFolderIsNamed()
    {
        var e = Assert.Throws<ModelNotFoundException>(() => ModelLocator.Resolve(Path.Combine(_root, "absent")))!;
        Assert.That(e.Message, Does.Contain("absent"));
    }
}
