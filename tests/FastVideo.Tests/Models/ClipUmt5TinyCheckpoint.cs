using System.Text.Json;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Tests.Models;

/// <summary>
/// A transformers model folder written by a test: <c>config.json</c> plus <c>model.safetensors</c> of seeded random F32
/// parameters, kept as double arrays for the test's naive reference. Deleted on dispose.
/// </summary>
internal sealed class TinyCheckpoint : IDisposable
{
    private readonly Dictionary<string, (double[] Data, int[] Shape)> _params = new(StringComparer.Ordinal);
    private readonly Random _rng;

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), $"fv-tiny-{Guid.NewGuid():N}");

    public TinyCheckpoint(int seed)
    {
        _rng = new Random(seed);
        Directory.CreateDirectory(Folder);
    }

    /// <summary>Approximately N(0, std²) (sum of uniforms), rounded to float32 so the reference sees the stored values.</summary>
    public double[] Add(string name, double mean, double std, params int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var data = new double[n];
        for (int i = 0; i < n; i++)
        {
            double u = 0;
            for (int k = 0; k < 12; k++) u += _rng.NextDouble();
            data[i] = (float)(mean + std * (u - 6));
        }
        _params[name] = (data, shape);
        return data;
    }

    /// <summary>A Linear/Conv weight N(0, 1/fan_in), fan_in = the product of all but the first dimension.</summary>
    public double[] Weight(string name, params int[] shape) => Add(name, 0, 1 / Math.Sqrt(shape.Skip(1).Aggregate(1, (a, b) => a * b)), shape);

    public double[] this[string name] => _params[name].Data;

    /// <summary>Writes config.json (<paramref name="config"/> serialised as is) and model.safetensors.</summary>
    public string Save(IReadOnlyDictionary<string, object?> config)
    {
        File.WriteAllText(Path.Combine(Folder, "config.json"), JsonSerializer.Serialize(config));
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, (data, shape)) in _params)
                tensors[name] = Tensor.FromHost<float>(data.Select(v => (float)v).ToArray(), shape);
            SafetensorsWriter.Save(Path.Combine(Folder, "model.safetensors"), tensors);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        return Folder;
    }

    /// <summary>A lone config file in the temp folder (the caller deletes it), for config-validation tests.</summary>
    public static string WriteConfig(Dictionary<string, object?> json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fv-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(json));
        return path;
    }

    /// <summary>Float32-rounded N(0, 1) values, for inputs.</summary>
    public double[] Normal(int n)
    {
        var data = new double[n];
        for (int i = 0; i < n; i++)
        {
            double u = 0;
            for (int k = 0; k < 12; k++) u += _rng.NextDouble();
            data[i] = (float)(u - 6);
        }
        return data;
    }

    public int NextInt(int max) => _rng.Next(max);

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
