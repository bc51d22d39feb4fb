using FastVideo.Loading;
using NUnit.Framework;

namespace FastVideo.Tests.Loading;

public class ConfigFileTests
{
    private const string Path_ = "/models/x/config.json";

    private static ConfigFile Cfg() => ConfigFile.Parse("""
        {
          "n": 3, "big": 5000000000, "f": 2.5, "e": 1e-06, "whole": 2.0, "s": "hi", "t": true, "nul": null,
          "ints": [1, 2, 3], "floats": [0.5, 1, -2e3], "strs": ["a", "b"], "bools": [true, false],
          "mixed": [1, "x"], "empty": [],
          "dup": 1, "dup": 2
        }
        """, Path_);

    [Test]
    public void TypedGettersReadValues()
    {
        var c = Cfg();
        Assert.That(c.GetInt("n"), Is.EqualTo(3));
        Assert.That(c.GetLong("big"), Is.EqualTo(5_000_000_000L));
        Assert.That(c.GetFloat("f"), Is.EqualTo(2.5f));
        Assert.That(c.GetFloat("n"), Is.EqualTo(3f), "an integer is a valid float");
        Assert.That(c.GetDouble("e"), Is.EqualTo(1e-6));
        Assert.That(c.GetString("s"), Is.EqualTo("hi"));
        Assert.That(c.GetBool("t"), Is.True);
        Assert.That(c.GetIntArray("ints"), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(c.GetFloatArray("floats"), Is.EqualTo(new[] { 0.5f, 1f, -2000f }));
        Assert.That(c.GetStringArray("strs"), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(c.GetBoolArray("bools"), Is.EqualTo(new[] { true, false }));
        Assert.That(c.GetIntArray("empty"), Is.Empty);
        Assert.That(c.GetInt("dup"), Is.EqualTo(2), "last duplicate wins, as in Python's json");
        Assert.That(c.Keys.Count(k => k == "dup"), Is.EqualTo(1));
    }

    [Test]
    public void MissingAndNullUseDefaultsOrTryGetFalse()
    {
        var c = Cfg();
        Assert.That(c.GetInt("absent", 7), Is.EqualTo(7));
        Assert.That(c.GetInt("nul", 7), Is.EqualTo(7));
        Assert.That(c.GetFloat("nul", 0.5f), Is.EqualTo(0.5f));
        Assert.That(c.GetBool("absent", true), Is.True);
        Assert.That(c.GetString("absent", "d"), Is.EqualTo("d"));
        Assert.That(c.GetIntArray("absent", [9]), Is.EqualTo(new[] { 9 }));
        Assert.That(c.GetIntOrNull("nul"), Is.Null);
        Assert.That(c.GetFloatOrNull("absent"), Is.Null);
        Assert.That(c.GetStringOrNull("nul"), Is.Null);
        Assert.That(c.TryGetInt("nul", out _), Is.False);
        Assert.That(c.TryGetFloat("absent", out _), Is.False);
        Assert.That(c.TryGetInt("n", out var n) && n == 3);
        Assert.That(c.Has("nul"), Is.True);
        Assert.That(c.IsNullOrMissing("nul") && c.IsNullOrMissing("absent") && !c.IsNullOrMissing("n"));
    }

    public static IEnumerable<TestCaseData> WrongTypes()
    {
        TestCaseData C(string name, TestDelegate call, string key, string expect) => new TestCaseData(call, key, expect).SetName(name);
        var c = Cfg();
        yield return C("int from string", () => c.GetInt("s"), "s", "expected an integer, got \"hi\"");
        yield return C("int from float", () => c.GetInt("f"), "f", "expected an integer, got 2.5");
        yield return C("int from 2.0", () => c.GetInt("whole"), "whole", "expected an integer, got 2.0");
        yield return C("int out of range", () => c.GetInt("big"), "big", "32-bit");
        yield return C("int with default, wrong type", () => c.GetInt("s", 1), "s", "expected an integer");
        yield return C("TryGetInt wrong type", () => c.TryGetInt("t", out _), "t", "expected an integer");
        yield return C("float from string", () => c.GetFloat("s"), "s", "expected a number");
        yield return C("float from bool with default", () => c.GetFloat("t", 1f), "t", "expected a number");
        yield return C("bool from int", () => c.GetBool("n"), "n", "expected a boolean");
        yield return C("string from int", () => c.GetString("n"), "n", "expected a string, got 3");
        yield return C("int array from scalar", () => c.GetIntArray("n"), "n", "expected an array");
        yield return C("int array with string element", () => c.GetIntArray("mixed"), "mixed", "element 1: expected an integer, got \"x\"");
        yield return C("float array with string element", () => c.GetFloatArray("strs"), "strs", "element 0: expected a number");
        yield return C("string array with int element", () => c.GetStringArray("ints"), "ints", "element 0: expected a string");
        yield return C("required missing", () => c.GetInt("absent"), "absent", "is missing");
        yield return C("required null", () => c.GetFloat("nul"), "nul", "is null");
        yield return C("required string missing", () => c.GetString("absent"), "absent", "is missing");
        yield return C("raw Get missing", () => c.Get("absent"), "absent", "is missing");
    }

    [TestCaseSource(nameof(WrongTypes))]
    public void WrongTypeErrorsNameFileAndKey(TestDelegate call, string key, string expect)
    {
        var ex = Assert.Throws<ConfigException>(call)!;
        Assert.That(ex.FilePath, Is.EqualTo(Path_));
        Assert.That(ex.Key, Is.EqualTo(key));
        Assert.That(ex.Message, Does.StartWith($"{Path_}: key '{key}': "));
        Assert.That(ex.Message, Does.Contain(expect));
    }

    [Test]
    public void InvalidFilesNameTheFile()
    {
        var bad = Assert.Throws<ConfigException>(() => ConfigFile.Parse("{\"a\": }", Path_))!;
        Assert.That(bad.Message, Does.StartWith(Path_).And.Contain("not valid JSON"));
        var arr = Assert.Throws<ConfigException>(() => ConfigFile.Parse("[1]", Path_))!;
        Assert.That(arr.Message, Does.Contain("must be a JSON object"));
        // Python's json writes NaN for float('nan'); it is not JSON, so it is reported, not guessed.
        Assert.Throws<ConfigException>(() => ConfigFile.Parse("{\"a\": NaN}", Path_));
        Assert.Throws<FileNotFoundException>(() => ConfigFile.Load("/nonexistent/config.json"));
        // Comments and trailing commas (hand-edited configs) are tolerated.
        Assert.That(ConfigFile.Parse("{\"a\": 1, // note\n}", Path_).GetInt("a"), Is.EqualTo(1));
    }

    [Test]
    public void ClassNameFromEitherLibrary()
    {
        Assert.That(ConfigFile.Parse("{\"_class_name\": \"AutoencoderKLWan\"}", Path_).ClassName, Is.EqualTo("AutoencoderKLWan"));
        Assert.That(ConfigFile.Parse("{\"architectures\": [\"UMT5EncoderModel\"]}", Path_).ClassName, Is.EqualTo("UMT5EncoderModel"));
        Assert.That(ConfigFile.Parse("{\"d_model\": 3}", Path_).ClassName, Is.Null);
    }
}
