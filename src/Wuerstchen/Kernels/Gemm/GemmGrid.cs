namespace Wuerstchen.Kernels;

/// <summary>
/// How C is cut into RowParts × ColParts rectangles, one per <see cref="Threads.For"/> task. Cuts fall on
/// micro-tile boundaries (and so on prepacked panel boundaries), and each task packs its own blocks, so the
/// tasks share nothing and need no barrier.
/// </summary>
internal readonly record struct GemmGrid(int RowParts, int ColParts)
{
    /// <summary>Below this a second thread costs more to wake than it saves (≈ 10 µs of one core's work).</summary>
    public const long MinParallelFlops = 1L << 21;

    public int Count => RowParts * ColParts;

    /// <summary>
    /// The split of <paramref name="threads"/> into rows × columns that wastes the fewest tile slots,
    /// preferring column splits on ties: each thread then reads only its share of B (the weight, for Linear).
    /// </summary>
    public static GemmGrid Choose(int m, int n, int k, int mr, int nr, int threads)
    {
        if (2L * m * n * Math.Max(k, 1) < MinParallelFlops) return new(1, 1);
        int mt = CeilDiv(m, mr), nt = CeilDiv(n, nr);
        for (int t = Math.Min(threads, mt * nt); t > 1; t--)
        {
            GemmGrid best = default;
            double bestEfficiency = 0;
            for (int cp = 1; cp <= t; cp++)
            {
                if (t % cp != 0) continue;
                int rp = t / cp;
                if (rp > mt || cp > nt) continue;
                double efficiency = mt / (double)(rp * CeilDiv(mt, rp)) * (nt / (double)(cp * CeilDiv(nt, cp)));
                if (efficiency >= bestEfficiency - 1e-12) { best = new(rp, cp); bestEfficiency = Math.Max(efficiency, bestEfficiency); }
            }
            if (best.Count > 0) return best;
        }
        return new(1, 1);
    }

    /// <summary>Rows [start, end) of task <paramref name="task"/>.</summary>
    public (int Start, int End) Rows(int task, int m, int mr) => Range(task / ColParts, RowParts, m, mr);

    /// <summary>Columns [start, end) of task <paramref name="task"/>.</summary>
    public (int Start, int End) Cols(int task, int n, int nr) => Range(task % ColParts, ColParts, n, nr);

    private static (int, int) Range(int part, int parts, int extent, int unit)
    {
        long tiles = CeilDiv(extent, unit);
        int start = (int)(tiles * part / parts) * unit;
        int end = (int)Math.Min(extent, tiles * (part + 1) / parts * unit);
        return (start, end);
    }

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;
}
