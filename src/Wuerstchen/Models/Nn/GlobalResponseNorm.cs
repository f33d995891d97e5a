using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>ConvNeXt-V2 GlobalResponseNorm on channels-last input (SPEC §2.3): <c>gamma</c>, <c>beta</c> of shape [1, 1, 1, D].</summary>
public sealed class GlobalResponseNorm : Module
{
    public Tensor Gamma { get; }
    public Tensor Beta { get; }

    public GlobalResponseNorm(WeightSource ws, int dim)
    {
        Gamma = LoadWeight(ws, "gamma", 1, 1, 1, dim);
        Beta = LoadWeight(ws, "beta", 1, 1, 1, dim);
    }

    /// <summary>x [B, H, W, D] → γ·(x·N) + β + x with N = ‖x‖₂ over (H, W) / (mean over D + 1e-6).</summary>
    public Tensor Forward(Tensor x) => Ops.GlobalResponseNorm(x, Gamma, Beta);

    /// <summary>Inference: normalises <paramref name="x"/> (contiguous, not tracked) in place.</summary>
    public void ForwardInPlace(Tensor x) => Ops.GlobalResponseNormInPlace(x, Gamma, Beta);
}
