using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// The two tile products of <see cref="AttentionKernel"/> on Vector512 (AVX-512: 32 registers).
/// S = Q·Kᵀ is computed in outer-product form against K packed transposed (Kt [D, 64]), so there are no
/// horizontal sums: a 4×64 block keeps 16 accumulators and per step d loads 4 vectors of Kt and broadcasts
/// 4 scalars of Q for 16 FMAs. O += P·V works the same way on V packed to a width padded to 16 (4×64 block:
/// 4 loads of V and 4 broadcasts of P per 16 FMAs; a 4×16 block for the remaining columns).
/// </summary>
internal static unsafe class AttentionTiles512
{
    /// <summary>s[i, 0:64] = Σ_e q[i, e]·kt[e, 0:64] for i &lt; rows. q rows have stride ldq; s rows have stride 64.</summary>
    public static void QkT(float* q, int ldq, float* kt, int d, float* s, int rows)
    {
        int i = 0;
        for (; i + 4 <= rows; i += 4)
        {
            float* q0 = q + (long)i * ldq, q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq;
            Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
            float* kr = kt;
            for (int e = 0; e < d; e++, kr += 64)
            {
                var k0 = Vector512.Load(kr); var k1 = Vector512.Load(kr + 16);
                var k2 = Vector512.Load(kr + 32); var k3 = Vector512.Load(kr + 48);
                var b = Vector512.Create(q0[e]);
                a00 = Vector512.FusedMultiplyAdd(b, k0, a00); a01 = Vector512.FusedMultiplyAdd(b, k1, a01);
                a02 = Vector512.FusedMultiplyAdd(b, k2, a02); a03 = Vector512.FusedMultiplyAdd(b, k3, a03);
                b = Vector512.Create(q1[e]);
                a10 = Vector512.FusedMultiplyAdd(b, k0, a10); a11 = Vector512.FusedMultiplyAdd(b, k1, a11);
                a12 = Vector512.FusedMultiplyAdd(b, k2, a12); a13 = Vector512.FusedMultiplyAdd(b, k3, a13);
                b = Vector512.Create(q2[e]);
                a20 = Vector512.FusedMultiplyAdd(b, k0, a20); a21 = Vector512.FusedMultiplyAdd(b, k1, a21);
                a22 = Vector512.FusedMultiplyAdd(b, k2, a22); a23 = Vector512.FusedMultiplyAdd(b, k3, a23);
                b = Vector512.Create(q3[e]);
                a30 = Vector512.FusedMultiplyAdd(b, k0, a30); a31 = Vector512.FusedMultiplyAdd(b, k1, a31);
                a32 = Vector512.FusedMultiplyAdd(b, k2, a32); a33 = Vector512.FusedMultiplyAdd(b, k3, a33);
            }
            float* s0 = s + i * 64;
            a00.Store(s0); a01.Store(s0 + 16); a02.Store(s0 + 32); a03.Store(s0 + 48);
            a10.Store(s0 + 64); a11.Store(s0 + 80); a12.Store(s0 + 96); a13.Store(s0 + 112);
            a20.Store(s0 + 128); a21.Store(s0 + 144); a22.Store(s0 + 160); a23.Store(s0 + 176);
            a30.Store(s0 + 192); a31.Store(s0 + 208); a32.Store(s0 + 224); a33.Store(s0 + 240);
        }
        for (; i < rows; i++)
        {
            float* q0 = q + (long)i * ldq;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            float* kr = kt;
            for (int e = 0; e < d; e++, kr += 64)
            {
                var b = Vector512.Create(q0[e]);
                a0 = Vector512.FusedMultiplyAdd(b, Vector512.Load(kr), a0);
                a1 = Vector512.FusedMultiplyAdd(b, Vector512.Load(kr + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(b, Vector512.Load(kr + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(b, Vector512.Load(kr + 48), a3);
            }
            float* s0 = s + i * 64;
            a0.Store(s0); a1.Store(s0 + 16); a2.Store(s0 + 32); a3.Store(s0 + 48);
        }
    }

    /// <summary>
    /// acc[i, :] += Σ_{j &lt; kn} p[i, j]·v[j, :] for i &lt; rows; p rows have stride 64, v and acc rows have
    /// stride <paramref name="dvPad"/> (a multiple of 16).
    /// </summary>
    public static void PV(float* p, float* v, int kn, int dvPad, float* acc, int rows)
    {
        int i = 0;
        for (; i + 4 <= rows; i += 4)
        {
            int c = 0;
            for (; c + 64 <= dvPad; c += 64) Pv4x64(p + i * 64, v + c, kn, dvPad, acc + (long)i * dvPad + c);
            for (; c < dvPad; c += 16) Pv4x16(p + i * 64, v + c, kn, dvPad, acc + (long)i * dvPad + c);
        }
        for (; i < rows; i++)
        {
            int c = 0;
            for (; c + 64 <= dvPad; c += 64) Pv1x64(p + i * 64, v + c, kn, dvPad, acc + (long)i * dvPad + c);
            for (; c < dvPad; c += 16) Pv1x16(p + i * 64, v + c, kn, dvPad, acc + (long)i * dvPad + c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pv1x64(float* p, float* v, int kn, int ldv, float* acc)
    {
        var a0 = Vector512.Load(acc); var a1 = Vector512.Load(acc + 16); var a2 = Vector512.Load(acc + 32); var a3 = Vector512.Load(acc + 48);
        float* vr = v;
        for (int j = 0; j < kn; j++, vr += ldv)
        {
            var b = Vector512.Create(p[j]);
            a0 = Vector512.FusedMultiplyAdd(b, Vector512.Load(vr), a0);
            a1 = Vector512.FusedMultiplyAdd(b, Vector512.Load(vr + 16), a1);
            a2 = Vector512.FusedMultiplyAdd(b, Vector512.Load(vr + 32), a2);
            a3 = Vector512.FusedMultiplyAdd(b, Vector512.Load(vr + 48), a3);
        }
        a0.Store(acc); a1.Store(acc + 16); a2.Store(acc + 32); a3.Store(acc + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pv4x64(float* p, float* v, int kn, int ldv, float* acc)
    {
        float* c0 = acc, c1 = acc + ldv, c2 = c1 + ldv, c3 = c2 + ldv;
        var a00 = Vector512.Load(c0); var a01 = Vector512.Load(c0 + 16); var a02 = Vector512.Load(c0 + 32); var a03 = Vector512.Load(c0 + 48);
        var a10 = Vector512.Load(c1); var a11 = Vector512.Load(c1 + 16); var a12 = Vector512.Load(c1 + 32); var a13 = Vector512.Load(c1 + 48);
        var a20 = Vector512.Load(c2); var a21 = Vector512.Load(c2 + 16); var a22 = Vector512.Load(c2 + 32); var a23 = Vector512.Load(c2 + 48);
        var a30 = Vector512.Load(c3); var a31 = Vector512.Load(c3 + 16); var a32 = Vector512.Load(c3 + 32); var a33 = Vector512.Load(c3 + 48);
        float* vr = v;
        for (int j = 0; j < kn; j++, vr += ldv)
        {
            var v0 = Vector512.Load(vr); var v1 = Vector512.Load(vr + 16);
            var v2 = Vector512.Load(vr + 32); var v3 = Vector512.Load(vr + 48);
            var b = Vector512.Create(p[j]);
            a00 = Vector512.FusedMultiplyAdd(b, v0, a00); a01 = Vector512.FusedMultiplyAdd(b, v1, a01);
            a02 = Vector512.FusedMultiplyAdd(b, v2, a02); a03 = Vector512.FusedMultiplyAdd(b, v3, a03);
            b = Vector512.Create(p[64 + j]);
            a10 = Vector512.FusedMultiplyAdd(b, v0, a10); a11 = Vector512.FusedMultiplyAdd(b, v1, a11);
            a12 = Vector512.FusedMultiplyAdd(b, v2, a12); a13 = Vector512.FusedMultiplyAdd(b, v3, a13);
            b = Vector512.Create(p[128 + j]);
            a20 = Vector512.FusedMultiplyAdd(b, v0, a20); a21 = Vector512.FusedMultiplyAdd(b, v1, a21);
            a22 = Vector512.FusedMultiplyAdd(b, v2, a22); a23 = Vector512.FusedMultiplyAdd(b, v3, a23);
            b = Vector512.Create(p[192 + j]);
            a30 = Vector512.FusedMultiplyAdd(b, v0, a30); a31 = Vector512.FusedMultiplyAdd(b, v1, a31);
            a32 = Vector512.FusedMultiplyAdd(b, v2, a32); a33 = Vector512.FusedMultiplyAdd(b, v3, a33);
        }
        a00.Store(c0); a01.Store(c0 + 16); a02.Store(c0 + 32); a03.Store(c0 + 48);
        a10.Store(c1); a11.Store(c1 + 16); a12.Store(c1 + 32); a13.Store(c1 + 48);
        a20.Store(c2); a21.Store(c2 + 16); a22.Store(c2 + 32); a23.Store(c2 + 48);
        a30.Store(c3); a31.Store(c3 + 16); a32.Store(c3 + 32); a33.Store(c3 + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pv4x16(float* p, float* v, int kn, int ldv, float* acc)
    {
        float* c0 = acc, c1 = acc + ldv, c2 = c1 + ldv, c3 = c2 + ldv;
        var a0 = Vector512.Load(c0); var a1 = Vector512.Load(c1); var a2 = Vector512.Load(c2); var a3 = Vector512.Load(c3);
        float* vr = v;
        for (int j = 0; j < kn; j++, vr += ldv)
        {
            var v0 = Vector512.Load(vr);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p[j]), v0, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(p[64 + j]), v0, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(p[128 + j]), v0, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(p[192 + j]), v0, a3);
        }
        a0.Store(c0); a1.Store(c1); a2.Store(c2); a3.Store(c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pv1x16(float* p, float* v, int kn, int ldv, float* acc)
    {
        var a0 = Vector512.Load(acc);
        float* vr = v;
        for (int j = 0; j < kn; j++, vr += ldv)
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p[j]), Vector512.Load(vr), a0);
        a0.Store(acc);
    }
}
