using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Tensors;

public class OpsReduceTests
{
    /// <summary>Double reference: reduces x (logical values, shape) over dims with f ∈ {sum, mean, norm2, max}.</summary>
    private static double[] Reference(float[] x, int[] shape, int[] dims, string f, out int[] outShape)
    {
        var reduced = new bool[shape.Length];
        if (dims.Length == 0) Array.Fill(reduced, true);
        foreach (var d in dims) reduced[d < 0 ? d + shape.Length : d] = true;
        var kept = Enumerable.Range(0, shape.Length).Where(d => !reduced[d]).ToArray();
        outShape = kept.Select(d => shape[d]).ToArray();
        long outN = outShape.Aggregate(1L, (a, b) => a * b);
        var acc = new double[outN];
        var count = new long[outN];
        if (f == "max") Array.Fill(acc, double.NegativeInfinity);
        for (long i = 0; i < x.Length; i++)
        {
            var idx = Unravel(i, shape);
            long o = Ravel(kept.Select(d => idx[d]).ToArray(), outShape);
            count[o]++;
            acc[o] = f switch
            {
                "max" => Math.Max(acc[o], x[i]),
                "norm2" => acc[o] + (double)x[i] * x[i],
                _ => acc[o] + x[i],
            };
        }
        for (long o = 0; o < outN; o++)
            acc[o] = f switch { "mean" => acc[o] / count[o], "norm2" => Math.Sqrt(acc[o]), _ => acc[o] };
        return acc;
    }

    public static TheoryData<int[], int[]> Cases => new()
    {
        { [3, 5, 7, 9], [3] },
        { [3, 5, 7, 9], [2, 3] },        // spatial mean of NCHW
        { [3, 5, 7, 9], [1, 2] },        // middle run (GRN-like)
        { [3, 5, 7, 9], [1] },
        { [3, 5, 7, 9], [0, 2] },        // not a run: gathered
        { [3, 5, 7, 9], [-1, 0] },
        { [3, 5, 7, 9], [] },            // everything
        { [4, 1, 6], [1] },              // size-1 dim only
        { [2, 3000], [1] },              // several blocks per row
        { [5000, 3], [0] },              // long column
        { [17], [0] },
    };

    [Theory, MemberData(nameof(Cases))]
    public void SumMeanNorm2AndMaxMatchDoubleReferences(int[] shape, int[] dims)
    {
        using var x = Random(20, shape);
        var values = x.ToArray();
        foreach (var f in new[] { "sum", "mean", "norm2", "max" })
        {
            if (f == "max" && dims.Length != 1) continue;
            var expected = Reference(values, shape, dims, f, out var outShape);
            foreach (bool keep in new[] { false, true })
            {
                using var y = f switch
                {
                    "sum" => Ops.Sum(x, dims, keep),
                    "mean" => Ops.Mean(x, dims, keep),
                    "norm2" => Ops.Norm2(x, dims, keep),
                    _ => Ops.Max(x, dims[0], keep),
                };
                if (keep)
                {
                    var keptShape = shape.Select((s, d) => dims.Length == 0 || dims.Any(r => (r < 0 ? r + shape.Length : r) == d) ? 1 : s).ToArray();
                    Assert.Equal(keptShape, y.Shape.ToArray());
                }
                else Assert.Equal(outShape, y.Shape.ToArray());
                double scale = f == "sum" ? Math.Sqrt(values.Length) * 3 : 3;  // sums of ±3 values
                TensorAssert.Close(expected.Select(v => (float)v).ToArray(), y.ToArray(), 2e-7 * scale, 2e-6, $"{f} over [{string.Join(",", dims)}]");
            }
        }
    }

    [Fact]
    public void ReductionsAcceptStridedViews()
    {
        var x = RandomStrided(21, [6, 7, 8]);
        var values = x.ToArray();
        using var sum = Ops.Sum(x, [1]);
        using var max = Ops.Max(x, 2);
        TensorAssert.Close(Reference(values, [6, 7, 8], [1], "sum", out _).Select(v => (float)v).ToArray(), sum.ToArray(), 1e-5, 1e-6, "sum");
        Assert.Equal(Reference(values, [6, 7, 8], [2], "max", out _).Select(v => (float)v).ToArray(), max.ToArray());
    }

