using FastVideo.Models.Tokenizers;
using NUnit.Framework;

namespace FastVideo.Tests.Tokenizers;

/// <summary>
/// WanPipeline's prompt cleaning. The html.unescape and whitespace expectations below were produced with
/// CPython 3.11 (<c>html.unescape</c>, <c>re.sub(r"\s+", " ", s).strip()</c>); the ftfy ones are ftfy's documented
/// behaviour for the fixes implemented here.
/// </summary>
public class PromptCleanerTests
{
    [TestCase("a &amp; b", "a & b")]
    [TestCase("&amp;amp;", "&amp;")]
    [TestCase("&lt;tag&gt;", "<tag>")]
    [TestCase("&ampx", "&x")]
    [TestCase("&notit;", "\u00ACit;")]
    [TestCase("&notin;", "\u2209")]
    [TestCase("caf&eacute", "caf\u00E9")]
    [TestCase("&#233;&#xE9;&#XE9", "\u00E9\u00E9\u00E9")]
    [TestCase("&#128;&#x81;&#0;&#13;", "\u20AC\u0081\uFFFD\r")]
    [TestCase("&#1;x&#xD800;&#1114112;&#99999999999;", "x\uFFFD\uFFFD\uFFFD")]
    [TestCase("&#65", "A")]
    [TestCase("&#;&#x;&", "&#;&#x;&")]
    [TestCase("&unknownentity;", "&unknownentity;")]
    [TestCase("& spaced", "& spaced")]
    [TestCase("&Aacute;&aacute", "\u00C1\u00E1")]
    [TestCase("&NotEqualTilde;", "\u2242\u0338")]
    public void HtmlUnescapeMatchesPython(string input, string expected) =>
        Assert.That(HtmlEntities.Unescape(input), Is.EqualTo(expected));

    [TestCase("  a\t\tb\n\nc  ", "a b c")]
    [TestCase("x\u001Cy\u3000z\u00A0w\u200Bv", "x y z w\u200Bv")]
    public void WhitespaceFollowsPythonDefinition(string input, string expected) =>
        Assert.That(PythonText.Strip(PythonText.CollapseWhitespace(input)), Is.EqualTo(expected));

    [TestCase("&amp;lt;b&amp;gt;", "<b>")]
    [TestCase("A cat walks on the grass, realistic style.", "A cat walks on the grass, realistic style.")]
    [TestCase("  leading\tand\n\ntrailing  ", "leading and trailing")]
    [TestCase("\uFF2C\uFF2F\uFF35\uFF24\u3000\uFF2E\uFF2F\uFF29\uFF33\uFF25\uFF33", "LOUD NOISES")]
    [TestCase("here\u2019s a \u201Ctest\u201D", "here's a \"test\"")]
    [TestCase("\uFB02u\uFB03est", "fluffiest")]
    [TestCase(" \u2028 lines \u0085 ", "lines \u2026")]
    [TestCase("bell\u0007 and bom\uFEFF", "bell and bom")]
    [TestCase("\u001B[31mred\u001B[0m", "red")]
    [TestCase("", "")]
    public void CleanAppliesFtfySubsetThenUnescapeAndWhitespace(string input, string expected) =>
        Assert.That(PromptCleaner.Clean(input), Is.EqualTo(expected));

    [Test]
    public void HtmlIsLeftAloneByFtfyStepOnceTextLooksLikeMarkup()
    {
        // ftfy's unescape_html="auto" skips text containing '<'; diffusers' two html.unescape calls still decode.
        Assert.That(PromptCleaner.FixText("<b>&amp;amp;</b>"), Is.EqualTo("<b>&amp;amp;</b>"));
        Assert.That(PromptCleaner.FixText("&amp;amp;"), Is.EqualTo("&"), "ftfy repeats its fixes until nothing changes");
        Assert.That(PromptCleaner.Clean("<b>&amp;amp;</b>"), Is.EqualTo("<b>&</b>"));
    }
}
