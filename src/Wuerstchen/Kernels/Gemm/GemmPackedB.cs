using System.Runtime.InteropServices;

namespace Wuerstchen.Kernels;

/// <summary>
/// op(B) (K×N) packed once into the micro-kernel's NR-column panels, for operands multiplied many times
/// (a Linear weight is used at every denoising step, so its transpose-and-pack is paid once, not per call).
/// A pure rearrangement padded to whole panels: ⌈N/NR⌉·NR·K floats of native memory, freed by Dispose.
/// </summary>
public sealed unsafe class GemmPackedB : IDisposable
{
    private float* _data;
    private readonly long _length;

    public int K { get; }
    public int N { get; }
    internal GemmIsa Isa { get; }

    private GemmPackedB(int k, int n, GemmIsa isa)
    {
        K = k;
        N = n;
        Isa = isa;
        int nr = GemmIsaInfo.NR(isa);
        _length = (long)(n + nr - 1) / nr * nr * k;
        nuint bytes = (nuint)Math.Max(_length, 1) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        if (_data == null) throw new OutOfMemoryException($"Cannot allocate {bytes} bytes for a packed {k}×{n} GEMM operand.");
        Tensors.NativeHeap.AdviseHugePages(_data, (long)bytes);
        GC.AddMemoryPressure((long)bytes);
    }

    /// <summary>Packs op(B): B is K×N with row stride ldb, or N×K when <paramref name="transB"/> (a Linear weight [out, in]).</summary>
    public static GemmPackedB Pack(bool transB, int k, int n, float* b, long ldb) => Pack(transB, k, n, b, ldb, GemmIsaInfo.Best);

    internal static GemmPackedB Pack(bool transB, int k, int n, float* b, long ldb, GemmIsa isa)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        Gemm.ValidateLd(transB ? n : k, transB ? k : n, ldb, nameof(ldb));
        var packed = new GemmPackedB(k, n, isa);
        int nr = GemmIsaInfo.NR(isa);
        int panels = (n + nr - 1) / nr;
        float* dst = packed._data;
        long panelStride = (long)nr * k;
        Threads.For(panels, q =>
        {
            int j0 = q * nr;
            GemmPacking.PackB(transB, b, ldb, 0, k, j0, Math.Min(nr, n - j0), nr, dst + q * panelStride, panelStride);
        });
        return packed;
    }

    internal float* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(GemmPackedB));

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~GemmPackedB() => Free();

    private void Free()
    {
        var p = _data;
        _data = null;
        if (p == null) return;
        NativeMemory.AlignedFree(p);
        GC.RemoveMemoryPressure(Math.Max(_length, 1) * sizeof(float));
    }
}
