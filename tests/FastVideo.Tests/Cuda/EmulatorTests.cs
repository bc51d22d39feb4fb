using System.Diagnostics;
using FastVideo.Cli;
using FastVideo.Cuda.Diagnostics;
using FastVideo.Interop;
using FastVideo.Tests.Cli;
using FastVideo.Tests.Loading;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>
/// <c>$FASTVIDEO_CUDA_EMULATOR</c> (the CPU stand-ins for libcuda.so.1 and libcublasLt.so): taken only from that folder,
/// never by accident without the variable; a folder without them is a clear error; the emulated device is named as
/// such. No device needed: the variable is tried in child processes of the built CLI.
/// </summary>
public class EmulatorTests
{
    [Test]
    public void WithTheEmulatorFolderTheDriverAndCublasLtAreTakenOnlyFromIt()
    {
        const string emu = "/opt/emu";
        Assert.That(CudaLibraries.ProbeOrder(CudaLibrary.Driver, ["libcuda.so.1", "libcuda.so"], ["/usr/local/cuda/lib64"], emu),
            Is.EqualTo(new[] { "/opt/emu/libcuda.so.1", "/opt/emu/libcuda.so" }));
        Assert.That(CudaLibraries.ProbeOrder(CudaLibrary.CublasLt, ["libcublasLt.so.13", "libcublasLt.so.12"], ["/usr/local/cuda/lib64"], emu),
            Is.EqualTo(new[] { "/opt/emu/libcublasLt.so.13", "/opt/emu/libcublasLt.so.12" }), "no loader path, no toolkit folder");
        Assert.That(CudaLibraries.ProbeOrder(CudaLibrary.Nvrtc, ["libnvrtc.so.13"], ["/cuda/lib64"], emu),
            Is.EqualTo(new[] { "libnvrtc.so.13", "/cuda/lib64/libnvrtc.so.13" }), "NVRTC stays the system's");
        Assert.That(CudaLibraries.ProbeOrder(CudaLibrary.Driver, ["libcuda.so.1"], [], null), Is.EqualTo(new[] { "libcuda.so.1" }),
            "without the variable: the loader path, as before");
    }

    [Test]
    public void TheFolderComesOnlyFromTheVariable()
    {
        Assert.That(CudaLibraries.EmulatorFolderFrom(_ => null), Is.Null);
        Assert.That(CudaLibraries.EmulatorFolderFrom(_ => "  "), Is.Null);
        Assert.That(CudaLibraries.EmulatorFolderFrom(k => k == "FASTVIDEO_CUDA_EMULATOR" ? "/x/emu" : null), Is.EqualTo("/x/emu"));
        Assert.That(CudaLibraries.EmulatorFolderFrom(k => k == "FASTVIDEO_CUDA_EMULATOR" ? "rel" : null), Is.EqualTo(Path.GetFullPath("rel")));
    }

    [Test]
    public void AMissingLibraryNamesTheVariableAndTheFolder()
    {
        using var dir = new TempDir();
        string why = CudaLibraries.NotFoundReason(CudaLibrary.Driver, dir.Path, null);
        Assert.That(why, Does.StartWith($"FASTVIDEO_CUDA_EMULATOR={dir.Path}: no libcuda.so.1 in that folder"));
        Assert.That(CudaLibraries.NotFoundReason(CudaLibrary.CublasLt, dir.Path, null), Does.Contain("no libcublasLt.so* in that folder"));
        Assert.That(CudaLibraries.NotFoundReason(CudaLibrary.Driver, "/no/such/emu", null), Does.Contain("/no/such/emu: that folder does not exist"));
        Assert.That(CudaLibraries.NotFoundReason(CudaLibrary.Driver, null, null), Is.EqualTo("no CUDA driver library (libcuda.so.1, libcuda.so not found)"),
            "without the variable: the reason as before");
    }

    [Test]
    public void TheEmulatedDeviceIsNamedAsSuch()
    {
        Assert.That(CudaDeviceInfo.Describe(0, "FastVideo CPU emulator (sm_80)", "sm_80", emulated: true),
            Is.EqualTo("cuda:0 FastVideo CPU emulator (sm_80) — emulated device, not a GPU"));
        Assert.That(CudaDeviceInfo.Describe(1, "NVIDIA H100 80GB HBM3", "sm_90", emulated: false), Is.EqualTo("cuda:1 NVIDIA H100 80GB HBM3 (sm_90)"));
        Assert.That(CudaDeviceInfo.NameSaysEmulator("FastVideo CPU emulator (sm_80)"));
        Assert.That(CudaDeviceInfo.NameSaysEmulator("NVIDIA A100-SXM4-80GB"), Is.False);
    }

