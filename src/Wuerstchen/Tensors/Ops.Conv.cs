namespace Wuerstchen.Tensors;

public enum PadMode { Zeros, Replicate }

public static partial class Ops
{
    /// <summary>torch conv2d on NCHW; weight [O, C/groups, kH, kW]. Fast paths: 1×1 (GEMM), depthwise (groups = C = O).</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias,
        (int H, int W) stride = default, (int H, int W) padding = default, (int H, int W) dilation = default, int groups = 1)
        => throw new NotImplementedException();

    /// <summary>torch conv_transpose2d on NCHW; weight [C, O/groups, kH, kW].</summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias,
        (int H, int W) stride = default, (int H, int W) padding = default, (int H, int W) outputPadding = default,
        (int H, int W) dilation = default, int groups = 1)
        => throw new NotImplementedException();

    /// <summary>Pads the last two dims of NCHW (torch F.pad order: left, right, top, bottom).</summary>
    public static Tensor Pad2d(Tensor x, int left, int right, int top, int bottom, PadMode mode) => throw new NotImplementedException();
}
