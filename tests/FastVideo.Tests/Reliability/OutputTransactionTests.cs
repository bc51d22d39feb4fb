using FastVideo.Media;
using NUnit.Framework;

namespace FastVideo.Tests.Reliability;

/// <summary>All-or-nothing outputs (issue 9, findings 1, 2 and 9): nothing we did not create is deleted or replaced.</summary>
public class OutputTransactionTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("fv-tx-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Test]
    public void BothOutputsOrNeitherWhenTheSecondTargetChangesMeanwhile()
    {
        using var tx = new OutputTransaction(overwrite: false);
        File.WriteAllText(tx.Stage(P("v.gif"), OutputFormat.Gif), "video");
        File.WriteAllText(tx.Stage(P("v_contact.png"), OutputFormat.Gif), "sheet");
        Directory.CreateDirectory(P("v_contact.png"));  // appears while "generating"
        var e = Assert.Throws<OutputPathException>(() => tx.Commit())!;
        Assert.That(e.Message, Does.Contain("v_contact.png").And.Contain("changed while"));
        Assert.That(File.Exists(P("v.gif")), Is.False, "the video is not left without its sheet");
        Assert.That(Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "v_contact.png" }));
    }

    [Test]
    public void AFailedPlacementRestoresTheFileItReplaced()
    {
        File.WriteAllText(P("v.gif"), "old video");
        using var tx = new OutputTransaction(overwrite: true);
        File.WriteAllText(tx.Stage(P("v.gif"), OutputFormat.Gif), "new video");
        var sheetTemp = tx.Stage(P("v_contact.png"), OutputFormat.Gif);
        // The sheet's temporary file never got written: its rename fails after the video was placed.
        Assert.Throws<FileNotFoundException>(() => tx.Commit());
        Assert.That(File.ReadAllText(P("v.gif")), Is.EqualTo("old video"));
        Assert.That(File.Exists(sheetTemp), Is.False);
        Assert.That(Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "v.gif" }));
    }

    [Test]
    public void CancellationDuringCommitUndoesEverything()
    {
        using var cts = new CancellationTokenSource();
        using var tx = new OutputTransaction(overwrite: false);
        File.WriteAllText(tx.Stage(P("a/b/v.gif"), OutputFormat.Gif), "video");
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => tx.Commit(cts.Token));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty, "created parent folders are removed again");
    }

    [Test]
    public void DisposeWithoutCommitLeavesNothingAndUnregistersTheUndo()
    {
        int before = ProcessCleanup.Pending;
        using (var tx = new OutputTransaction(overwrite: false))
        {
            File.WriteAllText(tx.Stage(P("v.safetensors"), OutputFormat.Safetensors), "x");
            Directory.CreateDirectory(tx.Stage(P("frames"), OutputFormat.Png));
            Assert.That(ProcessCleanup.Pending, Is.EqualTo(before + 1));
        }
        Assert.That(ProcessCleanup.Pending, Is.EqualTo(before));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty);
    }

    [Test]
    public void ProcessCleanupUndoesAStagedOutput()
    {
        var tx = new OutputTransaction(overwrite: false);
        var tmp = tx.Stage(P("v.gif"), OutputFormat.Gif);
        File.WriteAllText(tmp, "partial");
        ProcessCleanup.RunAll();  // what a second Ctrl+C or SIGTERM runs before exiting
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty);
        Assert.Throws<ObjectDisposedException>(() => tx.Commit());
    }

    [Test]
    public void PngIntoAFolderReplacesOnlyOurFrameFiles()
    {
        Directory.CreateDirectory(P("ud"));
        File.WriteAllText(P("ud/keep.txt"), "keep");
        File.WriteAllText(P("ud/frame_0001.png"), "old");
        File.WriteAllText(P("ud/frame_0007.png"), "stale");
        File.WriteAllText(P("ud/frame_x.png"), "not ours");
        Assert.Throws<OutputPathException>(() => new OutputTransaction(overwrite: false).Stage(P("ud"), OutputFormat.Png));
        using var tx = new OutputTransaction(overwrite: true);
        var tmp = tx.Stage(P("ud"), OutputFormat.Png);
        File.WriteAllText(Path.Combine(tmp, "frame_0000.png"), "new0");
        File.WriteAllText(Path.Combine(tmp, "frame_0001.png"), "new1");
        tx.Commit();
        Assert.That(Directory.GetFileSystemEntries(P("ud")).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "keep.txt", "frame_0000.png", "frame_0001.png", "frame_x.png" }));
        Assert.That(File.ReadAllText(P("ud/frame_0001.png")), Is.EqualTo("new1"));
        Assert.That(File.ReadAllText(P("ud/keep.txt")), Is.EqualTo("keep"));
    }

    [TestCase("", OutputFormat.Gif, "empty")]
    [TestCase("dir/", OutputFormat.Gif, "path separator")]
    [TestCase("afile/x.gif", OutputFormat.Gif, "not a folder")]
    [TestCase("existing.gif", OutputFormat.Gif, "--overwrite")]
    [TestCase("adir", OutputFormat.Gif, "is a folder")]
    [TestCase("existing.gif", OutputFormat.Png, "is a file")]
    [TestCase("link.gif", OutputFormat.Gif, "symbolic link")]
    public void RulesRefuseWithAReason(string name, OutputFormat format, string reason)
    {
        File.WriteAllText(P("afile"), "x");
        File.WriteAllText(P("existing.gif"), "x");
        Directory.CreateDirectory(P("adir"));
        if (!OperatingSystem.IsWindows()) File.CreateSymbolicLink(P("link.gif"), "/dev/null");
        else if (name == "link.gif") Assert.Ignore("symbolic links need privileges on Windows");
        var e = Assert.Throws<OutputPathException>(() => OutputRules.Check(name.Length == 0 ? "" : P(name), format, overwrite: false))!;
        Assert.That(e.Message, Does.Contain(reason));
    }

    [Test]
    public void DeviceNodesAndFifosAreNeverReplacedEvenWithOverwrite()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("device nodes and FIFOs: Linux");
        Assert.That(() => OutputRules.Check("/dev/null", OutputFormat.Gif, overwrite: true),
            Throws.TypeOf<OutputPathException>().With.Message.Contains("character device"));
        ProbeCases.Sh($"mkfifo '{P("fifo.gif")}'");
        Assert.That(() => OutputRules.Check(P("fifo.gif"), OutputFormat.Gif, overwrite: true),
            Throws.TypeOf<OutputPathException>().With.Message.Contains("FIFO"));
    }
}
