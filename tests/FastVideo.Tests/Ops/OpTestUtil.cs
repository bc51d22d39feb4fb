using FastVideo.Backends.Cpu;
using FastVideo.Tensors;
using FastVideo.Tests.Support;

namespace FastVideo.Tests.Ops;

/// <summary>Small helpers shared by the op tests: random host tensors and their double views.</summary>
internal static class OpTestUtil
{
    /// <summary>The backend under test: all cores, so that the parallel paths run.</summary>
    public static CpuBackend Cpu { get; } = new() { Threads = Math.Max(2, Environment.ProcessorCount) };

    public static int Numel(int[] shape) => (int)Parity.DoubleReference.Numel(shape);

    public static (Tensor T, float[] V) Normal(int seed, params int[] shape)
    {
        var v = Numerics.RandomNormal(Numel(shape), seed);
        return (Tensor.FromHost<float>(v, shape), v);
    }

    public static (Tensor T, float[] V) Uniform(int seed, float lo, float hi, params int[] shape)
    {
        var v = Numerics.RandomUniform(Numel(shape), seed, lo, hi);
        return (Tensor.FromHost<float>(v, shape), v);
    }

    public static double[] D(float[] v) => v.Select(x => (double)x).ToArray();

    public static string S(int[] shape) => "[" + string.Join("x", shape) + "]";
}