    [Fact]
    public void MaxPropagatesNaNAndBadDimsAreNamed()
    {
        using var x = Tensor.FromArray([1f, float.NaN, 3f, 4f, 5f, 6f], 2, 3);
        var m = Ops.Max(x, 1).ToArray();
        Assert.True(float.IsNaN(m[0]));
        Assert.Equal(6f, m[1]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Sum(x, [2]));
        Assert.Contains("Sum", e.Message);
        Assert.Throws<ArgumentException>(() => Ops.Mean(x, [1, -1]));
    }

    [Fact]
    public void ArgMaxAndArgMinFollowTorchOnTiesAndNaN()
    {
        using var x = Tensor.FromArray([3f, 1f, 3f, 1f, 2f, float.NaN, 5f, float.NaN], 2, 4);
        Assert.Equal([0, 1], Ops.ArgMax(x, 1));
        Assert.Equal([1, 1], Ops.ArgMin(x, 1));
        var y = RandomStrided(23, [5, 6, 7]);
        var values = y.ToArray();
        var argmin = Ops.ArgMin(y, 1);
        for (int a = 0; a < 5; a++)
            for (int c = 0; c < 7; c++)
            {
                int best = 0;
                for (int b = 1; b < 6; b++) if (values[(a * 6 + b) * 7 + c] < values[(a * 6 + best) * 7 + c]) best = b;
                Assert.Equal(best, argmin[a * 7 + c]);
            }
    }

    private static double[] SoftmaxReference(float[] x, int[] shape, int dim, bool log)
    {
        var y = new double[x.Length];
        int n = shape[dim];
        long inner = shape.Skip(dim + 1).Aggregate(1L, (a, b) => a * b);
        long outer = x.Length / (n * inner);
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                double max = double.NegativeInfinity;
                for (int k = 0; k < n; k++) max = Math.Max(max, x[(o * n + k) * inner + i]);
                double sum = 0;
                for (int k = 0; k < n; k++) sum += Math.Exp(x[(o * n + k) * inner + i] - max);
                for (int k = 0; k < n; k++)
                {
                    double v = x[(o * n + k) * inner + i] - max;
                    y[(o * n + k) * inner + i] = log ? v - Math.Log(sum) : Math.Exp(v) / sum;
                }
            }
        return y;
    }

    [Theory]
    [InlineData(new[] { 7, 1 }, 1)]
    [InlineData(new[] { 3, 17 }, 1)]
    [InlineData(new[] { 2, 5, 77 }, -1)]
    [InlineData(new[] { 2, 5, 77 }, 1)]
    [InlineData(new[] { 4, 3, 6, 5 }, 0)]
    [InlineData(new[] { 3, 4100 }, 1)]
    public void SoftmaxAndLogSoftmaxMatchDoubleReferences(int[] shape, int dim)
    {
        using var x = Random(22, shape, -20f, 20f);
        var values = x.ToArray();
        int d = dim < 0 ? dim + shape.Length : dim;
        using var s = Ops.Softmax(x, dim);
        using var ls = Ops.LogSoftmax(x, dim);
        TensorAssert.Close(SoftmaxReference(values, shape, d, false).Select(v => (float)v).ToArray(), s.ToArray(), 1e-9, 2e-6, "softmax");
        TensorAssert.Close(SoftmaxReference(values, shape, d, true).Select(v => (float)v).ToArray(), ls.ToArray(), 2e-6, 1e-6, "log_softmax");
    }

    [Fact]
    public void SoftmaxTreatsMinusInfinityAsMaskedAndFullyMaskedRowsAsNaN()
    {
        float ninf = float.NegativeInfinity;
        using var x = Tensor.FromArray([0f, ninf, 0f, ninf, ninf, ninf], 2, 3);
        var y = Ops.Softmax(x, 1).ToArray();
        Assert.Equal([0.5f, 0f, 0.5f], y[..3]);
        Assert.All(y[3..], v => Assert.True(float.IsNaN(v)));
    }
}
