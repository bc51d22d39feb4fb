using System.Runtime.InteropServices;

namespace FastVideo.Benchmarks;

/// <summary>
/// OpenBLAS through P/Invoke, as the baseline the managed GEMM is measured against (benchmarks only; the engine
/// never calls it). Needs libopenblas.so.0 (Debian/Ubuntu: <c>apt-get install libopenblas-dev</c>).
/// </summary>
internal static unsafe partial class OpenBlas
{
    private const string Lib = "libopenblas.so.0";

    public const int RowMajor = 101, NoTrans = 111, Trans = 112;

    /// <summary>cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc).</summary>
    [LibraryImport(Lib, EntryPoint = "cblas_sgemm")]
    public static partial void Sgemm(int order, int transA, int transB, int M, int N, int K, float alpha,
        float* A, int lda, float* B, int ldb, float beta, float* C, int ldc);

    [LibraryImport(Lib, EntryPoint = "openblas_set_num_threads")]
    public static partial void SetNumThreads(int threads);

    [LibraryImport(Lib, EntryPoint = "openblas_get_num_threads")]
    public static partial int GetNumThreads();

    [LibraryImport(Lib, EntryPoint = "openblas_get_corename")]
    private static partial nint GetCoreNamePtr();

    [LibraryImport(Lib, EntryPoint = "openblas_get_config")]
    private static partial nint GetConfigPtr();

    /// <summary>Whether the library loads on this machine (the benchmarks skip the baseline otherwise).</summary>
    public static bool Available
    {
        get
        {
            try
            {
                return NativeLibrary.TryLoad(Lib, typeof(OpenBlas).Assembly, null, out _);
            }
            catch (DllNotFoundException)
            {
                return false;
            }
        }
    }

    /// <summary>"OpenBLAS 0.3.x ... (core name)": the build and the kernel set it picked for this CPU.</summary>
    public static string Describe() =>
        $"{Marshal.PtrToStringAnsi(GetConfigPtr())} core={Marshal.PtrToStringAnsi(GetCoreNamePtr())} threads={GetNumThreads()}";
}
