using System.Runtime.InteropServices;
using System.Text;

namespace FastVideo.Interop;

/// <summary>What NVRTC produced: a CUBIN for one exact architecture, or PTX the driver compiles at load.</summary>
public sealed record NvrtcOutput(byte[] Image, bool IsCubin, string Log);

/// <summary>
/// The CUDA run-time compiler: turns CUDA C++ source into a CUBIN (for an exact <c>sm_XY</c>) or PTX (for a
/// <c>compute_XY</c> virtual architecture). Used when no prebuilt fatbin has code for the device.
/// </summary>
public static unsafe class Nvrtc
{
    /// <summary>NVRTC's version, or false with the reason when the library is not loadable.</summary>
    public static bool TryGetVersion(out int major, out int minor, out string reason)
    {
        major = minor = 0;
        try
        {
            if (CudaLibraries.Load(CudaLibrary.Nvrtc, out _) == 0)
            {
                reason = $"NVRTC not found ({string.Join(", ", CudaLibraries.Candidates(CudaLibrary.Nvrtc))})";
                return false;
            }
            int a, b;
            int r = NvrtcNative.nvrtcVersion(&a, &b);
            if (r != 0)
            {
                reason = $"nvrtcVersion failed: {CudaErrors.NvrtcName(r)}";
                return false;
            }
            (major, minor, reason) = (a, b, "");
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"NVRTC unusable: {e.Message}";
            return false;
        }
    }

    /// <summary>The real architectures this NVRTC can target, as compute capabilities (e.g. 80, 86, 90).</summary>
    public static int[] SupportedArchitectures()
    {
        int n;
        Check(NvrtcNative.nvrtcGetNumSupportedArchs(&n), "nvrtcGetNumSupportedArchs");
        var archs = new int[n];
        fixed (int* p = archs) Check(NvrtcNative.nvrtcGetSupportedArchs(p), "nvrtcGetSupportedArchs");
        return archs;
    }

    /// <summary>
    /// Compiles <paramref name="source"/> with <paramref name="options"/> (e.g. <c>--gpu-architecture=sm_90</c>,
    /// <c>-std=c++17</c>). <paramref name="headers"/> are served to <c>#include "name"</c> without touching the file
    /// system. With <paramref name="cubin"/> the result is the CUBIN (the architecture must be a real sm_XY),
    /// otherwise PTX. A failed compilation throws <see cref="CudaException"/> (NVRTC_ERROR_COMPILATION) whose
    /// message ends with the compiler log.
    /// </summary>
    public static NvrtcOutput Compile(string source, string name, IReadOnlyList<(string Name, string Source)> headers,
        IReadOnlyList<string> options, bool cubin)
    {
        var allocations = new List<nint>();
        nint Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            allocations.Add(p);
            return p;
        }
        nint program = 0;
        try
        {
            var headerSources = new byte*[Math.Max(1, headers.Count)];
            var headerNames = new byte*[Math.Max(1, headers.Count)];
            for (int i = 0; i < headers.Count; i++)
            {
                headerSources[i] = (byte*)Utf8(headers[i].Source);
                headerNames[i] = (byte*)Utf8(headers[i].Name);
            }
            var opts = new byte*[Math.Max(1, options.Count)];
            for (int i = 0; i < options.Count; i++) opts[i] = (byte*)Utf8(options[i]);

            fixed (byte** hs = headerSources)
            fixed (byte** hn = headerNames)
            fixed (byte** op = opts)
            {
                Check(NvrtcNative.nvrtcCreateProgram(&program, (byte*)Utf8(source), (byte*)Utf8(name), headers.Count, hs, hn),
                    "nvrtcCreateProgram", name);
                int r = NvrtcNative.nvrtcCompileProgram(program, options.Count, op);
                string log = Log(program);
                if (r != 0)
                    throw CudaException.Nvrtc("nvrtcCompileProgram", r,
                        $"{name} with [{string.Join(" ", options)}]\n{(log.Length > 8000 ? log[..8000] + "\n..." : log)}");
                nuint size;
                byte[] image;
                if (cubin)
                {
                    Check(NvrtcNative.nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize", name);
                    image = new byte[(int)size];
                    fixed (byte* p = image) Check(NvrtcNative.nvrtcGetCUBIN(program, p), "nvrtcGetCUBIN", name);
                }
                else
                {
                    Check(NvrtcNative.nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize", name);
                    image = new byte[(int)size];
                    fixed (byte* p = image) Check(NvrtcNative.nvrtcGetPTX(program, p), "nvrtcGetPTX", name);
                }
                return new NvrtcOutput(image, cubin, log);
            }
        }
        finally
        {
            if (program != 0) NvrtcNative.nvrtcDestroyProgram(&program);
            foreach (var p in allocations) Marshal.FreeCoTaskMem(p);
        }
    }

    private static string Log(nint program)
    {
        nuint size;
        if (NvrtcNative.nvrtcGetProgramLogSize(program, &size) != 0 || size <= 1) return "";
        var buf = new byte[(int)size];
        fixed (byte* p = buf)
            if (NvrtcNative.nvrtcGetProgramLog(program, p) != 0) return "";
        return Encoding.UTF8.GetString(buf, 0, buf.Length - 1).Trim();
    }

    private static void Check(int r, string call, string? context = null)
    {
        if (r != 0) throw CudaException.Nvrtc(call, r, context);
    }
}
