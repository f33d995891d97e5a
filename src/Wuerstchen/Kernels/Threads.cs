using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Wuerstchen.Kernels;

/// <summary>
/// The engine's worker threads. Every kernel parallelises through <see cref="For"/> so the thread count
/// (the CLI's --threads) is honoured everywhere and nested parallel regions never oversubscribe: a region
/// started inside another one, or while another thread holds the pool, runs serially on its caller.
/// The pool is <see cref="Count"/> − 1 dedicated background threads plus the caller.
/// <para>
/// Waiting (a worker between regions, the caller for its helpers) is spin, then yield, then block: kernels come
/// in bursts (a GEMM, a norm, a GEMM…) and waking a blocked thread costs more than most of the regions it would
/// serve, so a few microseconds of spinning pay; but a spinning thread holds a core that, on a machine with more
/// runnable threads than cores, the thread it waits for may need, so the longer part of the wait yields the core
/// between polls. Each worker also adapts how long it polls to the gaps between regions it sees: when regions keep
/// arriving later than any poll would last, polling is pure waste and the worker soon blocks at once.
/// </para>
/// </summary>
public static class Threads
{
    private static int _count = Environment.ProcessorCount;
    [ThreadStatic] private static bool _inside;

    /// <summary>Number of threads kernels may use (default: all logical processors).</summary>
    public static int Count
    {
        get => _count;
        set => _count = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Thread count must be >= 1.");
    }

    /// <summary>Threads a parallel region started here would get: <see cref="Count"/>, or 1 inside another region.</summary>
    public static int Available => _inside ? 1 : _count;

    /// <summary>What the pool has done since the process started or the last <see cref="ResetStatistics"/>.</summary>
    public static ThreadStatistics Statistics => Counters.Snapshot();

    /// <summary>Zeroes <see cref="Statistics"/>.</summary>
    public static void ResetStatistics() => Counters.Reset();

    /// <summary>
    /// Runs body(i) for i in [0, count), split across the engine's threads; indices are handed out one at a
    /// time, so uneven tasks balance. Runs serially inside another parallel region. If a body throws, the
    /// remaining indices are skipped and the first exception is rethrown here once all threads have stopped.
    /// </summary>
    public static void For(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        int threads = Math.Min(_count, count);
        if (threads == 1 || _inside || !WorkerPool.Shared.TryRun(count, threads, body))
            RunSerially(count, body);
    }

    private static void RunSerially(int count, Action<int> body)
    {
        bool was = _inside;
        _inside = true;
        try
        {
            for (int i = 0; i < count; i++) body(i);
        }
        finally { _inside = was; }
    }

    /// <summary>
    /// Waits until <paramref name="done"/> holds: spins for <paramref name="spinTicks"/>, then yields the core between
    /// polls until <paramref name="yieldTicks"/> have passed since the start; false if the condition still fails then
    /// (the caller blocks). Returns the ticks spent in <paramref name="spent"/>.
    /// </summary>
    private static bool SpinThenYield<TState>(TState state, Func<TState, bool> done, long spinTicks, long yieldTicks, out long spent)
    {
        long start = Stopwatch.GetTimestamp(), now = start;
        bool result = true;
        while (!done(state))
        {
            now = Stopwatch.GetTimestamp();
            long waited = now - start;
            if (waited > yieldTicks) { result = false; break; }
            if (waited <= spinTicks) Thread.SpinWait(8);
            else Thread.Yield();
        }
        spent = now - start;
        return result;
    }

    /// <summary>One parallel region: an index counter the participants draw from, and a count of helpers still running.</summary>
    private sealed class Job(Action<int> body, int count, int helpers)
    {
        private int _next = -1;
        private int _pendingHelpers = helpers;
        private Exception? _error;
        // Never disposed: a helper may still be inside Set() when the caller has already seen the count reach 0,
        // and a ManualResetEventSlim that was never asked for its WaitHandle holds no OS resource.
        private readonly ManualResetEventSlim _helpersDone = new(false, spinCount: 1);

