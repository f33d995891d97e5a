namespace Wuerstchen.Kernels;

/// <summary>
/// The engine's worker threads. Every kernel parallelises through <see cref="For"/> so the thread count
/// (the CLI's --threads) is honoured everywhere and nested parallel regions never oversubscribe.
/// PLACEHOLDER built on Parallel.For; the kernels owner may replace it with a dedicated spinning pool.
/// </summary>
public static class Threads
{
    private static int _count = Environment.ProcessorCount;
    [ThreadStatic] private static bool _inside;

    /// <summary>Number of threads kernels may use (default: all logical processors).</summary>
    public static int Count
    {
        get => _count;
        set => _count = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "Thread count must be >= 1.");
    }

    /// <summary>Threads a parallel region started here would get: <see cref="Count"/>, or 1 inside another region.</summary>
    public static int Available => _inside ? 1 : _count;

    /// <summary>Runs body(i) for i in [0, count), split across the engine's threads. Runs serially inside another parallel region.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || _count == 1 || _inside)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        System.Threading.Tasks.Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _count }, i =>
        {
            bool was = _inside;
            _inside = true;
            try { body(i); } finally { _inside = was; }
        });
    }
}
