using FastVideo.Cuda;
using FastVideo.Tests.Parity;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda.Gpu;

/// <summary>The backend parity suite (every <see cref="ParityCases"/> row) with the CUDA backend as the candidate, in exact mode.</summary>
[Category("Gpu")]
[NonParallelizable]
public class CudaBackendParityTests
{
    public static IEnumerable<TestCaseData> Cuda() => BackendParityTests.Rows("cuda");

    [TestCaseSource(nameof(Cuda))]
    public void CudaVsCpu(ParityCase c)
    {
        GpuTestSupport.RequireDevice();
        BackendParityTests.Check(() => GpuTestSupport.Backend(mixed: false), c);
    }
}
