using System.Runtime.InteropServices;

namespace Wuerstchen.Tensors;

/// <summary>
/// Makes the C allocator give freed tensor memory back to the OS (glibc on Linux; a no-op elsewhere).
/// glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MiB), so after the first
/// model is released most weight tensors of the next land in the brk heap or in per-thread arenas, where freed
/// memory stays resident: in a 1024² f32 image the prior's and the text encoders' leftovers sat beside the decoder's
/// 4 GB of weights (5.6 GB peak instead of 4.6). A fixed threshold keeps every block of a megabyte or more in its
/// own mapping, returned on free; <see cref="Release"/> hands back free pages stranded inside the heaps.
/// Large blocks are also offered to transparent huge pages (<see cref="AdviseHugePages"/>).
/// </summary>
internal static unsafe partial class NativeHeap
{
    private const int MADV_HUGEPAGE = 14;              // Linux
    private const long HugePageBytes = 2L << 20;

    /// <summary>Off with <c>WUERSTCHEN_HUGEPAGES=0</c> in the environment.</summary>
    private static readonly bool _hugePages = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("WUERSTCHEN_HUGEPAGES") != "0";

    private const int M_MMAP_THRESHOLD = -3;           // glibc's mallopt parameter
    private const int MmapThresholdBytes = 1 << 20;    // pooled blocks start at 256 KiB; weights are mostly larger

    private static readonly bool _glibc = OperatingSystem.IsLinux() && Configure();

    /// <summary>Runs the one-time configuration (called before the first tensor allocation).</summary>
    public static void EnsureConfigured() => _ = _glibc;

    /// <summary>Returns free pages inside the allocator's heaps to the OS (between stages, after a model is released).</summary>
    public static void Release()
    {
        if (!_glibc) return;
        try { malloc_trim(0); }
        catch (EntryPointNotFoundException) { }         // a libc without malloc_trim (musl): nothing to do
    }

    /// <summary>
    /// Asks Linux to back the 2 MiB-aligned interior of a large block (weights, activations, packed panels) with
    /// transparent huge pages, where the system's THP mode is <c>madvise</c> (the usual default) or <c>always</c>.
    /// A GEMM streaming a 4 GB model's weights then misses the TLB 512 times less often, and a fresh block faults
    /// in 2 MiB at a time: a Stage B forward at 1024² runs about 10 % faster. A refusal (THP off) changes nothing.
    /// </summary>
    public static void AdviseHugePages(void* block, long bytes)
    {
        if (!_hugePages || bytes < 2 * HugePageBytes) return;
        long start = ((long)block + HugePageBytes - 1) & ~(HugePageBytes - 1);
        long end = ((long)block + bytes) & ~(HugePageBytes - 1);
        if (end <= start) return;
        try { _ = madvise((nint)start, (nuint)(end - start), MADV_HUGEPAGE); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    private static bool Configure()
    {
        try
        {
            // A user's MALLOC_MMAP_THRESHOLD_ (or GLIBC_TUNABLES) is read by glibc itself and wins.
            if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") == null
                && Environment.GetEnvironmentVariable("GLIBC_TUNABLES")?.Contains("mmap_threshold") != true)
                mallopt(M_MMAP_THRESHOLD, MmapThresholdBytes);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc")]
    private static partial int mallopt(int param, int value);

    [LibraryImport("libc")]
    private static partial int malloc_trim(nuint pad);

    [LibraryImport("libc")]
    private static partial int madvise(nint address, nuint length, int advice);
}
