using Wuerstchen.Autograd;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Autograd.GradCheck;

namespace Wuerstchen.Tests.Autograd;

/// <summary>Backward of Linear (F.linear) and batched MatMul vs float64 finite differences.</summary>
public class LinearGradTests
{
    internal static Reference64 LinearRef(int rows, int inF, int outF, bool bias) => x =>
    {
        var y = new double[rows * outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = bias ? x[2][o] : 0;
                for (int i = 0; i < inF; i++) s += x[0][r * inF + i] * x[1][o * inF + i];
                y[r * outF + o] = s;
            }
        return y;
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LinearWithLeadingDims(bool bias)
    {
        var rng = new System.Random(11);
        var x = Leaf(rng, [2, 3, 5]);
        var w = Leaf(rng, [7, 5]);
        var b = Leaf(rng, [7]);
        Tensor[] inputs = bias ? [x, w, b] : [x, w];
        Check("Linear", inputs, t =>
        {
            var y = Rounded(LinearRef(6, 5, 7, bias), t, 2, 3, 7);
            Recorder.Linear(y, t[0], t[1], bias ? t[2] : null);
            return y;
        }, LinearRef(6, 5, 7, bias));
    }

    [Fact]
    public void LinearStridedInputAndFrozenWeight()
    {
        var rng = new System.Random(12);
        using var xb = Leaf(rng, [5, 4], requiresGrad: false);
        var x = xb.Transpose(0, 1); // [4, 5] strided
        x.RequiresGrad = true;
        var w = Leaf(rng, [3, 5], requiresGrad: false);
        var b = Leaf(rng, [3]);
        Check("Linear strided x, frozen W", [x, w, b], t =>
        {
            var y = Rounded(LinearRef(4, 5, 3, true), t, 4, 3);
            Recorder.Linear(y, t[0], t[1], t[2]);
            return y;
        }, LinearRef(4, 5, 3, true));
    }

    internal static Reference64 MatMulRef(int[] sa, int[] sb)
    {
        var batch = ShapeUtil.Broadcast(sa[..^2], sb[..^2]);
        int m = sa[^2], k = sa[^1], n = sb[^1];
        int nb = Numel(batch);
        return x =>
        {
            var y = new double[nb * m * n];
            for (int bi = 0; bi < nb; bi++)
            {
                var bidx = Unravel(bi, batch);
                int OffA(int i, int j) => Offset(sa, bidx, i, j);
                int OffB(int i, int j) => Offset(sb, bidx, i, j);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double s = 0;
                        for (int p = 0; p < k; p++) s += x[0][OffA(i, p)] * x[1][OffB(p, j)];
                        y[(bi * m + i) * n + j] = s;
                    }
            }
            return y;
        };
    }

    /// <summary>Flat offset of element [batch…, i, j] in a (possibly batch-broadcast) operand.</summary>
    private static int Offset(int[] shape, int[] batchIndex, int i, int j)
    {
        var st = Strides(shape);
        int r = shape.Length, lead = batchIndex.Length - (r - 2), off = i * st[r - 2] + j * st[r - 1];
        for (int d = 0; d < r - 2; d++) off += (shape[d] == 1 ? 0 : batchIndex[d + lead]) * st[d];
        return off;
    }

    public static TheoryData<int[], int[]> MatMulCases => new()
    {
        { [3, 4], [4, 5] },
        { [2, 3, 4], [2, 4, 5] },
        { [2, 3, 4], [4, 5] },
        { [3, 1, 3, 4], [2, 4, 2] },
    };

    [Theory, MemberData(nameof(MatMulCases))]
    public void MatMulBroadcastBatch(int[] sa, int[] sb)
    {
        var rng = new System.Random(sa.Sum() + sb.Sum());
        var a = Leaf(rng, sa);
        var b = Leaf(rng, sb);
        var so = ShapeUtil.Broadcast(sa[..^2], sb[..^2]).Concat(new[] { sa[^2], sb[^1] }).ToArray();
        Check("MatMul", [a, b], t =>
        {
            var y = Rounded(MatMulRef(sa, sb), t, so);
            Recorder.MatMul(y, t[0], t[1]);
            return y;
        }, MatMulRef(sa, sb));
    }
}
