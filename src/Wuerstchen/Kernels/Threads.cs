using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Wuerstchen.Kernels;

/// <summary>
/// The engine's worker threads. Every kernel parallelises through <see cref="For"/> so the thread count
/// (the CLI's --threads) is honoured everywhere and nested parallel regions never oversubscribe: a region
/// started inside another one, or while another thread holds the pool, runs serially on its caller.
/// The pool is <see cref="Count"/> − 1 dedicated background threads plus the caller. Between regions a
/// worker spins for a few tens of microseconds before it blocks, because kernels come in bursts (a GEMM,
/// a norm, a GEMM…) and waking a blocked thread costs more than most of the regions it would serve.
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
            long deadline = Stopwatch.GetTimestamp() + WorkerPool.SpinTicks;
            while (Volatile.Read(ref _pendingHelpers) != 0)
            {
                if (Stopwatch.GetTimestamp() > deadline) { _helpersDone.Wait(); break; }
                Thread.SpinWait(8);
            }
            if (_error is not null) ExceptionDispatchInfo.Capture(_error).Throw();
        }
    }

    private sealed class WorkerPool
    {
        public static readonly WorkerPool Shared = new();

        /// <summary>How long an idle thread spins before blocking (worker between jobs, caller waiting for helpers).</summary>
        public static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 µs

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
                    if (_workers[w].Revoke(job)) job.HelperFinished();
                job.WaitForHelpers();
            }
            finally { Volatile.Write(ref _busy, 0); }
            return true;
        }
    }

    private sealed class Worker
    {
        private Job? _job;
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);

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

        /// <summary>Takes back a posted job the worker has not started; true if it was still waiting.</summary>
        public bool Revoke(Job job) => Interlocked.CompareExchange(ref _job, null, job) == job;

        private void Loop()
        {
            while (true)
            {
                // Reset before looking for work: a Post after this point either is seen below or sets the event again.
                _wake.Reset();
                long deadline = Stopwatch.GetTimestamp() + WorkerPool.SpinTicks;
                Job? job;
                while (Volatile.Read(ref _job) is null && Stopwatch.GetTimestamp() <= deadline)
                    Thread.SpinWait(8);
                job = Interlocked.Exchange(ref _job, null);
                if (job is null)
                {
                    _wake.Wait();
                    continue;
                }
                job.Work();
                job.HelperFinished();
            }
        }
    }
}
