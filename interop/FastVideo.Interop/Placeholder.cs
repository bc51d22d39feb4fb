namespace FastVideo.Interop;

/// <summary>CUDA driver, NVRTC and cuBLASLt bindings live here (issue: CUDA backend).</summary>
public static class InteropInfo
{
    public const string Description = "P/Invoke over libcuda, NVRTC and cuBLASLt";
}
