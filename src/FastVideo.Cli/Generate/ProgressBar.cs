using System.Globalization;
using FastVideo.Pipelines;

namespace FastVideo.Cli.Generate;

/// <summary>
/// Renders one report per denoising step. On a terminal the bar is redrawn in place with <c>\r</c>
/// (<c>denoising [██████░░░░] 3/6  50%  1.2 s/step  elapsed 0:03  ETA 0:04</c>); when the output is redirected
/// (a file, a pipe, a CI log) each step is one plain line, so logs stay readable. Reports arrive on the
/// denoising thread, synchronously (unlike <see cref="Progress{T}"/>, which would post them elsewhere and late).
/// </summary>
internal sealed class ProgressBar(TextWriter output, bool interactive, int width = 24) : IProgress<StepProgress>
{
    private int _drawn; // characters of the bar line on screen (interactive only)

    public bool Interactive => interactive;

    public void Report(StepProgress p)
    {
        var line = Format(p, interactive, width);
        if (interactive)
        {
            output.Write('\r' + line.PadRight(_drawn));
            _drawn = line.Length;
            if (p.Step >= p.TotalSteps) EndLine();
        }
        else
        {
            output.WriteLine(line);
        }
        output.Flush();
    }

    /// <summary>A message between reports: on a terminal the bar line is ended first so the text does not overwrite it.</summary>
    public void Log(string message)
    {
        EndLine();
        output.WriteLine(message);
    }

    /// <summary>Ends an unfinished bar line (a cancellation or an error mid-loop).</summary>
    public void EndLine()
    {
        if (_drawn == 0) return;
        output.WriteLine();
        _drawn = 0;
    }

    /// <summary>One report as text: the bar on a terminal, "step i/n" otherwise; the rest is the same.</summary>
    public static string Format(StepProgress p, bool bar, int width = 24)
    {
        int total = Math.Max(1, p.TotalSteps), step = Math.Clamp(p.Step, 0, total);
        double fraction = (double)step / total;
        var perStep = step > 0 ? p.Elapsed.TotalSeconds / step : 0;
        var eta = p.Remaining ?? (step > 0 ? TimeSpan.FromSeconds(perStep * (total - step)) : null);
        var head = bar
            ? $"denoising [{new string('█', (int)Math.Round(fraction * width))}{new string('░', width - (int)Math.Round(fraction * width))}] {step}/{total}"
            : $"denoising step {step}/{total}";
        var rate = perStep >= 1 || perStep == 0
            ? $"{perStep.ToString("F1", CultureInfo.InvariantCulture)} s/step"
            : $"{(1 / perStep).ToString("F1", CultureInfo.InvariantCulture)} steps/s";
        var etaText = step >= total ? "done" : eta is { } e ? $"ETA {Clock(e)}" : "ETA --:--";
        return $"{head} {((int)Math.Round(fraction * 100)).ToString(CultureInfo.InvariantCulture),3}%  {rate}  elapsed {Clock(p.Elapsed)}  {etaText}";
    }

    /// <summary>m:ss, or h:mm:ss from an hour up.</summary>
    public static string Clock(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        long s = (long)Math.Round(t.TotalSeconds);
        return s >= 3600
            ? $"{s / 3600}:{s / 60 % 60:D2}:{s % 60:D2}"
            : $"{s / 60}:{s % 60:D2}";
    }
}
