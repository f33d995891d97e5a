using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Tensors;

public class LinearTests
{
    private static Tensor RandomTensor(Random rng, params int[] shape)
    {
        var data = new float[ShapeUtil.Numel(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(data, shape);
    }

    /// <summary>Logical-order double-precision reference of y[r, o] = Σ x[r, i]·w[o, i] + b[o].</summary>
    private static float[] ReferenceLinear(float[] x, float[] w, float[]? b, int rows, int inF, int outF)
    {
        var y = new float[rows * outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = b?[o] ?? 0;
                for (int i = 0; i < inF; i++) s += (double)x[r * inF + i] * w[o * inF + i];
                y[r * outF + o] = (float)s;
            }
        return y;
    }

    /// <summary>matmul of logical-order batched operands, batch dims already expanded to <paramref name="batch"/>.</summary>
    private static float[] ReferenceMatMul(Tensor a, Tensor b, int[] batch)
    {
        int m = a.Size(-2), k = a.Size(-1), n = b.Size(-1);
        int[] aShape = [.. batch, m, k], bShape = [.. batch, k, n];
        var av = a.Expand(aShape).ToArray();
        var bv = b.Expand(bShape).ToArray();
        long batches = ShapeUtil.Numel(batch);
        var y = new float[batches * m * n];
        for (long t = 0; t < batches; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double)av[t * m * k + i * k + p] * bv[t * k * n + p * n + j];
                    y[(t * m + i) * n + j] = (float)s;
                }
        return y;
    }

    private static double Tolerance(int k) => 1e-6 * Math.Sqrt(Math.Max(k, 1)) * 4;

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 33, 97)]
    [InlineData(130, 65, 17)]
    [InlineData(77, 96, 130)]
    public void LinearMatchesReferenceWithBias(int rows, int inF, int outF)
    {
        var rng = new Random(rows * 1000 + inF);
        using var x = RandomTensor(rng, 1, rows, inF);
        using var w = RandomTensor(rng, outF, inF);
        using var b = RandomTensor(rng, outF);
        using var y = Ops.Linear(x, w, b);
        Assert.Equal(new[] { 1, rows, outF }, y.Shape.ToArray());
        var expected = ReferenceLinear(x.ToArray(), w.ToArray(), b.ToArray(), rows, inF, outF);
        TensorAssert.Close(expected, y.ToArray(), Tolerance(inF), 1e-5, $"linear {rows}x{inF}->{outF}");
    }

    [Fact]
    public void LinearAcceptsStridedInputTransposedWeightAndNoBias()
    {
        var rng = new Random(5);
        using var xStore = RandomTensor(rng, 33, 4, 7);   // x = permute → [4, 7, 33], strided
        var x = xStore.Permute(1, 2, 0);
        using var wStore = RandomTensor(rng, 33, 19);     // w = transpose → [19, 33], stride [1, 19]
        var w = wStore.Transpose(0, 1);
        using var y = Ops.Linear(x, w);
        Assert.Equal(new[] { 4, 7, 19 }, y.Shape.ToArray());
        var expected = ReferenceLinear(x.ToArray(), w.ToArray(), null, 28, 33, 19);
        TensorAssert.Close(expected, y.ToArray(), Tolerance(33), 1e-5, "strided linear");
    }

    [Fact]
    public void LinearOfAVectorAndOfAnEmptyInnerDim()
    {
        var rng = new Random(6);
        using var x = RandomTensor(rng, 9);
        using var w = RandomTensor(rng, 5, 9);
        using var y = Ops.Linear(x, w);
        Assert.Equal(new[] { 5 }, y.Shape.ToArray());
        TensorAssert.Close(ReferenceLinear(x.ToArray(), w.ToArray(), null, 1, 9, 5), y.ToArray(), Tolerance(9), 1e-5, "vector linear");

        using var x0 = Tensor.Zeros(3, 0);
        using var w0 = Tensor.Zeros(4, 0);
        using var b0 = Tensor.FromArray([1, 2, 3, 4], 4);
        using var y0 = Ops.Linear(x0, w0, b0);
        Assert.Equal([1f, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4], y0.ToArray());
    }

    [Theory]
    [InlineData(77, 96, 130, false)]
    [InlineData(5, 33, 7, true)]
    public void PackedWeightGivesTheSameLinear(int rows, int inF, int outF, bool transposedView)
    {
        var rng = new Random(rows + inF + outF);
        using var x = RandomTensor(rng, 2, rows, inF);
        using var store = transposedView ? RandomTensor(rng, inF, outF) : RandomTensor(rng, outF, inF);
        var w = transposedView ? store.Transpose(0, 1) : store;
        using var b = RandomTensor(rng, outF);
        using var packed = PackedLinearWeight.Pack(w);
        Assert.Equal((inF, outF), (packed.InFeatures, packed.OutFeatures));
        using var y = Ops.Linear(x, packed, b);
        Assert.Equal(new[] { 2, rows, outF }, y.Shape.ToArray());
        var expected = ReferenceLinear(x.ToArray(), w.ToArray(), b.ToArray(), 2 * rows, inF, outF);
        TensorAssert.Close(expected, y.ToArray(), Tolerance(inF), 1e-5, "packed linear");
        using var wrong = Tensor.Zeros(3, inF + 1);
        Assert.Throws<ArgumentException>(() => Ops.Linear(wrong, packed));
    }

    [Theory]
    [InlineData(1, 16, 8)]
    [InlineData(37, 16, 70)]
    [InlineData(130, 3, 33)]
    public void LinearAccumulateAddsTheProductToY(int rows, int inF, int outF)
    {
        var rng = new Random(rows + inF);
        using var y = RandomTensor(rng, rows, outF);
        using var x = RandomTensor(rng, rows, inF);
        using var w = RandomTensor(rng, outF, inF);
        var before = y.ToArray();
        var product = ReferenceLinear(x.ToArray(), w.ToArray(), null, rows, inF, outF);
        Ops.LinearAccumulate(y, x, w);
        var after = y.ToArray();
        for (int i = 0; i < after.Length; i++)
            Assert.Equal(before[i] + product[i], after[i], 1e-4f);
    }

    [Fact]
    public void LinearAccumulateRejectsMismatchedRowsNamingThem()
    {
        using var y = Tensor.Zeros(4, 3);
        using var x = Tensor.Zeros(5, 2);
        using var w = Tensor.Zeros(3, 2);
        var e = Assert.Throws<ArgumentException>(() => Ops.LinearAccumulate(y, x, w));
        Assert.Contains("rows", e.Message);
    }

    [Fact]
    public void LinearRejectsMismatchedShapesNamingThem()
    {
        using var x = Tensor.Zeros(2, 3);
        using var w = Tensor.Zeros(4, 5);
        var e = Assert.Throws<ArgumentException>(() => Ops.Linear(x, w));
        Assert.Contains("Tensor[4, 5]", e.Message);
        using var w2 = Tensor.Zeros(4, 3);
        using var b = Tensor.Zeros(3);
        Assert.Throws<ArgumentException>(() => Ops.Linear(x, w2, b));
    }

    [Fact]
    public void MatMulBroadcastsBatchDims()
    {
        var rng = new Random(7);
        using var a = RandomTensor(rng, 2, 1, 7, 33);
        using var b = RandomTensor(rng, 3, 33, 9);
        using var y = Ops.MatMul(a, b);
        Assert.Equal(new[] { 2, 3, 7, 9 }, y.Shape.ToArray());
        TensorAssert.Close(ReferenceMatMul(a, b, [2, 3]), y.ToArray(), Tolerance(33), 1e-5, "broadcast matmul");
    }

    [Fact]
    public void MatMulOfAttentionStyleTransposedViews()
    {
        // q @ kᵀ and a permuted q, as attention does: neither operand is contiguous.
        var rng = new Random(8);
        using var qStore = RandomTensor(rng, 2, 13, 3, 16);  // [B, L, H, D] → q [B, H, L, D]
        var q = qStore.Permute(0, 2, 1, 3);
        using var k = RandomTensor(rng, 2, 3, 11, 16);
        var kT = k.Transpose(-1, -2);                         // [B, H, D, L']
        using var y = Ops.MatMul(q, kT);
        Assert.Equal(new[] { 2, 3, 13, 11 }, y.Shape.ToArray());
        TensorAssert.Close(ReferenceMatMul(q, kT, [2, 3]), y.ToArray(), Tolerance(16), 1e-5, "q·kᵀ");
    }

    [Fact]
    public void MatMulGathersOperandsThatAreNeitherPlainNorTransposed()
    {
        var rng = new Random(9);
        using var row = RandomTensor(rng, 1, 5);
        var a = row.Expand(4, 5);                       // zero row stride: must be copied
        using var bStore = RandomTensor(rng, 5, 6, 2);  // b = [5, 6] view with column stride 2
        var b = bStore.Select(2, 1);
        using var y = Ops.MatMul(a, b);
        TensorAssert.Close(ReferenceMatMul(a, b, []), y.ToArray(), Tolerance(5), 1e-5, "gathered matmul");
    }

    [Fact]
    public void MatMulRejectsMismatchedInnerDims()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(4, 5);
        Assert.Throws<ArgumentException>(() => Ops.MatMul(a, b));
        using var v = Tensor.Zeros(3);
        Assert.Throws<ArgumentException>(() => Ops.MatMul(a, v));
    }
}
