using FastVideo.Cli.Generate;
using FastVideo.Pipelines;
using NUnit.Framework;

namespace FastVideo.Tests.Cli;

/// <summary>The per-step progress display (terminal bar and plain lines) and the stage timing table.</summary>
public class ProgressRenderingTests
{
    private static StepProgress Step(int i, int n, double elapsedS, double? remainingS = null) =>
        new(i, n, TimeSpan.FromSeconds(elapsedS), remainingS is null ? null : TimeSpan.FromSeconds(remainingS.Value));

    [Test]
    public void PlainLinesWhenRedirected()
    {
        var o = new StringWriter();
        var bar = new ProgressBar(o, interactive: false);
        bar.Report(Step(1, 4, 2.0, 6.0));
        bar.Report(Step(4, 4, 8.0, 0.0));
        var lines = o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(o.ToString(), Does.Not.Contain("\r"));
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Is.EqualTo("denoising step 1/4  25%  2.0 s/step  elapsed 0:02  ETA 0:06"));
        Assert.That(lines[1], Is.EqualTo("denoising step 4/4 100%  2.0 s/step  elapsed 0:08  done"));
    }

    [Test]
    public void BarRedrawnInPlaceOnATerminal()
    {
        var o = new StringWriter();
        var bar = new ProgressBar(o, interactive: true, width: 10);
        bar.Report(Step(1, 2, 90.0));          // no Remaining given: estimated from the rate
        bar.Log("a message between steps");    // ends the bar line first
        bar.Report(Step(2, 2, 180.0));
        var text = o.ToString();
        var first = "denoising [█████░░░░░] 1/2  50%  90.0 s/step  elapsed 1:30  ETA 1:30";
        var last = "denoising [██████████] 2/2 100%  90.0 s/step  elapsed 3:00  done";
        Assert.That(text, Is.EqualTo("\r" + first + Environment.NewLine + "a message between steps" + Environment.NewLine + "\r" + last + Environment.NewLine));
    }

    [Test]
    public void ShorterRedrawBlanksTheRestOfTheLine()
    {
        var o = new StringWriter();
        var bar = new ProgressBar(o, interactive: true, width: 4);
        bar.Report(Step(1, 3, 7200.0));        // long: h:mm:ss clock
        int firstLength = o.ToString().Length - 1;
        bar.Report(Step(2, 3, 1.0));
        var second = o.ToString()[(firstLength + 1)..];
        Assert.That(second, Does.StartWith("\r"));
        Assert.That(second.Length - 1, Is.EqualTo(firstLength), "padded to the previous length");
        Assert.That(o.ToString(), Does.Contain("elapsed 2:00:00").And.Contain("2.0 steps/s"));
    }

    [Test]
    public void DecodingProgressHasItsOwnLabelAndUnit()
    {
        var o = new StringWriter();
        var bar = new ProgressBar(o, interactive: false);
        bar.Report(new StageProgress("decoding", 1, 5, TimeSpan.FromSeconds(35), "latent frames"));
        bar.Report(new StageProgress("decoding", 5, 5, TimeSpan.FromSeconds(0.625), "latent frames"));
        var lines = o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo("decoding 1/5 latent frames  20%  35.0 s/latent frame  elapsed 0:35  ETA 2:20"));
        Assert.That(lines[1], Is.EqualTo("decoding 5/5 latent frames 100%  8.0 latent frames/s  elapsed 0:01  done"));

        var t = new StringWriter();
        var tty = new ProgressBar(t, interactive: true, width: 10);
        tty.Report(new StageProgress("decoding", 2, 4, TimeSpan.FromSeconds(20), "latent frames"));
        tty.Report(new StageProgress("decoding", 4, 4, TimeSpan.FromSeconds(40), "latent frames"));
        var first = "decoding [█████░░░░░] 2/4 latent frames  50%  10.0 s/latent frame  elapsed 0:20  ETA 0:20";
        var last = "decoding [██████████] 4/4 latent frames 100%  10.0 s/latent frame  elapsed 0:40  done";
        Assert.That(t.ToString(), Is.EqualTo("\r" + first + "\r" + last.PadRight(first.Length) + Environment.NewLine));
    }

    [Test]
    public void Clock()
    {
        Assert.That(ProgressBar.Clock(TimeSpan.FromSeconds(0.4)), Is.EqualTo("0:00"));
        Assert.That(ProgressBar.Clock(TimeSpan.FromSeconds(61)), Is.EqualTo("1:01"));
        Assert.That(ProgressBar.Clock(TimeSpan.FromSeconds(3 * 3600 + 5)), Is.EqualTo("3:00:05"));
        Assert.That(ProgressBar.Clock(TimeSpan.FromSeconds(-3)), Is.EqualTo("0:00"));
    }

    [Test]
    public void TimingTableRowsSharesAndPeak()
    {
        var o = new StringWriter();
        TimingTable.Write(o, [new StageTiming("TextEncoding", TimeSpan.FromSeconds(1), 2048), new StageTiming("Denoising", TimeSpan.FromSeconds(3), 3 << 20)],
            5 << 20, "cpu");
        var lines = o.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(4));
        Assert.That(lines[0], Does.StartWith("stage").And.Contain("time").And.Contain("share").And.Contain("peak memory"));
        Assert.That(lines[1], Does.StartWith("TextEncoding").And.Contain("1.000 s").And.Contain("25.0 %").And.Contain("2.0 KiB"));
        Assert.That(lines[2], Does.StartWith("Denoising").And.Contain("3.000 s").And.Contain("75.0 %").And.Contain("3.0 MiB"));
        Assert.That(lines[3], Does.StartWith("total").And.Contain("4.000 s").And.Contain("5.0 MiB peak on cpu"));
    }
}
