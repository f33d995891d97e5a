using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Tensors;

namespace Wuerstchen.Tests.Models.Nn;

public class FoldedLinearTests
{
    private const int Direct = 7, Mapped = 33, Narrow = 5, Out = 19;

    /// <summary>The unfolded computation, in double: W·[x; M·e + b_M] + b for every row.</summary>
    private static double[] Reference(Tensor x, Tensor e, Tensor w, Tensor b, InputMap map)
    {
        int rows = (int)(x.Numel / Direct);
        var xv = x.ToArray(); var ev = e.ToArray(); var wv = w.ToArray(); var bv = b.ToArray();
        var mv = map.Weight.ToArray(); var mb = map.Bias.ToArray();
        var y = new double[rows * Out];
        var input = new double[Direct + Mapped];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < Direct; i++) input[i] = xv[r * Direct + i];
            for (int j = 0; j < Mapped; j++)
            {
                double s = mb[j];
                for (int k = 0; k < Narrow; k++) s += (double)mv[j * Narrow + k] * ev[r * Narrow + k];
                input[Direct + j] = s;
            }
            for (int o = 0; o < Out; o++)
            {
                double s = bv[o];
                for (int i = 0; i < Direct + Mapped; i++) s += (double)wv[o * (Direct + Mapped) + i] * input[i];
                y[r * Out + o] = s;
            }
        }
        return y;
    }

    [Theory]
    [InlineData(ComputePrecision.F32, WeightPrecision.F32, 1e-5)]
    [InlineData(ComputePrecision.Reduced, WeightPrecision.Bf16, 2e-2)]
    public void Forward_EqualsTheLinearOfTheMappedInput(ComputePrecision compute, WeightPrecision weights, double tolerance)
    {
        using var map = TestTensors.Random(1, [Mapped, Narrow], -0.5f, 0.5f);
        using var mapBias = TestTensors.Random(2, [Mapped], -0.5f, 0.5f);
        var inputMap = new InputMap(map, mapBias);
        using var x = TestTensors.Random(3, [2, 3, 4, Direct], -1f, 1f);
        using var e = TestTensors.Random(4, [2, 3, 4, Narrow], -1f, 1f);
        using var ws = WeightSource.Random(11);
        using var plain = new Linear(ws.Scope("layer"), Direct + Mapped, Out);   // the same random weights, by key
        var expected = Reference(x, e, plain.Weight, plain.Bias!, inputMap);

        using var scope = Precision.Use(compute, weights);
        using var folded = new FoldedLinear(ws.Scope("layer"), Direct, inputMap, Out);
        using var y = folded.Forward(x, e);
        Assert.Equal([2, 3, 4, Out], y.Shape.ToArray());
        var actual = y.ToArray();
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"element {i}: {actual[i]} vs {expected[i]}");
    }

    [Fact]
    public void StateDict_KeepsTheStoredKeysAndShapes()
    {
        using var map = TestTensors.Random(1, [Mapped, Narrow]);
        using var mapBias = TestTensors.Random(2, [Mapped]);
        using var ws = WeightSource.Random(11);
        using var folded = new FoldedLinear(ws.Scope("layer"), Direct, new InputMap(map, mapBias), Out);
        var state = folded.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape.ToArray());
        Assert.Equal([Out, Direct + Mapped], state["layer.weight"]);
        Assert.Equal([Out], state["layer.bias"]);
    }
}
