namespace Wuerstchen.Kernels;

/// <summary>Softmax and log-softmax over the rows of a contiguous [rows, n] buffer (y may alias x).</summary>
public static unsafe class Softmax
{
    /// <summary>y = exp(x − max) / Σ exp(x − max) per row. A row of −∞ gives NaN, as in torch.</summary>
    public static void Rows(float* x, float* y, long rows, int n) => Run(x, y, rows, n, log: false);

    /// <summary>y = x − max − log Σ exp(x − max) per row.</summary>
    public static void LogRows(float* x, float* y, long rows, int n) => Run(x, y, rows, n, log: true);

    private static void Run(float* x, float* y, long rows, int n, bool log)
    {
        if (rows <= 0 || n <= 0) return;
        long rowsPerItem = Math.Max(1, Elementwise.ParallelGrain / n);
        long items = (rows + rowsPerItem - 1) / rowsPerItem;
        Threads.For((int)items, item =>
        {
            long last = Math.Min(rows, (item + 1) * rowsPerItem);
            for (long r = item * rowsPerItem; r < last; r++)
            {
                if (V512.IsAccelerated) Row<V512>(x + r * n, y + r * n, n, log);
                else if (V256.IsAccelerated) Row<V256>(x + r * n, y + r * n, n, log);
                else Row<V128>(x + r * n, y + r * n, n, log);
            }
        });
    }

    private static void Row<TV>(float* x, float* y, int n, bool log) where TV : unmanaged, ISimd<TV>
    {
        float max = Reductions.Max(x, n);
        var m = TV.Create(max);
        var sum = TV.Create(0f);
        int i = 0;
        if (log)
        {
            for (; i + TV.Count <= n; i += TV.Count) sum += VectorMath.Exp(TV.Load(x + i) - m);
        }
        else
        {
            for (; i + TV.Count <= n; i += TV.Count)
            {
                var e = VectorMath.Exp(TV.Load(x + i) - m);
                TV.Store(e, y + i);
                sum += e;
            }
        }
        if (i < n)
        {
            // Tail through a register padded with −∞, whose exponentials are 0.
            float* pad = stackalloc float[TV.Count];
            for (int j = 0; j < TV.Count; j++) pad[j] = i + j < n ? x[i + j] : float.NegativeInfinity;
            var e = VectorMath.Exp(TV.Load(pad) - m);
            sum += e;
            if (!log)
            {
                TV.Store(e, pad);
                for (int j = 0; i + j < n; j++) y[i + j] = pad[j];
            }
        }
        float total = TV.Sum(sum);
        if (log) Elementwise.MapSerial(new AddScalarOp(-(max + MathF.Log(total))), x, y, n);
        else Elementwise.MapSerial(new MulScalarOp(1f / total), y, y, n);
    }
}
