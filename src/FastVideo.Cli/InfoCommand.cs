using System.CommandLine;
using System.Runtime.InteropServices;
using FastVideo.Diagnostics;
using FastVideo.Tensors;

namespace FastVideo.Cli;

/// <summary><c>fastvideo info</c>: engine version, backends, CPU SIMD features, allocator statistics.</summary>
internal static class InfoCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("info", "Print backends, CPU SIMD features and allocator statistics");
        cmd.SetAction(_ =>
        {
            Print(output);
            return CliApp.ExitOk;
        });
        return cmd;
    }

    public static void Print(TextWriter o)
    {
        o.WriteLine($"FastVideo.Native {SystemInfo.EngineVersion}");
        o.WriteLine($"  runtime   .NET {Environment.Version} on {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture})");
        o.WriteLine($"  cpu       {SystemInfo.CpuModel}, {Environment.ProcessorCount} logical processors");
        o.WriteLine($"  simd      {string.Join(", ", SystemInfo.SimdFeatures())}");
        o.WriteLine("backends");
        foreach (var b in SystemInfo.Backends())
            o.WriteLine($"  {b.Name,-6}  {(b.Available ? "available" : "unavailable"),-11}  {b.Detail}");
        o.WriteLine("allocators");
        o.WriteLine($"  cpu     {SystemInfo.FormatStats(CpuAllocator.Shared.Stats)}");
    }
}