        public void Work()
        {
            bool was = _inside;
            _inside = true;
            try
            {
                int i;
                while ((i = Interlocked.Increment(ref _next)) < count)
                {
                    try { body(i); }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref _error, e, null);
                        Volatile.Write(ref _next, count); // stop handing out indices
                    }
                }
            }
            finally { _inside = was; }
        }

        public void HelperFinished()
        {
            if (Interlocked.Decrement(ref _pendingHelpers) == 0) _helpersDone.Set();
        }

        /// <summary>The caller's wait for its helpers: they are usually a few microseconds behind, so spin first.</summary>
        public void WaitForHelpers()
        {
            if (Volatile.Read(ref _pendingHelpers) != 0)
            {
                bool finished = SpinThenYield(this, static job => Volatile.Read(ref job._pendingHelpers) == 0, WorkerPool.SpinTicks, WorkerPool.YieldTicks, out long spent);
                Counters.Add(ref Counters.CallerWaitTicks, spent);
                if (!finished)
                {
                    Counters.Add(ref Counters.CallerBlocks, 1);
                    long blocked = Stopwatch.GetTimestamp();
                    _helpersDone.Wait();
                    Counters.Add(ref Counters.CallerBlockedTicks, Stopwatch.GetTimestamp() - blocked);
                }
            }
            if (_error is not null) ExceptionDispatchInfo.Capture(_error).Throw();
        }
    }

    private sealed class WorkerPool
    {
        public static readonly WorkerPool Shared = new();

        /// <summary>How long a waiting thread spins on the core before it starts yielding it (5 µs).</summary>
        public static readonly long SpinTicks = Stopwatch.Frequency / 200_000;

        /// <summary>How long a waiting thread polls in all (spinning, then yielding) before it blocks (50 µs).</summary>
        public static readonly long YieldTicks = Stopwatch.Frequency / 20_000;

        /// <summary>The longest a worker's adapted poll between regions may grow (200 µs).</summary>
        public static readonly long MaxPollTicks = Stopwatch.Frequency / 5_000;

        private readonly List<Worker> _workers = [];
        private int _busy;

        /// <summary>Runs the region on this thread and <paramref name="threads"/> − 1 workers; false if another thread holds the pool.</summary>
        public bool TryRun(int count, int threads, Action<int> body)
        {
            if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
            try
            {
                while (_workers.Count < threads - 1) _workers.Add(new Worker(_workers.Count + 1));
                var job = new Job(body, count, threads - 1);
                for (int w = 0; w < threads - 1; w++) _workers[w].Post(job);
                job.Work();
                // All indices are handed out. A worker that has not picked the job up yet (descheduled, or still
                // waking) is not waited for: take the job back from it instead.
                for (int w = 0; w < threads - 1; w++)
                    if (_workers[w].Revoke(job))
                    {
                        Counters.Add(ref Counters.Revoked, 1);
                        job.HelperFinished();
                    }
                job.WaitForHelpers();
                Counters.Add(ref Counters.Regions, 1);
            }
            finally { Volatile.Write(ref _busy, 0); }
            return true;
        }
    }

    private sealed class Worker
    {
        private Job? _job;
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
        // How long this worker polls for the next region before it blocks, adapted to the gaps it sees: a gap it
        // had to block through but that was short grows the poll (up to MaxPollTicks); a long one halves it.
        private long _pollTicks = WorkerPool.YieldTicks;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Wuerstchen worker {index}" };
            thread.Start();
        }

        public void Post(Job job)
        {
            Volatile.Write(ref _job, job);
            _wake.Set();
        }

        private static bool HasJob(Worker w) => Volatile.Read(ref w._job) is not null;

        /// <summary>Takes back a posted job the worker has not started; true if it was still waiting.</summary>
        public bool Revoke(Job job) => Interlocked.CompareExchange(ref _job, null, job) == job;

        private void Loop()
        {
            while (true)
            {
                // Reset before looking for work: a Post after this point either is seen below or sets the event again.
                _wake.Reset();
                long start = Stopwatch.GetTimestamp();
                bool found = HasJob(this);
                if (!found && _pollTicks > 0)
                {
                    found = SpinThenYield(this, HasJob, WorkerPool.SpinTicks, _pollTicks, out long spent);
                    Counters.Add(ref Counters.WorkerWaitTicks, spent);
                }
                var job = Interlocked.Exchange(ref _job, null);
                if (job is null)
                {
                    if (found) continue;                       // posted and revoked while we looked: poll again
                    Counters.Add(ref Counters.WorkerBlocks, 1);
                    _wake.Wait();
                    long gap = Stopwatch.GetTimestamp() - start;
                    _pollTicks = gap <= WorkerPool.MaxPollTicks
                        ? Math.Min(WorkerPool.MaxPollTicks, Math.Max(_pollTicks, gap + gap / 2))
                        : _pollTicks / 2;
                    continue;
                }
                job.Work();
                job.HelperFinished();
            }
        }
    }

    /// <summary>Process-wide pool counters behind <see cref="Statistics"/>.</summary>
    private static class Counters
    {
        public static long Regions, Revoked, WorkerBlocks, CallerBlocks, WorkerWaitTicks, CallerWaitTicks, CallerBlockedTicks;

        public static void Add(ref long counter, long value) => Interlocked.Add(ref counter, value);

        public static ThreadStatistics Snapshot() => new(
            Volatile.Read(ref Regions), Volatile.Read(ref Revoked), Volatile.Read(ref WorkerBlocks), Volatile.Read(ref CallerBlocks),
            Seconds(ref WorkerWaitTicks), Seconds(ref CallerWaitTicks), Seconds(ref CallerBlockedTicks));

        private static double Seconds(ref long ticks) => Volatile.Read(ref ticks) / (double)Stopwatch.Frequency;

        public static void Reset()
        {
            Regions = Revoked = WorkerBlocks = CallerBlocks = WorkerWaitTicks = CallerWaitTicks = CallerBlockedTicks = 0;
            Interlocked.MemoryBarrier();
        }
    }
}

/// <summary>
/// Counters of <see cref="Threads"/>' pool: <paramref name="Regions"/> run on more than one thread,
/// <paramref name="Revoked"/> hand-outs taken back from a worker that had not started (the caller did its share),
/// <paramref name="WorkerBlocks"/> / <paramref name="CallerBlocks"/> waits that ended blocked in the OS, and the
/// seconds spent polling (spinning or yielding) by workers between regions and by callers waiting for helpers,
/// and the seconds callers spent blocked until their helpers finished (the region's imbalance beyond the poll).
/// </summary>
public readonly record struct ThreadStatistics(long Regions, long Revoked, long WorkerBlocks, long CallerBlocks,
    double WorkerWaitSeconds, double CallerWaitSeconds, double CallerBlockedSeconds)
{
    public static ThreadStatistics operator -(ThreadStatistics a, ThreadStatistics b) => new(
        a.Regions - b.Regions, a.Revoked - b.Revoked, a.WorkerBlocks - b.WorkerBlocks, a.CallerBlocks - b.CallerBlocks,
        a.WorkerWaitSeconds - b.WorkerWaitSeconds, a.CallerWaitSeconds - b.CallerWaitSeconds, a.CallerBlockedSeconds - b.CallerBlockedSeconds);
}
