using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Tensors;

public class OpsShapeTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void CatConcatenatesContiguousAndStridedInputsAlongAnyDim(int dim)
    {
        int d = dim < 0 ? dim + 3 : dim;
        int[] Shape(int size) { var s = new[] { 3, 4, 5 }; s[d] = size; return s; }
        using var a = Random(50, Shape(2));
        var b = RandomStrided(51, Shape(1));
        using var c = Random(52, Shape(3));
        using var y = Ops.Cat([a, b, c], dim);
        Assert.Equal(Shape(6), y.Shape.ToArray());
        var parts = new[] { a, b, c };
        var vals = parts.Select(p => p.ToArray()).ToArray();
        var yv = y.ToArray();
        for (int i = 0; i < yv.Length; i++)
        {
            var idx = Unravel(i, Shape(6));
            int k = 0, at = idx[d];
            while (at >= parts[k].Shape[d]) { at -= parts[k].Shape[d]; k++; }
            idx[d] = at;
            Assert.Equal(vals[k][Ravel(idx, parts[k].Shape)], yv[i]);
        }
    }

    [Fact]
    public void CatRejectsMismatchedShapes()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(2, 4);
        var e = Assert.Throws<ArgumentException>(() => Ops.Cat([a, b], 0));
        Assert.Contains("Cat", e.Message);
        Assert.Contains("[2, 4]", e.Message);
    }

    [Theory]
    [InlineData(2, 3, 5, 7, 2)]
    [InlineData(1, 2, 3, 4, 3)]
    public void PixelShuffleFollowsTorchsIndexFormulaAndUnshuffleInvertsIt(int n, int c, int h, int w, int r)
    {
        using var x = Random(53, [n, c * r * r, h, w]);
        using var y = Ops.PixelShuffle(x, r);
        Assert.Equal(new[] { n, c, h * r, w * r }, y.Shape.ToArray());
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int yy = 0; yy < h * r; yy++)
                    for (int xx = 0; xx < w * r; xx++)
                        Assert.Equal(x[b, ch * r * r + yy % r * r + xx % r, yy / r, xx / r], y[b, ch, yy, xx]);
        using var back = Ops.PixelUnshuffle(y, r);
        Assert.Equal(x.ToArray(), back.ToArray());
        var strided = RandomStrided(54, [n, c, h * r, w * r]);
        using var un = Ops.PixelUnshuffle(strided, r);
        using var again = Ops.PixelShuffle(un, r);
        Assert.Equal(strided.ToArray(), again.ToArray());
    }

    [Fact]
    public void PixelShuffleRejectsIndivisibleShapes()
    {
        using var x = Tensor.Zeros(1, 6, 2, 2);
        Assert.Contains("PixelShuffle", Assert.Throws<ArgumentException>(() => Ops.PixelShuffle(x, 2)).Message);
        Assert.Contains("PixelUnshuffle", Assert.Throws<ArgumentException>(() => Ops.PixelUnshuffle(Tensor.Zeros(1, 1, 3, 4), 2)).Message);
    }

    [Fact]
    public void EmbeddingGathersRowsAndRejectsOutOfRangeIds()
    {
        using var table = Random(55, [10, 6]);
        int[] ids = [3, 0, 9, 3, 7, 1];
        using var y = Ops.Embedding(table, ids, [2, 3]);
        Assert.Equal(new[] { 2, 3, 6 }, y.Shape.ToArray());
        for (int i = 0; i < ids.Length; i++)
            for (int j = 0; j < 6; j++)
                Assert.Equal(table[ids[i], j], y[i / 3, i % 3, j]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(table, [10], [1]));
        Assert.Contains("10", e.Message);
    }

    [Theory]
    [InlineData(2, 3, 4, 5)]
    [InlineData(1, 70, 9, 11)]   // partial 32×32 tiles on both sides
    public void ChannelsLastRoundTrip(int n, int c, int h, int w)
    {
        var x = RandomStrided(56, [n, c, h, w]);
        using var cl = Ops.ToChannelsLast(x);
        Assert.Equal(new[] { n, h, w, c }, cl.Shape.ToArray());
        Assert.Equal(x.Permute(0, 2, 3, 1).ToArray(), cl.ToArray());
        using var back = Ops.ToChannelsFirst(cl);
        Assert.Equal(x.ToArray(), back.ToArray());
    }
}
