using Wuerstchen.Autograd;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Models.Nn;

/// <summary>
/// Inference runs Stage A's channel MLP a block of pixels at a time (so its 4×-wide activation never exists whole);
/// the result must be that of the whole-tensor path the tape records, on inputs spanning several ragged blocks.
/// </summary>
public class MixingResidualBlockTests
{
    [Fact]
    public void RowBlockedInferenceEqualsTheWholeTensorPath()
    {
        using var ws = WeightSource.Random(21);
        using var block = new MixingResidualBlock(ws.Scope("m"), 8, 32);
        using var source = ws.Get("input", 1, 67, 131, 8);                 // 8777 pixels: two full blocks and a ragged one
        using var x = Ops.Mul(source, 3f);
        Assert.True(x.Numel / 8 > 2 * MixingResidualBlock.RowBlock);

        using var blocked = block.Forward(x);
        x.RequiresGrad = true;
        using var tape = Tape.Record();
        using var whole = block.Forward(x);
        TensorAssert.Close(whole, blocked, 1e-6, 1e-6, "row-blocked channel MLP");
    }
}
