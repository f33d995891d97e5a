using Wuerstchen.Kernels;

namespace Wuerstchen.Tests.Kernels;

[CollectionDefinition(nameof(ThreadsTests), DisableParallelization = true)]
public class ThreadsCollection;

/// <summary>
/// The pool is process-wide, so these tests run alone (other test classes would otherwise hold it and
/// push the regions under test onto the serial path).
/// </summary>
[Collection(nameof(ThreadsTests))]
public class ThreadsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void EveryIndexRunsExactlyOnce(int count)
    {
        var hits = new int[count];
        Threads.For(count, i => Interlocked.Increment(ref hits[i]));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void TwoThreadsRunConcurrently()
    {
        int saved = Threads.Count;
        Threads.Count = 2;
        try
        {
            // Each of the two indices waits for the other: this completes only if they run at the same time.
            using var barrier = new Barrier(2);
            var met = new bool[2];
            Threads.For(2, i => met[i] = barrier.SignalAndWait(TimeSpan.FromSeconds(10)));
            Assert.Equal([true, true], met);
        }
        finally { Threads.Count = saved; }
    }

    [Fact]
    public void NestedRegionsRunSeriallyOnTheirCaller()
    {
        int saved = Threads.Count;
        Threads.Count = 2;
        try
        {
            var outerThreads = new int[2];
            var innerOnOtherThread = 0;
            var innerAvailable = new int[2];
            Threads.For(2, i =>
            {
                outerThreads[i] = Environment.CurrentManagedThreadId;
                innerAvailable[i] = Threads.Available;
                Threads.For(50, _ =>
                {
                    if (Environment.CurrentManagedThreadId != outerThreads[i]) Interlocked.Increment(ref innerOnOtherThread);
                });
            });
            Assert.Equal(0, innerOnOtherThread);
            Assert.Equal([1, 1], innerAvailable);
            Assert.Equal(2, Threads.Available);
        }
        finally { Threads.Count = saved; }
    }

    [Fact]
    public void AnExceptionSurfacesAndThePoolStaysUsable()
    {
        int saved = Threads.Count;
        Threads.Count = 2;
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() =>
                Threads.For(100, i => { if (i == 5) throw new InvalidOperationException("index 5"); }));
            Assert.Equal("index 5", e.Message);
            int sum = 0;
            Threads.For(100, i => Interlocked.Add(ref sum, i));
            Assert.Equal(4950, sum);
        }
        finally { Threads.Count = saved; }
    }

    [Fact]
    public async Task ConcurrentCallersBothComplete()
    {
        int saved = Threads.Count;
        Threads.Count = 2;
        try
        {
            // Two outside threads compete for the pool; the loser runs serially, and nobody deadlocks.
            long total = 0;
            var callers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                for (int r = 0; r < 200; r++) Threads.For(8, i => Interlocked.Add(ref total, i));
            })).ToArray();
            await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(2 * 200 * 28, total);
        }
        finally { Threads.Count = saved; }
    }

    [Fact]
    public void StatisticsCountRegionsAndWaits()
    {
        int saved = Threads.Count;
        Threads.Count = 2;
        try
        {
            var before = Threads.Statistics;
            for (int r = 0; r < 20; r++) Threads.For(2, _ => Thread.SpinWait(50));
            Threads.For(1, _ => { });                                  // one task: runs serially, not a region
            // A region after a long gap: the worker has blocked meanwhile and must be woken (or the job revoked).
            Thread.Sleep(20);
            int ran = 0;
            Threads.For(4, _ => Interlocked.Increment(ref ran));
            var d = Threads.Statistics - before;
            Assert.Equal(4, ran);
            Assert.Equal(21, d.Regions);
            Assert.True(d.WorkerBlocks >= 1, $"the worker never blocked during a 20 ms gap: {d}");
            Assert.True(d.WorkerWaitSeconds >= 0 && d.CallerWaitSeconds >= 0 && d.CallerBlockedSeconds >= 0, d.ToString());
            Assert.True(d.Revoked <= d.Regions, d.ToString());
        }
        finally { Threads.Count = saved; }
    }

    [Fact]
    public void ManyShortRegionsAfterIdleGapsAllComplete()
    {
        int saved = Threads.Count;
        Threads.Count = 2;
        try
        {
            // Alternating gaps make the worker's adaptive poll grow and shrink; every index must still run once.
            long total = 0;
            for (int r = 0; r < 60; r++)
            {
                if (r % 10 == 0) Thread.Sleep(2);
                Threads.For(16, i => Interlocked.Add(ref total, i));
            }
            Assert.Equal(60 * 120, total);
        }
        finally { Threads.Count = saved; }
    }

    [Fact]
    public void CountMustBePositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Threads.Count = 0);
    }
}
