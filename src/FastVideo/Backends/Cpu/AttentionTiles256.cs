using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// The tile products of <see cref="AttentionKernel"/> on Vector256 (AVX2 has 16 registers, so blocks are
/// 4 rows × 16 columns: 8 accumulators). Same contracts as <see cref="AttentionTiles512"/>; also the
/// portable path where Vector512 is not accelerated.
/// </summary>
internal static unsafe class AttentionTiles256
{
    /// <summary>s[i, 0:64] = Σ_e q[i, e]·kt[e, 0:64] for i &lt; rows. q rows have stride ldq; s rows have stride 64.</summary>
    public static void QkT(float* q, int ldq, float* kt, int d, float* s, int rows)
    {
        int i = 0;
        for (; i + 4 <= rows; i += 4)
        {
            float* q0 = q + (long)i * ldq, q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq;
            for (int c = 0; c < 64; c += 16)
            {
                Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
                float* kr = kt + c;
                for (int e = 0; e < d; e++, kr += 64)
                {
                    var k0 = Vector256.Load(kr); var k1 = Vector256.Load(kr + 8);
                    var b = Vector256.Create(q0[e]);
                    a00 = Vector256.FusedMultiplyAdd(b, k0, a00); a01 = Vector256.FusedMultiplyAdd(b, k1, a01);
                    b = Vector256.Create(q1[e]);
                    a10 = Vector256.FusedMultiplyAdd(b, k0, a10); a11 = Vector256.FusedMultiplyAdd(b, k1, a11);
                    b = Vector256.Create(q2[e]);
                    a20 = Vector256.FusedMultiplyAdd(b, k0, a20); a21 = Vector256.FusedMultiplyAdd(b, k1, a21);
                    b = Vector256.Create(q3[e]);
                    a30 = Vector256.FusedMultiplyAdd(b, k0, a30); a31 = Vector256.FusedMultiplyAdd(b, k1, a31);
                }
                float* s0 = s + i * 64 + c;
                a00.Store(s0); a01.Store(s0 + 8);
                a10.Store(s0 + 64); a11.Store(s0 + 72);
                a20.Store(s0 + 128); a21.Store(s0 + 136);
                a30.Store(s0 + 192); a31.Store(s0 + 200);
            }
        }
        for (; i < rows; i++)
        {
            float* q0 = q + (long)i * ldq;
            for (int c = 0; c < 64; c += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* kr = kt + c;
                for (int e = 0; e < d; e++, kr += 64)
                {
                    var b = Vector256.Create(q0[e]);
                    a0 = Vector256.FusedMultiplyAdd(b, Vector256.Load(kr), a0);
                    a1 = Vector256.FusedMultiplyAdd(b, Vector256.Load(kr + 8), a1);
                    a2 = Vector256.FusedMultiplyAdd(b, Vector256.Load(kr + 16), a2);
                    a3 = Vector256.FusedMultiplyAdd(b, Vector256.Load(kr + 24), a3);
                }
                float* s0 = s + i * 64 + c;
                a0.Store(s0); a1.Store(s0 + 8); a2.Store(s0 + 16); a3.Store(s0 + 24);
            }
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
            for (int c = 0; c < dvPad; c += 16) Pv4x16(p + i * 64, v + c, kn, dvPad, acc + (long)i * dvPad + c);
        for (; i < rows; i++)
            for (int c = 0; c < dvPad; c += 16) Pv1x16(p + i * 64, v + c, kn, dvPad, acc + (long)i * dvPad + c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pv4x16(float* p, float* v, int kn, int ldv, float* acc)
    {
        float* c0 = acc, c1 = acc + ldv, c2 = c1 + ldv, c3 = c2 + ldv;
        var a00 = Vector256.Load(c0); var a01 = Vector256.Load(c0 + 8);
        var a10 = Vector256.Load(c1); var a11 = Vector256.Load(c1 + 8);
        var a20 = Vector256.Load(c2); var a21 = Vector256.Load(c2 + 8);
        var a30 = Vector256.Load(c3); var a31 = Vector256.Load(c3 + 8);
        float* vr = v;
        for (int j = 0; j < kn; j++, vr += ldv)
        {
            var v0 = Vector256.Load(vr); var v1 = Vector256.Load(vr + 8);
            var b = Vector256.Create(p[j]);
            a00 = Vector256.FusedMultiplyAdd(b, v0, a00); a01 = Vector256.FusedMultiplyAdd(b, v1, a01);
            b = Vector256.Create(p[64 + j]);
            a10 = Vector256.FusedMultiplyAdd(b, v0, a10); a11 = Vector256.FusedMultiplyAdd(b, v1, a11);
            b = Vector256.Create(p[128 + j]);
            a20 = Vector256.FusedMultiplyAdd(b, v0, a20); a21 = Vector256.FusedMultiplyAdd(b, v1, a21);
            b = Vector256.Create(p[192 + j]);
            a30 = Vector256.FusedMultiplyAdd(b, v0, a30); a31 = Vector256.FusedMultiplyAdd(b, v1, a31);
        }
        a00.Store(c0); a01.Store(c0 + 8);
        a10.Store(c1); a11.Store(c1 + 8);
        a20.Store(c2); a21.Store(c2 + 8);
        a30.Store(c3); a31.Store(c3 + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pv1x16(float* p, float* v, int kn, int ldv, float* acc)
    {
        var a0 = Vector256.Load(acc); var a1 = Vector256.Load(acc + 8);
        float* vr = v;
        for (int j = 0; j < kn; j++, vr += ldv)
        {
            var b = Vector256.Create(p[j]);
            a0 = Vector256.FusedMultiplyAdd(b, Vector256.Load(vr), a0);
            a1 = Vector256.FusedMultiplyAdd(b, Vector256.Load(vr + 8), a1);
        }
        a0.Store(acc); a1.Store(acc + 8);
    }
}
