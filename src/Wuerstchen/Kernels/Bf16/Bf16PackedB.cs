using System.Runtime.InteropServices;

namespace Wuerstchen.Kernels.Bf16;

/// <summary>
/// op(B) (K×N) rounded to bf16 and packed once into the bf16 kernels' 32-column panels, for weights used at
/// every step: ⌈N/32⌉ panels of [⌈K/2⌉ depth pairs][32 columns] uint32 (see <see cref="Bf16Packing"/>), so a
/// Linear weight takes 2 bytes per element (plus padding to whole panels) instead of 4. Native memory,
/// freed by Dispose. <see cref="Widen"/> recovers the rounded weight as float32 [N, K].
/// </summary>
public sealed unsafe class Bf16PackedB : IDisposable
{
    private uint* _data;
    private readonly long _length;

    public int K { get; }
    public int N { get; }

    /// <summary>Depth pairs per panel, ⌈K/2⌉.</summary>
    internal int Pairs => Bf16Packing.Pairs(K);

    /// <summary>Resident bytes of the packed panels.</summary>
    public long Bytes => Math.Max(_length, 1) * sizeof(uint);

    private Bf16PackedB(int k, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        K = k;
        N = n;
        _length = (long)(n + Bf16Packing.NR - 1) / Bf16Packing.NR * Bf16Packing.NR * Bf16Packing.Pairs(k);
        nuint bytes = (nuint)Bytes;
        _data = (uint*)NativeMemory.AlignedAlloc(bytes, 64);
        if (_data == null) throw new OutOfMemoryException($"Cannot allocate {bytes} bytes for a packed bf16 {k}×{n} GEMM operand.");
        Tensors.NativeHeap.AdviseHugePages(_data, (long)bytes);
        GC.AddMemoryPressure(Bytes);
    }

    /// <summary>Rounds and packs op(B): B is K×N with row stride ldb, or N×K when <paramref name="transB"/> (a Linear weight [out, in]).</summary>
    public static Bf16PackedB Pack(bool transB, int k, int n, float* b, long ldb)
    {
        Gemm.ValidateLd(transB ? n : k, transB ? k : n, ldb, nameof(ldb));
        var packed = new Bf16PackedB(k, n);
        uint* dst = packed._data;
        long panelStride = (long)Bf16Packing.NR * packed.Pairs;
        int panels = (n + Bf16Packing.NR - 1) / Bf16Packing.NR;
        Threads.For(panels, q =>
        {
            int j0 = q * Bf16Packing.NR;
            Bf16Packing.PackB(transB, b, ldb, 0, k, j0, Math.Min(Bf16Packing.NR, n - j0), dst + q * panelStride, panelStride);
        });
        return packed;
    }

    /// <summary>
    /// Packs a bf16 matrix [N, K] (row stride ldb elements) as stored in a BF16 checkpoint: no rounding, the bits
    /// are only rearranged (a Linear weight [out, in] of a bf16 safetensors file).
    /// </summary>
    public static Bf16PackedB FromBf16Rows(int k, int n, ushort* b, long ldb)
    {
        Gemm.ValidateLd(n, k, ldb, nameof(ldb));
        var packed = new Bf16PackedB(k, n);
        uint* dst = packed._data;
        int pairs = packed.Pairs;
        int panels = (n + Bf16Packing.NR - 1) / Bf16Packing.NR;
        Threads.For(panels, q =>
        {
            uint* panel = dst + (long)q * Bf16Packing.NR * pairs;
            for (int jj = 0; jj < Bf16Packing.NR; jj++)
            {
                int j = q * Bf16Packing.NR + jj;
                ushort* row = j < n ? b + j * ldb : null;
                for (int p = 0; p < pairs; p++)
                {
                    uint even = row == null ? 0u : row[2 * p];
                    uint odd = row == null || 2 * p + 1 >= k ? 0u : row[2 * p + 1];
                    panel[(long)p * Bf16Packing.NR + jj] = even | odd << 16;
                }
            }
        });
        return packed;
    }

    /// <summary>The packed values widened back to float32, as an N×K row-major matrix at <paramref name="dst"/> (row stride ldd).</summary>
    public void Widen(float* dst, long ldd)
    {
        Gemm.ValidateLd(N, K, ldd, nameof(ldd));
        uint* src = Data;
        int pairs = Pairs, k = K, n = N;
        int panels = (n + Bf16Packing.NR - 1) / Bf16Packing.NR;
        Threads.For(panels, q =>
        {
            uint* panel = src + (long)q * Bf16Packing.NR * pairs;
            int cols = Math.Min(Bf16Packing.NR, n - q * Bf16Packing.NR);
            for (int jj = 0; jj < cols; jj++)
            {
                float* row = dst + (q * Bf16Packing.NR + jj) * ldd;
                for (int p = 0; p < pairs; p++)
                {
                    uint v = panel[(long)p * Bf16Packing.NR + jj];
                    row[2 * p] = BitConverter.UInt32BitsToSingle(v << 16);
                    if (2 * p + 1 < k) row[2 * p + 1] = BitConverter.UInt32BitsToSingle(v & 0xFFFF_0000);
                }
            }
        });
    }

    internal uint* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(Bf16PackedB));

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~Bf16PackedB() => Free();

    private void Free()
    {
        var p = _data;
        _data = null;
        if (p == null) return;
        NativeMemory.AlignedFree(p);
        GC.RemoveMemoryPressure(Bytes);
    }
}
