using System.Numerics;
using System.Runtime.InteropServices;

namespace Wuerstchen.Tensors;

/// <summary>
/// Reuses large freed tensor blocks. A denoising step allocates the same activation sizes every step; fresh
/// multi-megabyte allocations come from the OS as untouched pages whose first-touch faults cost more than
/// the op itself (a GELU over 84 MB: 268 ms with a fresh output, 88 ms into a reused one). Blocks are grouped
/// in size classes (four per power of two, so at most 25% slack) and kept up to <see cref="CapacityBytes"/>.
/// </summary>
public static unsafe class StoragePool
{
    /// <summary>Blocks smaller than this go straight to the allocator (malloc serves them well).</summary>
    public const long MinPooledBytes = 256 * 1024;

    private static readonly Lock _lock = new();
    private static readonly Dictionary<long, Stack<nint>> _free = [];
    private static long _cachedBytes;
    private static long _reused, _fresh;
    private static int _bypassDepth;

    static StoragePool() => NativeHeap.EnsureConfigured();

    /// <summary>
    /// Most bytes kept in free blocks (default 2 GiB, or <c>WUERSTCHEN_POOL_MB</c> MiB from the environment); lower it
    /// for memory-lean runs, 0 disables pooling.
    /// </summary>
    public static long CapacityBytes { get; set; } =
        long.TryParse(Environment.GetEnvironmentVariable("WUERSTCHEN_POOL_MB"), out long mb) && mb >= 0 ? mb << 20 : 2L << 30;

    /// <summary>Bytes currently held in free blocks.</summary>
    public static long CachedBytes { get { lock (_lock) return _cachedBytes; } }

    /// <summary>
    /// Requests of pooled size (≥ <see cref="MinPooledBytes"/>) since the process started: served from a cached block,
    /// and allocated fresh. A steady loop (a denoising step after the first) should add only to the first.
    /// </summary>
    public static (long Reused, long Fresh) Statistics { get { lock (_lock) return (_reused, _fresh); } }

    /// <summary>The block size actually allocated for a request (its size class).</summary>
    public static long SizeClass(long bytes)
    {
        if (bytes < MinPooledBytes) return bytes;
        int log = 63 - BitOperations.LeadingZeroCount((ulong)bytes);      // 2^log <= bytes
        long quarter = 1L << (log - 2);
        return (bytes + quarter - 1) / quarter * quarter;
    }

    internal static float* Rent(long bytes, out long blockBytes)
    {
        blockBytes = SizeClass(bytes);
        if (blockBytes >= MinPooledBytes)
        {
            lock (_lock)
            {
                if (_free.TryGetValue(blockBytes, out var stack) && stack.Count > 0)
                {
                    _cachedBytes -= blockBytes;
                    _reused++;
                    return (float*)stack.Pop();
                }
                _fresh++;
            }
        }
        var p = (float*)NativeMemory.AlignedAlloc((nuint)blockBytes, 64);
        if (p == null)
        {
            Trim();                                                        // give cached blocks back, then retry once
            p = (float*)NativeMemory.AlignedAlloc((nuint)blockBytes, 64);
            if (p == null) throw new OutOfMemoryException($"Cannot allocate {blockBytes} bytes for a tensor.");
        }
        NativeHeap.AdviseHugePages(p, blockBytes);
        return p;
    }

    /// <summary>
    /// While the returned scope is open, freed blocks go straight back to the allocator instead of the cache. Loading a
    /// model frees what it converts (drawn, widened or packed weights): pooling those would add up to the pool's cap to
    /// the load's peak, for blocks the stage never asks for again.
    /// </summary>
    public static BypassScope Bypass()
    {
        Interlocked.Increment(ref _bypassDepth);
        return new BypassScope();
    }

    /// <summary>Ends a <see cref="Bypass"/>.</summary>
    public readonly struct BypassScope : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref _bypassDepth);
    }

    internal static void Return(float* p, long blockBytes)
    {
        if (blockBytes >= MinPooledBytes && blockBytes <= CapacityBytes && Volatile.Read(ref _bypassDepth) == 0)
        {
            List<nint>? evicted = null;
            lock (_lock)
            {
                // A full cache makes room by freeing blocks of other sizes: the block just returned belongs to the
                // current working set, stale sizes from earlier work (another stage, another resolution) do not.
                foreach (var (size, other) in _free)
                {
                    if (_cachedBytes + blockBytes <= CapacityBytes) break;
                    if (size == blockBytes) continue;
                    while (other.Count > 0 && _cachedBytes + blockBytes > CapacityBytes)
                    {
                        (evicted ??= []).Add(other.Pop());
                        _cachedBytes -= size;
                    }
                }
                if (_cachedBytes + blockBytes <= CapacityBytes)
                {
                    if (!_free.TryGetValue(blockBytes, out var stack)) _free[blockBytes] = stack = new Stack<nint>();
                    stack.Push((nint)p);
                    _cachedBytes += blockBytes;
                    p = null;
                }
            }
            if (evicted != null) foreach (var block in evicted) NativeMemory.AlignedFree((void*)block);
            if (p == null) return;
        }
        NativeMemory.AlignedFree(p);
    }

    /// <summary>
    /// Frees every cached block (e.g. between pipeline stages, whose activation sizes differ) and asks the allocator to
    /// return free memory to the OS.
    /// </summary>
    public static void Trim()
    {
        List<nint> blocks = [];
        lock (_lock)
        {
            foreach (var stack in _free.Values) { blocks.AddRange(stack); stack.Clear(); }
            _free.Clear();
            _cachedBytes = 0;
        }
        foreach (var p in blocks) NativeMemory.AlignedFree((void*)p);
        NativeHeap.Release();
    }
}
