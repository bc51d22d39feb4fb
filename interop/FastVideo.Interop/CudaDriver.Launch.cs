namespace FastVideo.Interop;

/// <summary>Grid or block dimensions of a launch.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public static implicit operator Dim3(uint x) => new(x);
    public static implicit operator Dim3(int x) => new(checked((uint)x));
    public override string ToString() => Y == 1 && Z == 1 ? $"{X}" : $"({X}, {Y}, {Z})";
}

public static unsafe partial class CudaDriver
{
    /// <summary>
    /// Queues <paramref name="function"/> on <paramref name="stream"/> with one kernel parameter: the plain struct
    /// <paramref name="args"/>, passed by value (the engine's kernel ABI: <c>fv_family_variant(const Params p)</c>).
    /// The driver copies the argument bytes before returning. Launch-configuration errors throw here, naming the
    /// kernel, grid, block and shared memory; faults inside the kernel surface at the next synchronizing call.
    /// </summary>
    public static void Launch<T>(CudaFunction function, Dim3 grid, Dim3 block, int sharedBytes, CudaStream stream, in T args) where T : unmanaged
    {
        T copy = args;
        void* arg = &copy;
        int r = CuNative.cuLaunchKernel(function.Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, (uint)sharedBytes, stream.Raw, &arg, null);
        if (r != 0)
            throw CudaException.Driver("cuLaunchKernel", r, $"kernel {function.Name}, grid {grid}, block {block}, {sharedBytes} bytes of dynamic shared memory");
    }
}
