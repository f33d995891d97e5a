namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>torch LayerNorm over the last dim (biased variance); weight/bias optional (affine).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps) => throw new NotImplementedException();

    /// <summary>Würstchen's LayerNorm2d on NCHW: per pixel, over C, no affine.</summary>
    public static Tensor LayerNorm2d(Tensor x, float eps) => throw new NotImplementedException();

    /// <summary>ConvNeXt-V2 GRN on channels-last x[B,H,W,D]: y = γ·(x·N) + β + x, N = ‖x‖₂(H,W) / (mean_D ‖x‖₂ + 1e-6).</summary>
    public static Tensor GlobalResponseNorm(Tensor x, Tensor gamma, Tensor beta) => throw new NotImplementedException();

    /// <summary>BatchNorm2d in inference mode (running statistics) on NCHW.</summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, float eps) => throw new NotImplementedException();
}
