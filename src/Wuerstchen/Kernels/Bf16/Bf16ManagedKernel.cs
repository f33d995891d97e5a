using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Wuerstchen.Kernels.Bf16;

/// <summary>
/// The portable bf16 kernel, used where AVX512_BF16 is missing (or forced for tests). It follows
/// <c>vdpbf16ps</c>'s arithmetic: bf16 products are exact in float32 (8-bit × 8-bit significands), and each
/// lane adds the odd depth's product, then the even depth's, rounding after each add. So on normal numbers it
/// matches the hardware instruction bit for bit (the instruction also flushes denormals, this does not).
/// </summary>
internal readonly unsafe struct Bf16ManagedKernel : IBf16MicroKernel
{
    private const int MR = Bf16Packing.MR, NR = Bf16Packing.NR;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int rows, int pairs, uint* a, uint* b, float* c, long ldc, float* init, long initLd)
    {
        // Accumulators for the whole tile: MR rows × 4 vectors of 8 columns.
        var acc = stackalloc Vector256<float>[MR * 4];
        for (int r = 0; r < rows; r++)
            for (int v = 0; v < 4; v++) acc[r * 4 + v] = Vector256.Load(init + r * initLd + 8 * v);

        var highMask = Vector256.Create(0xFFFF_0000u);
        for (int p = 0; p < pairs; p++, a += MR, b += NR)
        {
            // Widen the 32 column pairs once per depth pair: even depth = low half ≪ 16, odd depth = high half.
            var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + 8); var b2 = Vector256.Load(b + 16); var b3 = Vector256.Load(b + 24);
            Vector256<float> e0 = (b0 << 16).AsSingle(), e1 = (b1 << 16).AsSingle(), e2 = (b2 << 16).AsSingle(), e3 = (b3 << 16).AsSingle();
            Vector256<float> o0 = (b0 & highMask).AsSingle(), o1 = (b1 & highMask).AsSingle(), o2 = (b2 & highMask).AsSingle(), o3 = (b3 & highMask).AsSingle();
            for (int r = 0; r < rows; r++)
            {
                uint pair = a[r];
                var ae = Vector256.Create(BitConverter.UInt32BitsToSingle(pair << 16));
                var ao = Vector256.Create(BitConverter.UInt32BitsToSingle(pair & 0xFFFF_0000));
                var t = acc + r * 4;
                t[0] = (t[0] + ao * o0) + ae * e0;
                t[1] = (t[1] + ao * o1) + ae * e1;
                t[2] = (t[2] + ao * o2) + ae * e2;
                t[3] = (t[3] + ao * o3) + ae * e3;
            }
        }
        for (int r = 0; r < rows; r++)
            for (int v = 0; v < 4; v++) Vector256.Store(acc[r * 4 + v], c + r * ldc + 8 * v);
    }
}
