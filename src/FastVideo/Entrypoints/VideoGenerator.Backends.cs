using System.Collections.Concurrent;
using FastVideo.Attention;
using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;

namespace FastVideo.Entrypoints;

public sealed partial class VideoGenerator
{
    private static readonly ConcurrentDictionary<DeviceType, Func<int, IBackend>> s_backends = new();

    /// <summary>
    /// Makes a device backend available to <see cref="FromPretrained"/> (e.g. FastVideo.Cuda registers its
    /// <c>CudaBackend</c> for <see cref="DeviceType.Cuda"/>); the factory gets the device index. The core library
    /// does not reference device assemblies, so a device is available exactly when its assembly registered it.
    /// </summary>
    public static void RegisterBackend(DeviceType device, Func<int, IBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (device == DeviceType.Cpu) throw new ArgumentException("the CPU backend is built in", nameof(device));
        s_backends[device] = factory;
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
    private static IBackend CreateBackend(Device device)
    {
        if (device.Type == DeviceType.Cpu) return new CpuBackend(new CpuAllocator());
        if (s_backends.TryGetValue(device.Type, out var factory))
        {
            try
            {
                return factory(device.Index);
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
