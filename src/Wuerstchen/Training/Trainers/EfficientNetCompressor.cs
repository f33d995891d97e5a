using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Models.Nn;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// <see cref="EfficientNetEncoder"/> as the trainers' semantic compressor. With <see cref="DownscaleForStageC"/>
/// the image is first downscaled by 3/4 as in the authors' Stage C data path (a 1024² image → 24² features, SPEC
/// §7.2); without it the compressor sees the image as is (diffusers' fine-tuning script, §7.5).
/// </summary>
public sealed class EfficientNetCompressor(EfficientNetEncoder encoder, bool downscaleForStageC = true) : ISemanticCompressor
{
    public EfficientNetEncoder Encoder { get; } = encoder;
    public bool DownscaleForStageC { get; } = downscaleForStageC;

    public int LatentChannels => Encoder.Config.CLatent;
    public int Stride => Encoder.Config.Stride;
    public Module Module => Encoder;
    public string ConfigJson => Encoder.Config.ToJson();
    public string InputSignature => DownscaleForStageC ? "imagenet-normalised;downscale=3/4-bilinear-antialias" : "imagenet-normalised";

    public Tensor Encode(Tensor images, bool training)
    {
        if (!DownscaleForStageC) return Encoder.Encode(images, training);
        using var small = EfficientNetEncoder.DownscaleForStageC(images);
        return Encoder.Encode(small, training);
    }

    public void Dispose() => Encoder.Dispose();
}
