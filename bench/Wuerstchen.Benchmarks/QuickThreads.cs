using System.Diagnostics;
using Wuerstchen.Kernels;

namespace Wuerstchen.Benchmarks;

/// <summary>
/// `-- threads`: the cost of one parallel region of trivial work, back to back (workers still spinning) and
/// after 1 ms idle (workers blocked), for Threads.For and for Parallel.For, which Threads replaced.
/// </summary>
public static class QuickThreads
{
    public static void Run(string[] args)
    {
        int threads = Math.Max(2, Threads.Count);
        Threads.Count = threads;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        var sink = new long[threads * 16];
        Action<int> body = i => sink[i * 16]++;
        Console.WriteLine($"{threads} threads, region = {threads} trivial tasks; best of 7 rounds, median in brackets");
        Report("Threads.For, back to back", () => Threads.For(threads, body), idle: false);
        Report("Parallel.For, back to back", () => Parallel.For(0, threads, options, body), idle: false);
        Report("Threads.For, after 1 ms idle", () => Threads.For(threads, body), idle: true);
        Report("Parallel.For, after 1 ms idle", () => Parallel.For(0, threads, options, body), idle: true);
        // Real work: each task busy for 20 µs, so a perfect split takes 20 µs and a serial one 20·threads.
        Action<int> work = _ => { long end = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 50_000; while (Stopwatch.GetTimestamp() < end) { } };
        Report("Threads.For, 20 µs tasks", () => Threads.For(threads, work), idle: false);
        Report("Parallel.For, 20 µs tasks", () => Parallel.For(0, threads, options, work), idle: false);
    }

    private static void Report(string name, Action region, bool idle)
    {
        int calls = idle ? 200 : 2_000;
        var rounds = new List<double>();
        for (int r = 0; r < 7; r++)
        {
            double total = 0;
            for (int c = 0; c < calls; c++)
            {
                if (idle) Thread.Sleep(1);
                long t0 = Stopwatch.GetTimestamp();
                region();
                total += Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }
            rounds.Add(total / calls);
        }
        rounds.Sort();
        Console.WriteLine($"{name,-32} {rounds[0],8:F2} µs  [{rounds[rounds.Count / 2]:F2}]");
    }
}
