using System.Globalization;
using FastVideo.Pipelines;

namespace FastVideo.Cli.Generate;

/// <summary>
/// Renders one report per denoising step (and per decoded latent frame, see <see cref="StageProgress"/>). On a terminal the bar is redrawn in place with <c>\r</c>
/// (<c>denoising [██████░░░░] 3/6  50%  1.2 s/step  elapsed 0:03  ETA 0:04</c>); when the output is redirected
/// (a file, a pipe, a CI log) each step is one plain line, so logs stay readable. Reports arrive on the
/// denoising thread, synchronously (unlike <see cref="Progress{T}"/>, which would post them elsewhere and late).
/// </summary>
internal sealed class ProgressBar(TextWriter output, bool interactive, int width = 24) : IProgress<StepProgress>, IProgress<StageProgress>
{
    private int _drawn; // characters of the bar line on screen (interactive only)

    public bool Interactive => interactive;

    public void Report(StepProgress p) => Draw(Format(p, interactive, width), p.Step >= p.TotalSteps);

    /// <summary>A long stage besides denoising (VAE decoding, per latent frame): same bar, its own label and unit.</summary>
    public void Report(StageProgress p) => Draw(Format(p, interactive, width), p.Done >= p.Total);

    private void Draw(string line, bool last)
    {
        if (interactive)
        {
            output.Write('\r' + line.PadRight(_drawn));
            _drawn = line.Length;
            if (last) EndLine();
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
    public static string Format(StepProgress p, bool bar, int width = 24) =>
        Format("denoising", "step", "steps", p.Step, p.TotalSteps, p.Elapsed, p.Remaining, bar, width);

    /// <summary>A stage report as text: <c>decoding [███░░] 2/5 latent frames …</c>, or <c>decoding 2/5 latent frames …</c>.</summary>
    public static string Format(StageProgress p, bool bar, int width = 24) =>
        Format(p.Stage, null, p.Unit, p.Done, p.Total, p.Elapsed, null, bar, width);

    private static string Format(string label, string? singular, string plural, int done, int count, TimeSpan elapsed, TimeSpan? remaining, bool bar, int width)
    {
        int total = Math.Max(1, count), step = Math.Clamp(done, 0, total);
        double fraction = (double)step / total;
        var perStep = step > 0 ? elapsed.TotalSeconds / step : 0;
        var eta = remaining ?? (step > 0 ? TimeSpan.FromSeconds(perStep * (total - step)) : null);
        string counter = singular is null ? $"{step}/{total} {plural}" : $"{step}/{total}";
        var head = bar
            ? $"{label} [{new string('█', (int)Math.Round(fraction * width))}{new string('░', width - (int)Math.Round(fraction * width))}] {counter}"
            : singular is null ? $"{label} {counter}" : $"{label} {singular} {counter}";
        // "latent frames" → "s/latent frame"; the step counter names its unit in the label instead.
        string one = singular ?? (plural.EndsWith('s') ? plural[..^1] : plural);
        var rate = perStep >= 1 || perStep == 0
            ? $"{perStep.ToString("F1", CultureInfo.InvariantCulture)} s/{one}"
            : $"{(1 / perStep).ToString("F1", CultureInfo.InvariantCulture)} {plural}/s";
        var etaText = step >= total ? "done" : eta is { } e ? $"ETA {Clock(e)}" : "ETA --:--";
        return $"{head} {((int)Math.Round(fraction * 100)).ToString(CultureInfo.InvariantCulture),3}%  {rate}  elapsed {Clock(elapsed)}  {etaText}";
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
