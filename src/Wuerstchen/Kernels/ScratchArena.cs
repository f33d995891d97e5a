using System.Runtime.InteropServices;

namespace Wuerstchen.Kernels;

/// <summary>
/// One 64-byte aligned native block, grown on demand and kept for its owner's lifetime (a per-thread workspace),
/// carved into regions of 4-byte elements, each starting on its own cache line.
/// </summary>
internal sealed unsafe class ScratchArena
{
    private void* _block;
    private long _bytes;

    /// <summary>Makes room for regions of <paramref name="sizes"/> elements and writes where each starts into <paramref name="starts"/>.</summary>
    public void Carve(ReadOnlySpan<long> sizes, Span<nint> starts)
    {
        long total = 0;
        foreach (long n in sizes) total += Lines(n);
        if (total * 4 > _bytes)
        {
            if (_block != null) NativeMemory.AlignedFree(_block);
            _block = NativeMemory.AlignedAlloc((nuint)(total * 4), 64);
            if (_block == null) throw new OutOfMemoryException($"Cannot allocate a {total * 4}-byte kernel workspace.");
            _bytes = total * 4;
        }
        var p = (uint*)_block;
        for (int i = 0; i < sizes.Length; i++)
        {
            starts[i] = (nint)p;
            p += Lines(sizes[i]);
        }
    }

    /// <summary>n 4-byte elements rounded up to whole 64-byte lines.</summary>
    private static long Lines(long n) => (n + 15) / 16 * 16;

    ~ScratchArena()
    {
        if (_block != null) NativeMemory.AlignedFree(_block);
    }
}
