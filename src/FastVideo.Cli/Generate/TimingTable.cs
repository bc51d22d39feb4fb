using System.Globalization;
using FastVideo.Diagnostics;
using FastVideo.Pipelines;

namespace FastVideo.Cli.Generate;

/// <summary>
/// The table printed after a generation: one row per stage (time, share of the total, allocator peak during the
/// stage), then the total and the run's peak memory.
/// <code>
/// stage               time   share  peak memory
/// TextEncoding      0.12 s    9.8 %    1.2 MiB
/// ...
/// total             1.23 s            12.3 MiB peak on cpu
/// </code>
/// </summary>
internal static class TimingTable
{
    public static void Write(TextWriter o, IReadOnlyList<StageTiming> timings, long peakBytes, string device)
    {
        var total = timings.Aggregate(TimeSpan.Zero, (a, t) => a + t.Elapsed);
        int nameWidth = Math.Max(12, timings.Count == 0 ? 0 : timings.Max(t => t.Stage.Length));
        o.WriteLine($"{"stage".PadRight(nameWidth)}  {"time",10}  {"share",7}  peak memory");
        foreach (var t in timings)
        {
            double share = total > TimeSpan.Zero ? 100 * t.Elapsed.TotalSeconds / total.TotalSeconds : 0;
            o.WriteLine($"{t.Stage.PadRight(nameWidth)}  {Seconds(t.Elapsed),10}  {share.ToString("F1", CultureInfo.InvariantCulture),5} %  {SystemInfo.FormatBytes(t.PeakBytesDuring)}");
        }
        o.WriteLine($"{"total".PadRight(nameWidth)}  {Seconds(total),10}  {"",7}  {SystemInfo.FormatBytes(peakBytes)} peak on {device}");
    }

    /// <summary>Seconds with three significant decimals below 10 s, one above ("0.123 s", "12.3 s").</summary>
    public static string Seconds(TimeSpan t)
    {
        double s = t.TotalSeconds;
        return (s < 10 ? s.ToString("F3", CultureInfo.InvariantCulture) : s.ToString("F1", CultureInfo.InvariantCulture)) + " s";
    }
}
