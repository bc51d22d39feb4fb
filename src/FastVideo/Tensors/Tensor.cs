using System.Runtime.InteropServices;
using System.Text;

namespace FastVideo.Tensors;

/// <summary>
/// An n-dimensional array with contiguous row-major storage on one device. Views (<see cref="Reshape"/>,
/// <see cref="Narrow"/> along the leading non-unit dimension) share storage; everything else (permute,
/// transpose, general slicing) is an explicit copy done by a backend op. Disposing a tensor releases its
/// reference to the storage; the memory returns to the allocator when the last view is gone.
/// Reading values is always explicit (<see cref="ToArray{T}"/>, <see cref="CopyTo{T}"/>): no op returns host values.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly int[] _shape;
    private Storage? _storage;

    public DType DType { get; }
    /// <summary>Offset of element 0 from the start of the storage, in bytes.</summary>
    public long ByteOffset { get; }
    public long Numel { get; }
    public long Bytes => Numel * DType.Size();
    public int Rank => _shape.Length;
    public Device Device => Storage.Allocator.Device;

    /// <summary>Optional debugging name (weights carry their checkpoint name).</summary>
    public string? Name { get; set; }

    public Tensor(Storage storage, ReadOnlySpan<int> shape, DType dtype, long byteOffset = 0)
    {
        _shape = shape.ToArray();
        Numel = ShapeUtil.Numel(_shape);
        DType = dtype;
        ByteOffset = byteOffset;
        _storage = storage;
        if (byteOffset < 0 || byteOffset + Numel * dtype.Size() > storage.Bytes)
            throw new ArgumentException($"tensor [{ShapeUtil.Format(_shape)}] {dtype} at byte offset {byteOffset} does not fit in a storage of {storage.Bytes} bytes");
        TensorScope.Register(this);
    }

    /// <summary>Allocates an uninitialised tensor from <paramref name="allocator"/>.</summary>
    public static Tensor Empty(IAllocator allocator, ReadOnlySpan<int> shape, DType dtype)
    {
        long bytes = ShapeUtil.Numel(shape) * dtype.Size();
        return new Tensor(new Storage(allocator, bytes), shape, dtype);
    }

    /// <summary>Copies host values into a new tensor on <paramref name="allocator"/>'s device.</summary>
    public static Tensor FromHost<T>(IAllocator allocator, ReadOnlySpan<T> values, ReadOnlySpan<int> shape) where T : unmanaged
    {
        long n = ShapeUtil.Numel(shape);
        if (n != values.Length)
            throw new ArgumentException($"{values.Length} values do not fill shape [{ShapeUtil.Format(shape)}] ({n} elements)", nameof(values));
        var t = Empty(allocator, shape, DTypeExtensions.Of<T>());
        allocator.CopyFromHost(MemoryMarshal.AsBytes(values), t.DataPointer);
        return t;
    }

    public static Tensor FromHost<T>(ReadOnlySpan<T> values, params int[] shape) where T : unmanaged =>
        FromHost(CpuAllocator.Shared, values, shape);

    public Storage Storage => _storage ?? throw new ObjectDisposedException(nameof(Tensor), $"tensor{(Name is null ? "" : " " + Name)} [{ShapeUtil.Format(_shape)}] was disposed");
    public bool IsDisposed => _storage is null;

    /// <summary>Address of element 0 (device address for device tensors).</summary>
    public nint DataPointer => Storage.Pointer + (nint)ByteOffset;

    /// <summary>A copy of the shape.</summary>
    public int[] Shape => (int[])_shape.Clone();
    public ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>Size of dimension <paramref name="dim"/>; negative counts from the end.</summary>
    public int Size(int dim) => _shape[ShapeUtil.NormDim(dim, _shape.Length)];

    /// <summary>A view with a new shape over the same elements. One dimension may be -1.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var resolved = ShapeUtil.ResolveReshape(_shape, shape);
        Storage.AddRef();
        return new Tensor(Storage, resolved, DType, ByteOffset) { Name = Name };
    }

    /// <summary>
    /// A view of <paramref name="length"/> entries starting at <paramref name="start"/> along <paramref name="dim"/>.
    /// Only possible without copying when every dimension before <paramref name="dim"/> is 1; otherwise use a backend's Slice.
    /// </summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        dim = ShapeUtil.NormDim(dim, _shape.Length);
        if (start < 0 || length < 0 || start + length > _shape[dim])
            throw new ArgumentOutOfRangeException(nameof(start), $"narrow [{start}, {start + length}) outside dimension {dim} of size {_shape[dim]} in [{ShapeUtil.Format(_shape)}]");
        for (int i = 0; i < dim; i++)
            if (_shape[i] != 1)
                throw new InvalidOperationException($"narrow along dimension {dim} of [{ShapeUtil.Format(_shape)}] is not contiguous; use IBackend.Slice to copy");
        long inner = 1;
        for (int i = dim + 1; i < _shape.Length; i++) inner *= _shape[i];
        var shape = Shape;
        shape[dim] = length;
        Storage.AddRef();
        return new Tensor(Storage, shape, DType, ByteOffset + start * inner * DType.Size()) { Name = Name };
    }

    /// <summary>Index <paramref name="i"/> of the leading dimension, as a view with that dimension removed.</summary>
    public Tensor this[int i]
    {
        get
        {
            if (Rank == 0) throw new InvalidOperationException("cannot index a scalar tensor");
            using var n = Narrow(0, i, 1);
            return n.Reshape(_shape.AsSpan(1).ToArray());
        }
    }

    /// <summary>A new reference to the same storage and shape (the caller disposes it independently).</summary>
    public Tensor Share()
    {
        Storage.AddRef();
        return new Tensor(Storage, _shape, DType, ByteOffset) { Name = Name };
    }

    /// <summary>Copies the elements into <paramref name="destination"/> (synchronizes with the device).</summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        CheckType<T>();
        if (destination.Length < Numel) throw new ArgumentException($"destination holds {destination.Length} elements, tensor has {Numel}");
        Storage.Allocator.CopyToHost(DataPointer, MemoryMarshal.AsBytes(destination[..checked((int)Numel)]));
    }

    /// <summary>Reads the elements back to a new host array (synchronizes with the device).</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var a = new T[Numel];
        CopyTo<T>(a);
        return a;
    }

    /// <summary>Element values as float whatever the floating dtype (F32/F16/BF16), or integer dtypes converted.</summary>
    public float[] ToFloatArray()
    {
        var bytes = new byte[Bytes];
        Storage.Allocator.CopyToHost(DataPointer, bytes);
        var r = new float[Numel];
        DTypeConvert.ToFloat(bytes, DType, r);
        return r;
    }

    /// <summary>Overwrites the elements from host values.</summary>
    public void CopyFrom<T>(ReadOnlySpan<T> source) where T : unmanaged
    {
        CheckType<T>();
        if (source.Length != Numel) throw new ArgumentException($"source holds {source.Length} elements, tensor has {Numel}");
        Storage.Allocator.CopyFromHost(MemoryMarshal.AsBytes(source), DataPointer);
    }

    /// <summary>Direct span over host memory. Only for CPU tensors; used by the CPU backend and tests.</summary>
    public unsafe Span<T> AsSpan<T>() where T : unmanaged
    {
        if (Device.Type != DeviceType.Cpu) throw new InvalidOperationException($"AsSpan needs a CPU tensor; this one is on {Device}");
        if (typeof(T) != typeof(byte)) CheckType<T>();
        long n = typeof(T) == typeof(byte) ? Bytes : Numel;
        return new Span<T>((void*)DataPointer, checked((int)n));
    }

    private void CheckType<T>() where T : unmanaged
    {
        var want = DTypeExtensions.Of<T>();
        if (want != DType && !(DType == DType.Bool && typeof(T) == typeof(byte)) && !(DType == DType.U8 && typeof(T) == typeof(bool)))
            throw new InvalidOperationException($"tensor{(Name is null ? "" : " " + Name)} is {DType}, not {want}");
    }

    /// <summary>Throws unless this tensor has the given shape; the message names the tensor.</summary>
    public Tensor ExpectShape(string what, params int[] shape)
    {
        if (!_shape.AsSpan().SequenceEqual(shape))
            throw new ShapeMismatchException($"{what}: expected shape [{ShapeUtil.Format(shape)}], got [{ShapeUtil.Format(_shape)}]");
        return this;
    }

    public void Dispose()
    {
        var s = Interlocked.Exchange(ref _storage, null);
        s?.Release();
    }

    public override string ToString()
    {
        var sb = new StringBuilder("Tensor");
        if (Name != null) sb.Append(' ').Append(Name);
        sb.Append(" [").Append(ShapeUtil.Format(_shape)).Append("] ").Append(DType);
        if (_storage != null) sb.Append(" on ").Append(Device);
        else sb.Append(" (disposed)");
        return sb.ToString();
    }
}

/// <summary>A shape does not match what an op or a model expects.</summary>
public sealed class ShapeMismatchException(string message) : ArgumentException(message);
