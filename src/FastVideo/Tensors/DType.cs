namespace FastVideo.Tensors;

/// <summary>Element types a <see cref="Tensor"/> can hold. Names follow safetensors' dtype strings.</summary>
public enum DType : byte
{
    F32,
    F16,
    BF16,
    I32,
    I64,
    U8,
    Bool,
}

public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType t) => t switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.I64 => 8,
        DType.U8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    public static bool IsFloat(this DType t) => t is DType.F32 or DType.F16 or DType.BF16;

    /// <summary>The safetensors header spelling ("F32", "BF16", "BOOL", ...).</summary>
    public static string SafetensorsName(this DType t) => t switch
    {
        DType.Bool => "BOOL",
        _ => t.ToString().ToUpperInvariant(),
    };

    /// <summary>Parses a safetensors dtype string; returns false for dtypes this engine does not support.</summary>
    public static bool TryParseSafetensors(string s, out DType dtype)
    {
        switch (s)
        {
            case "F32": dtype = DType.F32; return true;
            case "F16": dtype = DType.F16; return true;
            case "BF16": dtype = DType.BF16; return true;
            case "I32": dtype = DType.I32; return true;
            case "I64": dtype = DType.I64; return true;
            case "U8": dtype = DType.U8; return true;
            case "BOOL": dtype = DType.Bool; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>The CLR element type that matches a dtype, for typed host reads and writes.</summary>
    public static DType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.F32;
        if (typeof(T) == typeof(Half)) return DType.F16;
        if (typeof(T) == typeof(BFloat16)) return DType.BF16;
        if (typeof(T) == typeof(int)) return DType.I32;
        if (typeof(T) == typeof(long)) return DType.I64;
        if (typeof(T) == typeof(byte)) return DType.U8;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        throw new NotSupportedException($"no DType for CLR type {typeof(T).Name}");
    }
}
