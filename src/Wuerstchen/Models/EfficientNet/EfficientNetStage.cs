namespace Wuerstchen.Models.EfficientNet;

/// <summary>The two block types of EfficientNetV2 (torchvision <c>FusedMBConv</c> / <c>MBConv</c>).</summary>
public enum EfficientNetBlockType
{
    /// <summary>k×k conv (expand, with the stride) + 1×1 project; a single k×k conv when the expansion is 1.</summary>
    FusedMBConv,

    /// <summary>1×1 expand, k×k depthwise conv (with the stride), squeeze-excitation, 1×1 project.</summary>
    MBConv,
}

/// <summary>
/// One stage of an EfficientNetV2 backbone, a row of torchvision's <c>inverted_residual_setting</c>
/// (<c>FusedMBConvConfig</c>/<c>MBConvConfig(expand_ratio, kernel, stride, input_channels, out_channels, num_layers)</c>).
/// Only the first block of a stage has the stride and the channel change; the others map
/// <see cref="OutChannels"/> to itself with stride 1 and a residual connection.
/// </summary>
public sealed record EfficientNetStage(
    EfficientNetBlockType Block, int ExpandRatio, int Kernel, int Stride, int InChannels, int OutChannels, int Layers)
{
    /// <summary>Channels of block <paramref name="index"/>'s input: the stage input for the first block, <see cref="OutChannels"/> after.</summary>
    public int BlockInChannels(int index) => index == 0 ? InChannels : OutChannels;

    /// <summary>Stride of block <paramref name="index"/>: only the first block strides.</summary>
    public int BlockStride(int index) => index == 0 ? Stride : 1;

    /// <summary>
    /// Hidden width of a block with <paramref name="inChannels"/> inputs: torchvision's
    /// <c>adjust_channels(in, expand_ratio)</c> = <c>_make_divisible(in·expand_ratio, 8)</c>.
    /// </summary>
    public int ExpandedChannels(int inChannels) => MakeDivisible(inChannels * ExpandRatio, 8);

    /// <summary>Squeeze width of an MBConv block's squeeze-excitation: <c>max(1, in // 4)</c> of the block's input (not its hidden width).</summary>
    public static int SqueezeChannels(int inChannels) => Math.Max(1, inChannels / 4);

    /// <summary>
    /// torchvision's <c>_make_divisible(v, divisor)</c>: the multiple of <paramref name="divisor"/> nearest to v (at
    /// least the divisor), bumped up one step when rounding down would lose more than 10 %.
    /// </summary>
    public static int MakeDivisible(double value, int divisor)
    {
        int rounded = Math.Max(divisor, (int)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }
}
