using Wuerstchen.Autograd;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Autograd.GradCheck;

namespace Wuerstchen.Tests.Autograd;

/// <summary>Backward of Sum, Mean, Norm2, Max, Softmax and LogSoftmax vs float64 finite differences.</summary>
public class ReduceGradTests
{
    private static readonly int[] Shape = [2, 3, 4];

    /// <summary>Reduces x [2,3,4] over the dims in <paramref name="dims"/> (all when empty) with a fold over each group.</summary>
    internal static Reference64 ReduceRef(int[] dims, Func<double[], double> fold, out int[] keptShape)
    {
        var mask = new bool[3];
        if (dims.Length == 0) Array.Fill(mask, true);
        foreach (var d in dims) mask[(d + 3) % 3] = true;
        var kept = Shape.Select((s, d) => mask[d] ? 1 : s).ToArray();
        keptShape = kept;
        return x =>
        {
            var groups = new List<double>[Numel(kept)];
            for (int i = 0; i < groups.Length; i++) groups[i] = [];
            for (int e = 0; e < 24; e++)
            {
                var idx = Unravel(e, Shape);
                for (int d = 0; d < 3; d++) if (mask[d]) idx[d] = 0;
                int k = 0;
                for (int d = 0; d < 3; d++) k = k * kept[d] + idx[d];
                groups[k].Add(x[0][e]);
            }
            return groups.Select(g => fold([.. g])).ToArray();
        };
    }

    public static TheoryData<int[], bool> DimCases => new()
    {
        { [], false }, { [1], false }, { [0, 2], true }, { [-1], true },
    };

    [Theory, MemberData(nameof(DimCases))]
    public void SumMeanNorm2(int[] dims, bool keepDim)
    {
        var rng = new System.Random(dims.Length * 3 + (keepDim ? 1 : 0));
        var x = Leaf(rng, Shape);
        foreach (var (name, fold) in new (string, Func<double[], double>)[]
        {
            ("Sum", v => v.Sum()), ("Mean", v => v.Average()), ("Norm2", v => Math.Sqrt(v.Sum(q => q * q))),
        })
        {
            var reference = ReduceRef(dims, fold, out var kept);
            var outShape = keepDim ? kept : Shape.Where((_, d) => kept[d] != 1 || Shape[d] == 1).ToArray();
            if (dims.Length == 0 && !keepDim) outShape = [];
            Check($"{name}({string.Join(",", dims)}, keepDim {keepDim})", [x], t =>
            {
                var y = Rounded(reference, t, outShape);
                if (name == "Sum") Recorder.Sum(y, t[0], dims, keepDim);
                else if (name == "Mean") Recorder.Mean(y, t[0], dims, keepDim);
                else Recorder.Norm2(y, t[0], dims, keepDim);
                return y;
            }, reference);
        }
    }

    [Fact]
    public void Norm2OfZeroGroupHasZeroGradient()
    {
        var x = Tensor.Zeros(2, 3); x.RequiresGrad = true;
        x[1, 0] = 3; x[1, 2] = 4;
        using var tape = Tape.Record();
        var y = Tensor.FromArray([0f, 5f], 2);
        Recorder.Norm2(y, x, [1], false);
        using var gy = Tensor.FromArray([1f, 1f], 2);
        tape.Backward(y, gy);
        Assert.Equal([0f, 0f, 0f, 0.6f, 0f, 0.8f], x.Grad!.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void MaxAlongDim(int dim)
    {
        var rng = new System.Random(40 + dim);
        var x = Leaf(rng, Shape);
        var (outer, size, inner) = (Shape[..dim].Aggregate(1, (a, b) => a * b), Shape[dim], Shape[(dim + 1)..].Aggregate(1, (a, b) => a * b));
        Reference64 reference = v =>
        {
            var y = new double[outer * inner];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                    y[o * inner + i] = Enumerable.Range(0, size).Max(k => v[0][(o * size + k) * inner + i]);
            return y;
        };
        var outShape = Shape.Where((_, d) => d != dim).ToArray();
        Check($"Max dim {dim}", [x], t =>
        {
            var y = Rounded(reference, t, outShape);
            Recorder.Max(y, t[0], dim, false);
            return y;
        }, reference);
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(1, false)]
    [InlineData(0, true)]
    [InlineData(2, true)]
    public void SoftmaxAndLogSoftmax(int dim, bool log)
    {
        var rng = new System.Random(50 + dim);
        var x = Leaf(rng, Shape, -3, 3);
        int d = (dim + 3) % 3;
        var (outer, size, inner) = (Shape[..d].Aggregate(1, (a, b) => a * b), Shape[d], Shape[(d + 1)..].Aggregate(1, (a, b) => a * b));
        Reference64 reference = v =>
        {
            var y = new double[24];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    double m = double.NegativeInfinity, s = 0;
                    for (int k = 0; k < size; k++) m = Math.Max(m, v[0][(o * size + k) * inner + i]);
                    for (int k = 0; k < size; k++) s += Math.Exp(v[0][(o * size + k) * inner + i] - m);
                    for (int k = 0; k < size; k++)
                    {
                        int e = (o * size + k) * inner + i;
                        y[e] = log ? v[0][e] - m - Math.Log(s) : Math.Exp(v[0][e] - m) / s;
                    }
                }
            return y;
        };
        Check($"{(log ? "LogSoftmax" : "Softmax")} dim {dim}", [x], t =>
        {
            var y = Rounded(reference, t, Shape);
            if (log) Recorder.LogSoftmax(y, t[0], dim); else Recorder.Softmax(y, t[0], dim);
            return y;
        }, reference);
    }
}
