using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

/// <summary>An element-wise map y = f(x), with a scalar form and Vector512/Vector256 forms that agree with it.</summary>
internal interface IUnaryOp
{
    float Invoke(float x);
    Vector512<float> Invoke(Vector512<float> x);
    Vector256<float> Invoke(Vector256<float> x);
}

/// <summary>An element-wise map y = f(a, b).</summary>
internal interface IBinaryOp
{
    float Invoke(float a, float b);
    Vector512<float> Invoke(Vector512<float> a, Vector512<float> b);
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
}

/// <summary>An element-wise map y = f(a, b, c).</summary>
internal interface ITernaryOp
{
    float Invoke(float a, float b, float c);
    Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c);
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c);
}

/// <summary>
/// Loop drivers for the operator structs: the loop, the tail and the broadcasting of scalar operands are
/// written once here, the math once per op (the System.Numerics.Tensors pattern).
/// The tail (n mod vector width) goes through the same vector code via a small stack buffer, so every
/// element is computed by the same instructions whatever its position: results do not depend on how the
/// caller chunked the range for threads.
/// An operand flagged "scalar" is a single value repeated (stride 0, broadcasting).
/// </summary>
internal static unsafe class CpuSimd
{
    public static void Unary<TOp>(float* x, float* y, long n, TOp op) where TOp : struct, IUnaryOp
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16) op.Invoke(Vector512.Load(x + i)).Store(y + i);
            if (i < n)
            {
                int m = (int)(n - i);
                float* t = stackalloc float[16];
                Fill(t, 16, 0f);
                Copy(x + i, t, m);
                op.Invoke(Vector512.Load(t)).Store(t);
                Copy(t, y + i, m);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8) op.Invoke(Vector256.Load(x + i)).Store(y + i);
            if (i < n)
            {
                int m = (int)(n - i);
                float* t = stackalloc float[8];
                Fill(t, 8, 0f);
                Copy(x + i, t, m);
                op.Invoke(Vector256.Load(t)).Store(t);
                Copy(t, y + i, m);
            }
        }
        else
        {
            for (; i < n; i++) y[i] = op.Invoke(x[i]);
        }
    }

    public static void Binary<TOp>(float* a, bool aScalar, float* b, bool bScalar, float* y, long n, TOp op) where TOp : struct, IBinaryOp
    {
        if (aScalar && bScalar)
        {
            // One value repeated: compute it once through the same vector code, then fill.
            float* t = stackalloc float[1];
            Binary(a, false, b, false, t, 1, op);
            Fill(y, n, *t);
            return;
        }
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            if (!aScalar && !bScalar)
                for (; i + 16 <= n; i += 16) op.Invoke(Vector512.Load(a + i), Vector512.Load(b + i)).Store(y + i);
            else if (bScalar && !aScalar)
            {
                var vb = Vector512.Create(*b);
                for (; i + 16 <= n; i += 16) op.Invoke(Vector512.Load(a + i), vb).Store(y + i);
            }
            else if (aScalar && !bScalar)
            {
                var va = Vector512.Create(*a);
                for (; i + 16 <= n; i += 16) op.Invoke(va, Vector512.Load(b + i)).Store(y + i);
            }
            if (i < n)
            {
                int m = (int)(n - i);
                float* ta = stackalloc float[16], tb = stackalloc float[16];
                Stage(a, aScalar, i, m, ta, 16);
                Stage(b, bScalar, i, m, tb, 16);
                op.Invoke(Vector512.Load(ta), Vector512.Load(tb)).Store(ta);
                Copy(ta, y + i, m);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            if (!aScalar && !bScalar)
                for (; i + 8 <= n; i += 8) op.Invoke(Vector256.Load(a + i), Vector256.Load(b + i)).Store(y + i);
            else if (bScalar && !aScalar)
            {
                var vb = Vector256.Create(*b);
                for (; i + 8 <= n; i += 8) op.Invoke(Vector256.Load(a + i), vb).Store(y + i);
            }
            else if (aScalar && !bScalar)
            {
                var va = Vector256.Create(*a);
                for (; i + 8 <= n; i += 8) op.Invoke(va, Vector256.Load(b + i)).Store(y + i);
            }
            if (i < n)
            {
                int m = (int)(n - i);
                float* ta = stackalloc float[8], tb = stackalloc float[8];
                Stage(a, aScalar, i, m, ta, 8);
                Stage(b, bScalar, i, m, tb, 8);
                op.Invoke(Vector256.Load(ta), Vector256.Load(tb)).Store(ta);
                Copy(ta, y + i, m);
            }
        }
        else
        {
            for (; i < n; i++) y[i] = op.Invoke(aScalar ? *a : a[i], bScalar ? *b : b[i]);
        }
    }

    public static void Ternary<TOp>(float* a, bool aScalar, float* b, bool bScalar, float* c, bool cScalar, float* y, long n, TOp op)
        where TOp : struct, ITernaryOp
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            if (!aScalar && !bScalar && !cScalar)
                for (; i + 16 <= n; i += 16) op.Invoke(Vector512.Load(a + i), Vector512.Load(b + i), Vector512.Load(c + i)).Store(y + i);
            else
                for (; i + 16 <= n; i += 16) op.Invoke(Load512(a, aScalar, i), Load512(b, bScalar, i), Load512(c, cScalar, i)).Store(y + i);
            if (i < n)
            {
                int m = (int)(n - i);
                float* ta = stackalloc float[16], tb = stackalloc float[16], tc = stackalloc float[16];
                Stage(a, aScalar, i, m, ta, 16);
                Stage(b, bScalar, i, m, tb, 16);
                Stage(c, cScalar, i, m, tc, 16);
                op.Invoke(Vector512.Load(ta), Vector512.Load(tb), Vector512.Load(tc)).Store(ta);
                Copy(ta, y + i, m);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8) op.Invoke(Load256(a, aScalar, i), Load256(b, bScalar, i), Load256(c, cScalar, i)).Store(y + i);
            if (i < n)
            {
                int m = (int)(n - i);
                float* ta = stackalloc float[8], tb = stackalloc float[8], tc = stackalloc float[8];
                Stage(a, aScalar, i, m, ta, 8);
                Stage(b, bScalar, i, m, tb, 8);
                Stage(c, cScalar, i, m, tc, 8);
                op.Invoke(Vector256.Load(ta), Vector256.Load(tb), Vector256.Load(tc)).Store(ta);
                Copy(ta, y + i, m);
            }
        }
        else
        {
            for (; i < n; i++) y[i] = op.Invoke(aScalar ? *a : a[i], bScalar ? *b : b[i], cScalar ? *c : c[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load512(float* p, bool scalar, long i) => scalar ? Vector512.Create(*p) : Vector512.Load(p + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load256(float* p, bool scalar, long i) => scalar ? Vector256.Create(*p) : Vector256.Load(p + i);

    /// <summary>Copies m tail elements of an operand (or its scalar) into a zero-padded buffer of width w.</summary>
    private static void Stage(float* p, bool scalar, long i, int m, float* t, int w)
    {
        if (scalar) { Fill(t, w, *p); return; }
        Fill(t, w, 0f);
        Copy(p + i, t, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(float* src, float* dst, int n)
    {
        for (int k = 0; k < n; k++) dst[k] = src[k];
    }

    /// <summary>Fills n floats (vectorised); any n, any length.</summary>
    public static void Fill(float* dst, long n, float value)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var v = Vector512.Create(value);
            for (; i + 16 <= n; i += 16) v.Store(dst + i);
        }
        for (; i < n; i++) dst[i] = value;
    }
}