    [Test]
    public void QuickSelftestLeavesOutTheWanSizedCasesOnly()
    {
        var all = SelfTestCases.All;
        var quick = SelftestCommand.Select(all, null, quick: true);
        Assert.That(quick, Is.Not.Empty);
        Assert.That(quick.Count, Is.LessThan(all.Count));
        Assert.That(quick.Any(c => c.IsWanSized), Is.False);
        Assert.That(all.Where(c => c.IsWanSized).Select(c => c.Name), Has.Some.Contains("1560x1536"), "the Wan-sized cases are the 1.3B shapes");
        Assert.That(quick.Select(c => c.Op).Distinct().Count(), Is.EqualTo(all.Select(c => c.Op).Distinct().Count()), "every op keeps a small case");
        Assert.That(SelftestCommand.Select(all, "Softmax", quick: false), Has.All.Matches<SelfTestCase>(c => c.Name.Contains("Softmax")));
    }

    [Test]
    public void OnlyTheFullSequenceAttentionRowsNeedARealGpu()
    {
        var hardware = SelfTestCases.All.Where(c => c.NeedsRealGpu).ToList();
        Assert.That(hardware, Has.All.Matches<SelfTestCase>(c => c.Op == FastVideo.Backends.Op.Attention && c.IsWanSized));
        Assert.That(hardware.Select(c => c.Name), Has.All.Contains("1560"));
        Assert.That(hardware.Count, Is.LessThanOrEqualTo(SelfTestCases.All.Count / 10), "at least 90 % of the rows run on the emulator");
    }

    [Test]
    public void InfoWithoutTheVariableIsUnchangedAndWithAnEmptyFolderNamesIt()
    {
        using var dir = new TempDir();
        var without = RunCli(null, "info");
        Assert.That(without.ExitCode, Is.Zero, without.ToString());
        Assert.That(without.Stdout, Does.Not.Contain("FASTVIDEO_CUDA_EMULATOR").And.Not.Contain("emulated"));
        if (!CudaDriver.TryInitialize(out _))
            Assert.That(CudaLine(without.Stdout), Does.Contain("unavailable"), "no CUDA device, reported cleanly");

        var with = RunCli(dir.Path, "info");
        Assert.That(with.ExitCode, Is.Zero, with.ToString());
        Assert.That(CudaLine(with.Stdout), Does.Contain("unavailable").And.Contain($"FASTVIDEO_CUDA_EMULATOR={dir.Path}: no libcuda.so.1 in that folder"),
            "never the system's driver in its place");
    }

    [Test]
    public void SelftestWithAnEmulatorFolderWithoutTheLibrariesExits3NamingIt()
    {
        using var dir = new TempDir();
        var run = RunCli(dir.Path, "selftest", "--device", "cuda", "--quick");
        CliTestSupport.AssertError(run, CudaCliOptions.ExitNoDevice, "no CUDA device", $"FASTVIDEO_CUDA_EMULATOR={dir.Path}: no libcuda.so.1");
        Assert.That(run.Stdout, Is.Empty);
    }

    [Test]
    public void AFileThatIsNotALibraryIsAnErrorNotAFallBack()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "libcuda.so.1"), "not an ELF file");
        var run = RunCli(dir.Path, "info");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(CudaLine(run.Stdout), Does.Contain("unavailable").And.Contain("libcuda.so.1 is there but does not load"));
    }

    private static string CudaLine(string stdout) =>
        stdout.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("cuda ", StringComparison.Ordinal)) ?? "";

    /// <summary>The built CLI in a child process, with <c>$FASTVIDEO_CUDA_EMULATOR</c> set to <paramref name="emulator"/> (removed when null).</summary>
    internal static CliRun RunCli(string? emulator, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "FastVideo.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove(CudaLibraries.EmulatorVariable);
        if (emulator != null) psi.Environment[CudaLibraries.EmulatorVariable] = emulator;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"fastvideo {string.Join(" ", args)} did not finish in 120 s");
        }
        return new CliRun(p.ExitCode, stdout, err.Result);
    }
}
