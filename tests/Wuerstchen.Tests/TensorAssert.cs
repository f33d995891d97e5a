using Wuerstchen.Tensors;

namespace Wuerstchen.Tests;

/// <summary>Elementwise comparison |actual − expected| ≤ atol + rtol·|expected| with a message that shows the worst element.</summary>
public static class TensorAssert
{
    public static void Close(Tensor expected, Tensor actual, double atol, double rtol, string what = "")
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape),
            $"{what}: shape {actual} differs from expected {expected}.");
        Close(expected.ToArray(), actual.ToArray(), atol, rtol, what);
    }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1; double worstExcess = 0, maxAbs = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i], d = Math.Abs(a - e);
            if (double.IsNaN(a) != double.IsNaN(e)) { worst = i; worstExcess = double.PositiveInfinity; break; }
            maxAbs = Math.Max(maxAbs, d);
            double excess = d - (atol + rtol * Math.Abs(e));
            if (excess > worstExcess) { worstExcess = excess; worst = i; }
        }
        Assert.True(worst < 0,
            worst < 0 ? "" : $"{what}: element {worst} is {actual[worst]}, expected {expected[worst]} (atol {atol}, rtol {rtol}); max abs diff {maxAbs}.");
    }
}
