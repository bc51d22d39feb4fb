using System.Collections.Concurrent;
using FastVideo.Attention;
using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;

namespace FastVideo.Entrypoints;

public sealed partial class VideoGenerator
{
    private static readonly ConcurrentDictionary<DeviceType, Func<int, Precision, IBackend>> s_backends = new();

    /// <summary>
    /// Makes a device backend available to <see cref="FromPretrained"/> (e.g. FastVideo.Cuda registers its
    /// <c>CudaBackend</c> for <see cref="DeviceType.Cuda"/>); the factory gets the device index. The core library
    /// does not reference device assemblies, so a device is available exactly when its assembly registered it.
    /// </summary>
    public static void RegisterBackend(DeviceType device, Func<int, IBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        RegisterBackend(device, (index, _) => factory(index));
    }

    /// <summary>
    /// As <see cref="RegisterBackend(DeviceType, Func{int, IBackend})"/>, the factory also getting the resolved
    /// precision (<see cref="Precision.Fp32"/> or <see cref="Precision.Bf16"/>) to set the backend up for. The
    /// backend should implement <see cref="IComputePathCounter"/>: <see cref="FromPretrained"/> checks that it
    /// computes in the precision asked for.
    /// </summary>
    public static void RegisterBackend(DeviceType device, Func<int, Precision, IBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (device == DeviceType.Cpu) throw new ArgumentException("the CPU backend is built in", nameof(device));
        s_backends[device] = factory;
    }

    /// <summary>
    /// The precision a request resolves to on a device: Auto is bf16 on a device backend and fp32 on the CPU.
    /// </summary>
    /// <exception cref="NotSupportedException">bf16 on the CPU, which has no bf16 compute path (it computes in fp32).</exception>
    public static Precision ResolvePrecision(Precision requested, DeviceType device)
    {
        if (device == DeviceType.Cpu)
        {
            if (requested == Precision.Bf16) throw new NotSupportedException(CpuBf16Unsupported);
            return Precision.Fp32;
        }
        return requested == Precision.Auto ? Precision.Bf16 : requested;
    }

    /// <summary>Why bf16 cannot run on the CPU.</summary>
    public const string CpuBf16Unsupported =
        "precision bf16 is not supported on the CPU backend: it has no bf16 compute path (it computes in fp32, widening bf16 weights); use precision fp32 or a CUDA device";

    /// <summary>The precision <paramref name="backend"/> computes in; an explicit request it does not serve is an error.</summary>
    private static Precision CheckPrecision(IBackend backend, Precision requested, Precision resolved)
    {
        if (backend is CpuBackend) return Precision.Fp32;
        Precision actual = backend is IComputePathCounter c ? c.ComputePrecision : Precision.Fp32;
        if (actual == resolved || requested == Precision.Auto) return actual;
        string why = backend is IComputePathCounter
            ? $"the {backend.Name} backend was set up to compute in {actual.Name()}"
            : $"the {backend.Name} backend does not report a {resolved.Name()} compute path";
        throw new NotSupportedException($"precision {resolved.Name()} is not supported on device '{backend.Device}': {why}");
    }

    /// <summary>Parses "cpu", "cuda" or "cuda:N".</summary>
    /// <exception cref="ArgumentException">anything else; the message lists the accepted forms.</exception>
    public static Device ParseDevice(string device)
    {
        var d = (device ?? "").Trim().ToLowerInvariant();
        if (d == "cpu") return Device.Cpu;
        if (d == "cuda") return Device.Cuda(0);
        if (d.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(d.AsSpan(5), out int i) && i >= 0) return Device.Cuda(i);
        throw new ArgumentException($"device '{device}' is not recognised; use cpu, cuda or cuda:N", nameof(device));
    }

    /// <summary>A backend for <paramref name="device"/>: a CPU backend with its own allocator (so the result's memory numbers are this generator's), or a registered device backend.</summary>
    /// <exception cref="NotSupportedException">the device's backend is not available in this build.</exception>
    private static IBackend CreateBackend(Device device, Precision precision)
    {
        if (device.Type == DeviceType.Cpu) return new CpuBackend(new CpuAllocator());
        if (s_backends.TryGetValue(device.Type, out var factory))
        {
            try
            {
                return factory(device.Index, precision);
            }
            catch (Exception e) when (e is InvalidOperationException or DllNotFoundException or EntryPointNotFoundException || e.GetType().Name == "CudaException")
            {
                // The backend is registered but the device cannot be opened here (no driver, no GPU, bad ordinal).
                throw new NotSupportedException($"device '{device}': the {device.Type.ToString().ToUpperInvariant()} backend is not available on this machine: {e.Message}; use --device cpu", e);
            }
        }
        throw new NotSupportedException(
            $"device '{device}': the {device.Type.ToString().ToUpperInvariant()} backend is not available: none is registered "
            + "(the application registers FastVideo.Cuda's CudaBackend with VideoGenerator.RegisterBackend; it also needs an NVIDIA driver and GPU); "
            + "use --device cpu");
    }

    /// <summary>Supported attention implementations.</summary>
    public static IReadOnlyList<string> AttentionBackends { get; } = ["sdpa"];

    /// <summary>The option, else FASTVIDEO_ATTENTION_BACKEND, else the best available ("sdpa", the only one so far).</summary>
    private static IAttentionBackend CreateAttention(string? requested, IBackend backend, Func<string, string?> env)
    {
        var name = requested ?? env("FASTVIDEO_ATTENTION_BACKEND");
        var source = requested is not null ? "attention backend" : "FASTVIDEO_ATTENTION_BACKEND";
        if (string.IsNullOrWhiteSpace(name)) return new SdpaAttention(backend);
        return name.Trim().ToLowerInvariant() switch
        {
            "sdpa" or "torch_sdpa" => new SdpaAttention(backend),
            _ => throw new NotSupportedException($"{source} '{name}' is not supported; supported: {string.Join(", ", AttentionBackends)}"),
        };
    }
}
